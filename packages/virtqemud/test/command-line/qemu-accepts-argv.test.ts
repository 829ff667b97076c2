/**
 * The golden argv against the installed QEMU: each fixture is built again with its paths moved
 * into a temp dir, started paused, and checked over QMP (name, block devices, PCI, chardevs, VNC,
 * KVM) before `quit`. Every QEMU is killed by PID in a finally; kvm only for domains with no OS.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, openSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeTempRoot, removeTempRoot, waitFor } from '@tsvirt/common/testing';
import type { DomainDef } from '../../src/conf/domain-def.js';
import {
  buildQemuCommandLine,
  diskAlias,
  diskNodeNames,
  type QemuRuntimeInfo,
} from '../../src/qemu/command-line/index.js';
import {
  connectUnix,
  queryChardev,
  queryKvm,
  queryStatus,
  queryVnc,
  quit,
  type QmpConnection,
} from '../../src/qemu/monitor/index.js';
import { ensureTestGuest } from '../test-guest.js';
import { portIsFree } from '../loopback-ports.js';
import { HAVE_KVM, loadDef } from './fixtures.js';

const QEMU = process.env.QEMU_BINARY ?? 'qemu-system-x86_64';
// Built (or found cached) before any case runs: the kernel-boot cases need it.
const GUEST_DIR = dirname(ensureTestGuest().kernel);
const HAVE_TUN = ((): boolean => {
  try {
    closeSync(openSync('/dev/net/tun', 'r+'));
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
})();

/** What a case sets up in its temp dir; `cleanup` runs after QEMU is gone. */
interface Prepared {
  def: DomainDef;
  runtime: QemuRuntimeInfo;
  /** host path per disk target, as QEMU should report it */
  paths: Record<string, string>;
  cleanup: Array<() => void>;
}

function qemuImg(path: string, format: string, size: string): void {
  const r = spawnSync('qemu-img', ['create', '-q', '-f', format, path, size], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`qemu-img create ${path}: ${r.stderr}`);
}

/** A listening TCP port in [from, from+100), bound then released, for QEMU to take over. */
async function freePort(from: number): Promise<number> {
  for (let port = from + Math.floor(Math.random() * 50); port < from + 100; port++) {
    if (await portIsFree(port)) return port;
  }
  throw new Error(`no free port from ${from}`);
}

/** Moves every host path of `def` into `root` (creating images) and builds the matching runtime info. */
async function prepare(fixture: string, root: string, servers: Server[]): Promise<Prepared> {
  const def = loadDef(`${fixture}.xml`);
  const cleanup: Array<() => void> = [];
  const paths: Record<string, string> = {};
  const runtime: QemuRuntimeInfo = {
    accel: def.type === 'kvm' && HAVE_KVM ? 'kvm' : 'tcg',
    monitorSocket: join(root, 'm.sock'),
    pidFile: join(root, 'q.pid'),
    taps: {},
    volumePaths: {},
  };
  for (const [i, disk] of def.devices.disks.entries()) {
    if (!disk.source) continue;
    const format = disk.driver.type ?? 'raw';
    // Keep a comma in the basename so the escaping is exercised for real.
    const path = join(root, fixture === 'comma-escaping' ? `a,file=${i}.img` : `d${i}.${format}`);
    qemuImg(path, format, disk.device === 'floppy' ? '1440K' : '1M');
    paths[disk.target.dev] = path;
    if (disk.type === 'volume') runtime.volumePaths[disk.target.dev] = path;
    else if (disk.type === 'file') disk.source = { file: path };
    else {
      // A real block device: a loop device over the image, detached again afterwards.
      const r = spawnSync('losetup', ['--find', '--show', path], { encoding: 'utf8' });
      if (r.status !== 0) {
        disk.type = 'file';
        disk.source = { file: path };
        console.log(`  (no loop device: block disk '${disk.target.dev}' checked as a file)`);
        continue;
      }
      const dev = r.stdout.trim();
      cleanup.push(() => spawnSync('losetup', ['--detach', dev]));
      disk.source = { dev };
      paths[disk.target.dev] = dev;
    }
  }
  for (const [i, c] of [...def.devices.serials, ...def.devices.consoles].entries()) {
    const s = c.source;
    if (!s) continue;
    if (c.type === 'file' && s.path !== undefined) {
      s.path = join(
        root,
        fixture === 'comma-escaping' ? `s,mux=on,${i}.log` : `serial${s.path.endsWith('serial0.log') ? 0 : i}.log`,
      );
    } else if (c.type === 'unix') {
      s.path = join(root, fixture === 'comma-escaping' ? `u,server=off${i}` : `u${i}.sock`);
    } else if (c.type === 'tcp' && s.mode === 'bind') {
      s.host = '127.0.0.1';
      s.service = String(await freePort(20000));
    } else if (c.type === 'tcp') {
      // Something must answer a connect-mode chardev or QEMU fails to start.
      const server = createServer((sock) => sock.on('error', () => undefined));
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      s.host = '127.0.0.1';
      s.service = String(typeof address === 'object' && address ? address.port : 0);
    }
  }
  for (const [i, ch] of def.devices.channels.entries()) {
    if (ch.type === 'unix' && ch.source) ch.source.path = join(root, `ch${i}.sock`);
  }
  if (def.os.kernel !== undefined) {
    if (fixture === 'comma-escaping') {
      def.os.kernel = join(root, 'vmlinuz,initrd=x');
      symlinkSync(join(GUEST_DIR, 'vmlinuz'), def.os.kernel);
    } else {
      def.os.kernel = join(GUEST_DIR, 'vmlinuz');
      if (def.os.initrd !== undefined) def.os.initrd = join(GUEST_DIR, 'initrd.img');
    }
  }
  const tag = `t${process.pid % 10000}`;
  def.devices.nets.forEach((n, i) => {
    if (n.type !== 'user' && n.mac !== undefined) runtime.taps[n.mac] = { ifname: `${tag}n${i}` };
  });
  for (const g of def.devices.graphics) {
    // Loopback only in tests, on a port nobody else holds.
    const port = await freePort(5900);
    g.listens = [{ type: 'address', address: '127.0.0.1' }];
    g.listen = '127.0.0.1';
    if (g.autoport && g.type === 'spice') runtime.spicePort = port;
    else if (g.autoport) runtime.vncPort = port;
    else g.port = port;
  }
  if (def.os.nvram) {
    // The driver copies the template before a start; here the test does.
    def.os.nvram.path = join(root, 'VARS.fd');
    copyFileSync(def.os.nvram.template ?? '', def.os.nvram.path);
    paths.nvram = def.os.nvram.path;
  }
  return { def, runtime, paths, cleanup };
}

interface Started {
  qmp: QmpConnection;
  pid: number;
  output(): string;
}

/** Runs the built argv, connects QMP, hands it to `body`, then quits; kills by PID and cleans up whatever happens. */
async function withQemu(fixture: string, body: (q: Started, p: Prepared) => Promise<void>): Promise<void> {
  const root = makeTempRoot();
  const servers: Server[] = [];
  let prepared: Prepared | undefined;
  let pid: number | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  let output = '';
  try {
    prepared = await prepare(fixture, root, servers);
    const { binary, args } = buildQemuCommandLine(prepared.def, prepared.runtime);
    const child = spawn(binary === 'qemu-system-x86_64' ? QEMU : binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    pid = child.pid;
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    exited = new Promise((resolve) => child.on('close', resolve));
    child.on('error', (err) => (output += `spawn failed: ${err.message}`));
    let qmp: QmpConnection;
    try {
      qmp = await connectUnix(prepared.runtime.monitorSocket, { timeoutMs: 20_000, retryUntil: exited });
    } catch (err) {
      await exited;
      throw new Error(`${(err as Error).message}\nQEMU said: ${output}\nargv: ${args.join(' ')}`);
    }
    const pidFromFile = await waitFor(
      () => existsSync(prepared!.runtime.pidFile) && readFileSync(prepared!.runtime.pidFile, 'utf8').trim(),
      5000,
      'pid file',
    );
    assert.is(Number(pidFromFile), pid, '-pidfile names the QEMU we started');
    await body({ qmp, pid: pid!, output: () => output }, prepared);
    await quit(qmp);
    assert.is(await exited, 0, `QEMU exit status; it said: ${output}`);
  } finally {
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      await exited;
    }
    for (const s of servers) s.close();
    for (const c of prepared?.cleanup ?? []) c();
    removeTempRoot(root);
  }
}

async function common(q: Started, p: Prepared): Promise<void> {
  assert.equal(
    await queryStatus(q.qmp),
    { running: false, status: 'prelaunch' },
    '-S: paused before the first instruction',
  );
  const name = await q.qmp.execute<{ name?: string }>('query-name');
  assert.is(name.name, p.def.name);
  const uuid = await q.qmp.execute<{ UUID: string }>('query-uuid');
  assert.is(uuid.UUID, p.def.uuid);
  const kvm = await queryKvm(q.qmp);
  assert.is(kvm.enabled, p.runtime.accel === 'kvm');
}

interface BlockEntry {
  device: string;
  qdev?: string;
  inserted?: { 'node-name': string; file: string; ro: boolean; drv: string };
}

async function queryBlock(qmp: QmpConnection): Promise<BlockEntry[]> {
  return qmp.execute<BlockEntry[]>('query-block');
}

interface PciDevice {
  slot: number;
  function: number;
  qdev_id: string;
}

async function pciIds(qmp: QmpConnection): Promise<Map<string, string>> {
  const buses = await qmp.execute<Array<{ devices: PciDevice[] }>>('query-pci');
  const out = new Map<string, string>();
  for (const d of buses[0]?.devices ?? []) out.set(`${d.slot}.${d.function}`, d.qdev_id);
  return out;
}

/** Every PCI device of the def that has an id is where the conf layer put it. */
async function checkPci(q: Started, expected: Array<[slot: number, fn: number, id: string]>): Promise<void> {
  const ids = await pciIds(q.qmp);
  for (const [slot, fn, id] of expected) assert.is(ids.get(`${slot}.${fn}`), id, `PCI ${slot}.${fn}`);
}

/** These machines have a usable /dev/kvm and /dev/net/tun, and tests run as root: a case that needs them says so. */
function requireHost(kvm: boolean, tun = false): void {
  assert.ok(!kvm || HAVE_KVM, 'this case needs a usable /dev/kvm');
  assert.ok(!tun || HAVE_TUN, 'this case needs /dev/net/tun and root');
}

test('minimal-kvm: KVM, 128 MiB, balloon at 00:03.0, no display', async () => {
  requireHost(true);
  await withQemu('minimal-kvm', async (q, p) => {
    await common(q, p);
    const mem = await q.qmp.execute<{ 'base-memory': number }>('query-memory-size-summary');
    assert.is(mem['base-memory'], 128 * 1024 * 1024);
    await checkPci(q, [[3, 0, 'balloon0']]);
    assert.equal(await queryBlock(q.qmp), []);
    assert.is((await queryVnc(q.qmp)).enabled, false);
  });
});

test('kernel-boot-tcg: the test guest boots under TCG and writes to the serial file', async () => {
  await withQemu('kernel-boot-tcg', async (q, p) => {
    await common(q, p);
    const chardevs = await queryChardev(q.qmp);
    const serial0 = p.def.devices.serials[0]?.source?.path ?? '';
    // QEMU reports a file chardev as just 'file'; the file it opened is the proof of the path.
    assert.is(chardevs.find((c) => c.label === 'charserial0')?.filename, 'file');
    assert.ok(existsSync(serial0), `${serial0} created by QEMU`);
    assert.ok(chardevs.find((c) => c.label === 'charserial1')?.ptyPath?.startsWith('/dev/pts/'));
    await q.qmp.execute('cont');
    await waitFor(
      () => existsSync(serial0) && readFileSync(serial0, 'utf8').includes('TSVIRT-GUEST-BOOTED'),
      120_000,
      'the guest marker on serial0',
    );
  });
});

test('disks: every disk on its bus with its node, read-only cdrom, empty tray, loop block device', async () => {
  requireHost(true);
  await withQemu('disks', async (q, p) => {
    await common(q, p);
    const block = await queryBlock(q.qmp);
    p.def.devices.disks.forEach((disk, i) => {
      const alias = diskAlias(disk);
      const entry = block.find((b) => b.qdev === alias || b.qdev?.startsWith(`/machine/peripheral/${alias}/`));
      assert.ok(entry, `query-block lists '${alias}': ${JSON.stringify(block.map((b) => b.qdev))}`);
      const path = p.paths[disk.target.dev];
      if (path === undefined) {
        assert.is(entry.inserted, undefined, `${alias} is empty`);
        return;
      }
      assert.is(entry.inserted?.['node-name'], diskNodeNames(p.def, i).format);
      assert.is(entry.inserted?.file, path);
      assert.is(entry.inserted?.ro, disk.readonly, `${alias} read-only`);
      assert.is(entry.inserted?.drv, disk.driver.type ?? 'raw');
    });
    assert.is(block.length, p.def.devices.disks.length);
    await checkPci(q, [
      [1, 1, ''],
      [3, 0, 'scsi0'],
      [4, 0, 'sata0'],
      [5, 0, 'virtio-disk0'],
      [6, 0, 'virtio-disk1'],
      [7, 0, 'balloon0'],
    ]);
  });
});

test('nics: user and tap backends, models, MACs and slots', async () => {
  requireHost(true, true);
  await withQemu('nics', async (q, p) => {
    await common(q, p);
    await checkPci(q, [
      [3, 0, 'net0'],
      [4, 0, 'net1'],
      [5, 0, 'net2'],
      [6, 0, 'net3'],
    ]);
    for (const [i, n] of p.def.devices.nets.entries()) {
      const mac = await q.qmp.execute<string>('qom-get', { path: `/machine/peripheral/net${i}`, property: 'mac' });
      assert.is(mac, n.mac);
    }
    // No QMP query lists netdev backends in 7.2; the human monitor's `info network` does.
    const info = await q.qmp.execute<string>('human-monitor-command', { 'command-line': 'info network' });
    for (const [i, n] of p.def.devices.nets.entries()) {
      const backend =
        n.type === 'user'
          ? `hostnet${i}: index=0,type=user`
          : `hostnet${i}: index=0,type=tap,ifname=${p.runtime.taps[n.mac ?? '']?.ifname ?? '?'},script=no,downscript=no`;
      assert.ok(info.includes(backend), `'${backend}' in:\n${info}`);
    }
  });
});

test('q35-addressed: explicit PCIe slots, built-in AHCI cdrom, iTCO watchdog', async () => {
  requireHost(true);
  await withQemu('q35-addressed', async (q, p) => {
    await common(q, p);
    await checkPci(q, [
      [2, 0, 'usb'],
      [3, 0, 'net0'],
      [4, 0, 'virtio-disk0'],
      [5, 0, 'balloon0'],
    ]);
    const block = await queryBlock(q.qmp);
    const cd = block.find((b) => b.qdev === 'sata0-0-0');
    assert.is(cd?.inserted?.file, p.paths.sda);
    assert.is(cd?.inserted?.ro, true);
    // `-global ICH9-LPC.noreboot=off` is checked by QEMU itself: a global naming a property the
    // created device lacks stops QEMU from starting.
  });
});

test('vnc-autoport: VNC on loopback at the chosen port, USB tablet, cirrus', async () => {
  requireHost(true);
  await withQemu('vnc-autoport', async (q, p) => {
    await common(q, p);
    const vnc = await queryVnc(q.qmp);
    assert.is(vnc.host, '127.0.0.1');
    assert.is(vnc.service, String(p.runtime.vncPort));
    await checkPci(q, [
      [1, 2, 'usb'],
      [2, 0, 'video0'],
      [3, 0, 'balloon0'],
    ]);
  });
});

test('vnc-listen: fixed port with password, xhci, qxl + virtio-gpu', async () => {
  requireHost(true);
  await withQemu('vnc-listen', async (q, p) => {
    await common(q, p);
    const vnc = await queryVnc(q.qmp);
    assert.is(vnc.service, String(p.def.devices.graphics[0]?.port));
    assert.is(vnc.auth, 'vnc');
    await checkPci(q, [
      [2, 0, 'video0'],
      [3, 0, 'usb'],
      [4, 0, 'balloon0'],
      [5, 0, 'video1'],
      [6, 0, 'input1'],
    ]);
  });
});

test('misc-devices: watchdog, balloon, two rngs', async () => {
  requireHost(true);
  await withQemu('misc-devices', async (q, p) => {
    await common(q, p);
    await checkPci(q, [
      [3, 0, 'balloon0'],
      [4, 0, 'rng0'],
      [5, 0, 'rng1'],
      [6, 0, 'watchdog0'],
    ]);
    const period = await q.qmp.execute<number>('qom-get', { path: '/machine/peripheral/rng1', property: 'period' });
    assert.is(period, 2000);
  });
});

test('topology: 2 of 4 vCPUs as 1x1x2x2, memory aligned to MiB, hotplug slots', async () => {
  requireHost(true);
  await withQemu('topology', async (q, p) => {
    await common(q, p);
    const cpus =
      await q.qmp.execute<Array<{ props: { 'socket-id': number; 'core-id': number; 'thread-id': number } }>>(
        'query-cpus-fast',
      );
    assert.equal(
      cpus.map((c) => [c.props['socket-id'], c.props['core-id'], c.props['thread-id']]),
      [
        [0, 0, 0],
        [0, 0, 1],
      ],
    );
    const hotpluggable = await q.qmp.execute<unknown[]>('query-hotpluggable-cpus');
    assert.is(hotpluggable.length, 4);
    const mem = await q.qmp.execute<{ 'base-memory': number }>('query-memory-size-summary');
    assert.is(mem['base-memory'], 256 * 1024 * 1024, '262000 KiB rounded up to 256 MiB');
    const slots = await q.qmp.execute<unknown[]>('query-memory-devices');
    assert.equal(slots, []);
  });
});

test('chardevs: pty, telnet server, unix server, tcp client, ib700', async () => {
  requireHost(true);
  await withQemu('chardevs', async (q, p) => {
    await common(q, p);
    const chardevs = await queryChardev(q.qmp);
    const label = (i: number): string => chardevs.find((c) => c.label === `charserial${i}`)?.filename ?? '';
    assert.ok(label(0).startsWith('pty:'));
    const tcp = p.def.devices.serials[1]?.source;
    // Listening sockets with no client yet are 'disconnected:'.
    assert.is(label(1), `disconnected:telnet:127.0.0.1:${tcp?.service ?? ''},server=on`);
    assert.is(label(2), `disconnected:unix:${p.def.devices.serials[2]?.source?.path ?? ''},server=on`);
    assert.ok(label(3).startsWith('tcp:127.0.0.1:'), label(3));
    const wd = await q.qmp.execute<unknown[]>('qom-list', { path: '/machine/peripheral/watchdog0' });
    assert.ok(wd.length > 0);
  });
});

/** The two flash units as QEMU opened them: code read-only, vars writable, each on its libvirt node name. */
async function checkPflash(q: Started, p: Prepared): Promise<void> {
  const nodes =
    await q.qmp.execute<Array<{ 'node-name': string; file: string; ro: boolean }>>('query-named-block-nodes');
  const node = (name: string): { file: string; ro: boolean } | undefined => {
    const n = nodes.find((x) => x['node-name'] === name);
    return n && { file: n.file, ro: n.ro };
  };
  assert.equal(node('libvirt-pflash0-format'), { file: p.def.os.loader?.path ?? '', ro: true });
  assert.equal(node('libvirt-pflash1-format'), { file: p.paths.nvram ?? '', ro: false });
  const pflash0 = await q.qmp.execute<string>('qom-get', { path: '/machine', property: 'pflash0' });
  assert.is(pflash0, 'libvirt-pflash0-format');
}

test('uefi-pflash: OVMF code and vars on pflash0/1, then the test guest boots under OVMF (TCG)', async () => {
  await withQemu('uefi-pflash', async (q, p) => {
    await common(q, p);
    await checkPflash(q, p);
    await q.qmp.execute('cont');
    const serial0 = p.def.devices.serials[0]?.source?.path ?? '';
    await waitFor(
      () => existsSync(serial0) && readFileSync(serial0, 'utf8').includes('TSVIRT-GUEST-BOOTED'),
      180_000,
      'the guest marker on serial0 after OVMF',
    );
    assert.match(readFileSync(serial0, 'latin1'), 'EFI stub: ', 'the kernel was started by OVMF');
  });
});

// TCG: this host's nested KVM has no SMM ('System Management Mode not supported by this hypervisor').
test('secure-boot-q35: SMM on, secure flash, secure-boot OVMF (TCG)', async () => {
  await withQemu('secure-boot-q35', async (q, p) => {
    await common(q, p);
    await checkPflash(q, p);
    const smm = await q.qmp.execute<string>('qom-get', { path: '/machine', property: 'smm' });
    assert.is(smm, 'on');
  });
});

test('spice-autoport: SPICE on loopback at the chosen port, no ticketing, qxl-vga', async () => {
  requireHost(true);
  await withQemu('spice-autoport', async (q, p) => {
    await common(q, p);
    const spice = await q.qmp.execute<{ enabled: boolean; host: string; port: number; auth: string }>('query-spice');
    assert.is(spice.enabled, true);
    assert.is(spice.host, '127.0.0.1');
    assert.is(spice.port, p.runtime.spicePort);
    assert.is(spice.auth, 'none');
    await checkPci(q, [[2, 0, 'video0']]);
  });
});

test('comma-escaping: QEMU sees exactly the name and paths with their commas', async () => {
  requireHost(true);
  await withQemu('comma-escaping', async (q, p) => {
    await common(q, p);
    const name = await q.qmp.execute<{ name: string }>('query-name');
    assert.is(name.name, 'evil,debug-threads=off,process=pwned');
    const block = await queryBlock(q.qmp);
    assert.is(block.length, 1);
    const path = p.paths.vda ?? '';
    assert.ok(path.includes(','));
    assert.is(block[0]?.inserted?.file, path);
    assert.is(block[0]?.qdev, '/machine/peripheral/virtio-disk0/virtio-backend');
    const kernel = await q.qmp.execute<string>('qom-get', { path: '/machine', property: 'kernel' });
    assert.is(kernel, p.def.os.kernel);
    const append = await q.qmp.execute<string>('qom-get', { path: '/machine', property: 'append' });
    assert.is(append, 'console=ttyS0,115200n8 quiet');
    const chardevs = await queryChardev(q.qmp);
    const serialFile = p.def.devices.serials[0]?.source?.path ?? '';
    const socketPath = p.def.devices.serials[1]?.source?.path ?? '';
    assert.ok(existsSync(serialFile), `QEMU opened '${serialFile}', comma and all`);
    assert.is(
      chardevs.find((c) => c.label === 'charserial1')?.filename,
      `disconnected:unix:${socketPath},server=on`,
      'the socket listens at the whole path: server=off did not leak through',
    );
    // Nothing was cut at a comma: no file or socket named by a prefix of the paths.
    assert.equal(
      readdirSync(dirname(serialFile)).filter((f) => !/[,.]/.test(f)),
      [],
    );
    assert.is(chardevs.length, 3);
  });
});

// ---- PCI topology: root ports and bridges --------------------------------------------

/**
 * Where QEMU put each device: `BUS/slot.fn` → qdev id. Before the firmware runs, bridges have
 * no bus numbers and query-pci cannot see behind them, so each device is asked over QOM for
 * its parent bus (named after the bridge's id) and its devfn; ids '' are the machine's own
 * devices on the root bus, checked with query-pci.
 */
async function checkTopology(q: Started, expected: Record<string, string>): Promise<void> {
  const root = await pciIds(q.qmp);
  for (const [where, id] of Object.entries(expected)) {
    const m = /^(.+)\/(\d+)\.(\d)$/.exec(where);
    assert.ok(m, where);
    const [, bus = '', slot = '0', fn = '0'] = m;
    if (id === '') {
      assert.is(root.get(`${slot}.${fn}`), '', `a built-in device at ${where}`);
      continue;
    }
    const path = `/machine/peripheral/${id}`;
    const parent = await q.qmp.execute<string>('qom-get', { path, property: 'parent_bus' });
    assert.ok(parent.endsWith(`/${bus}`), `${id} is on bus ${parent}, expected ${bus}`);
    const devfn = await q.qmp.execute<number>('qom-get', { path, property: 'addr' });
    assert.is(devfn, Number(slot) * 8 + Number(fn), `${id} devfn`);
  }
}

test('q35-auto: root ports at 00:02.x, every endpoint behind its own port, VGA at 00:01.0', async () => {
  requireHost(true);
  await withQemu('q35-auto', async (q, p) => {
    await common(q, p);
    await checkTopology(q, {
      'pcie.0/1.0': 'video0',
      'pcie.0/2.0': 'pci.1',
      'pcie.0/2.1': 'pci.2',
      'pcie.0/2.2': 'pci.3',
      'pcie.0/2.3': 'pci.4',
      'pcie.0/2.4': 'pci.5',
      'pcie.0/2.5': 'pci.6',
      'pci.1/0.0': 'net0',
      'pci.2/0.0': 'usb',
      'pci.3/0.0': 'virtio-disk0',
      'pci.4/0.0': 'balloon0',
      'pci.5/0.0': 'rng0',
      // The built-in AHCI and LPC of the ICH9.
      'pcie.0/31.2': '',
      'pcie.0/31.0': '',
    });
    // pci.6 is the spare port libvirt leaves empty for hotplug: nothing has it as parent bus.
    for (const id of ['net0', 'usb', 'virtio-disk0', 'balloon0', 'rng0']) {
      const parent = await q.qmp.execute<string>('qom-get', {
        path: `/machine/peripheral/${id}`,
        property: 'parent_bus',
      });
      assert.not.ok(parent.endsWith('/pci.6'), id);
    }
    const chassis = await q.qmp.execute<number>('qom-get', { path: '/machine/peripheral/pci.3', property: 'chassis' });
    assert.is(chassis, 3);
    const port = await q.qmp.execute<number>('qom-get', { path: '/machine/peripheral/pci.3', property: 'port' });
    assert.is(port, 0x12);
    const multi = await q.qmp.execute<boolean>('qom-get', {
      path: '/machine/peripheral/pci.1',
      property: 'multifunction',
    });
    assert.is(multi, true, 'function 0 of the root ports slot is multifunction');
  });
});

test('q35-bridges: user root ports, dmi-to-pci and pci bridges, pcie-to-pci bridge, devices on them', async () => {
  requireHost(true);
  await withQemu('q35-bridges', async (q, p) => {
    await common(q, p);
    await checkTopology(q, {
      'pcie.0/4.0': 'pci.1',
      'pcie.0/30.0': 'pci.2',
      'pcie.0/1.0': 'pci.4',
      'pci.1/0.0': 'virtio-disk0',
      'pci.2/1.0': 'pci.3',
      'pci.3/5.0': 'net0',
      'pci.3/1.0': 'watchdog0',
      'pci.4/0.0': 'pci.5',
      'pci.5/1.0': 'net1',
    });
    const port = await q.qmp.execute<number>('qom-get', { path: '/machine/peripheral/pci.1', property: 'port' });
    assert.is(port, 0x20);
  });
});

test('pc-pci-bridge: a pci-bridge at 00:03.0 with a disk in its slot 2', async () => {
  requireHost(true);
  await withQemu('pc-pci-bridge', async (q, p) => {
    await common(q, p);
    await checkTopology(q, {
      'pci.0/3.0': 'pci.1',
      'pci.0/4.0': 'net0',
      'pci.0/5.0': 'virtio-disk0',
      'pci.0/6.0': 'balloon0',
      'pci.1/2.0': 'virtio-disk1',
    });
    const nr = await q.qmp.execute<number>('qom-get', { path: '/machine/peripheral/pci.1', property: 'chassis_nr' });
    assert.is(nr, 1);
  });
});

/** `info qtree` of the human monitor: the one place QEMU 7.2 lists every device's properties. */
async function qtree(qmp: QmpConnection): Promise<string> {
  return qmp.execute<string>('human-monitor-command', { 'command-line': 'info qtree' });
}

test('hyperv-clock: Hyper-V enlightenments and kvm=off on -cpu, machine switches, RTC slew, S3/S4 off (TCG)', async () => {
  await withQemu('hyperv-clock', async (q, p) => {
    await common(q, p);
    const cpus = await q.qmp.execute<Array<{ 'qom-path': string }>>('query-cpus-fast');
    const cpu = cpus[0]?.['qom-path'] ?? '';
    const prop = (property: string): Promise<unknown> => q.qmp.execute('qom-get', { path: cpu, property });
    for (const hv of ['hv-relaxed', 'hv-vapic', 'hv-time', 'hv-runtime', 'hv-reset', 'hv-frequencies']) {
      assert.is(await prop(hv), true, hv);
    }
    assert.is(await prop('hv-spinlocks'), 8191);
    assert.is(await prop('hv-vendor-id'), 'KVM Hv');
    assert.is(await prop('kvm'), false, 'kvm=off hides the KVM signature');
    assert.is(await prop('pmu'), false);
    const machine = (property: string): Promise<unknown> => q.qmp.execute('qom-get', { path: '/machine', property });
    assert.is(await machine('hpet'), false);
    assert.is(await machine('smm'), 'on');
    assert.is(await machine('vmport'), 'off');
    const tree = await qtree(q.qmp);
    assert.match(tree, /dev: PIIX4_PM[\s\S]*?disable_s3 = 1[\s\S]*?disable_s4 = 1/);
    assert.match(tree, /dev: mc146818rtc[\s\S]*?lost_tick_policy = "slew"/);
    assert.not.match(tree, /dev: hpet/);
  });
});

test('sysinfo-smbios: QEMU takes the SMBIOS tables; variable clock starts an hour back in guest time; S3 on', async () => {
  requireHost(true);
  await withQemu('sysinfo-smbios', async (q, p) => {
    await common(q, p);
    const tm = await q.qmp.execute<Record<string, number>>('qom-get', { path: '/machine', property: 'rtc-time' });
    const rtc = Date.UTC(tm.tm_year! + 1900, tm.tm_mon!, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    const expected = Date.now() - 3600_000;
    assert.ok(Math.abs(rtc - expected) < 120_000, `RTC ${new Date(rtc).toISOString()} is about now - 1 h`);
    const cpus = await q.qmp.execute<Array<{ 'qom-path': string }>>('query-cpus-fast');
    const kvmclock = await q.qmp.execute('qom-get', { path: cpus[0]?.['qom-path'] ?? '', property: 'kvmclock' });
    assert.is(kvmclock, false);
    assert.match(await qtree(q.qmp), /dev: PIIX4_PM[\s\S]*?disable_s3 = 0/);
  });
});

test('channels-sound: virtio-serial ports on a unix socket and a pty; HDA, AC97, ES1370, SB16 on audiodev none', async () => {
  requireHost(true);
  await withQemu('channels-sound', async (q, p) => {
    await common(q, p);
    const socket = p.def.devices.channels[0]?.source?.path ?? '';
    assert.ok(existsSync(socket), `QEMU listens at ${socket}`);
    const chardevs = await queryChardev(q.qmp);
    assert.is(chardevs.find((c) => c.label === 'charchannel0')?.filename, `disconnected:unix:${socket},server=on`);
    assert.ok(chardevs.find((c) => c.label === 'charchannel1')?.filename.startsWith('pty:'));
    await checkPci(q, [
      [3, 0, 'sound0'],
      [4, 0, 'sound1'],
      [5, 0, 'sound2'],
      [6, 0, 'sound3'],
      [7, 0, 'virtio-serial0'],
    ]);
    const get = (path: string, property: string): Promise<unknown> => q.qmp.execute('qom-get', { path, property });
    assert.is(await get('/machine/peripheral/channel0', 'name'), 'org.qemu.guest_agent.0');
    assert.is(await get('/machine/peripheral/channel0', 'nr'), 1);
    assert.is(await get('/machine/peripheral/channel1', 'nr'), 2);
    assert.is(await get('/machine/peripheral/sound0-codec0', 'audiodev'), 'audio1');
    assert.is(await get('/machine/peripheral/sound4', 'audiodev'), 'audio1');
    const tree = await qtree(q.qmp);
    for (const dev of ['hda-micro', 'hda-output', 'hda-duplex', 'AC97', 'ES1370', 'sb16']) {
      assert.ok(tree.includes(`dev: ${dev}`), `${dev} in the device tree`);
    }
  });
});

test.run();
