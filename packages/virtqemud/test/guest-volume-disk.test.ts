/**
 * `<disk type='volume'>` for real, virtqemud asking virtstoraged over RPC: the test guest
 * boots from a qcow2 volume cloned from a raw base volume of a dir pool and prints the
 * base's marker; the live XML shows the volume's path and format, the inactive one keeps
 * pool and volume only; a restarted virtqemud keeps the resolved path; a restarted
 * virtstoraged is reached again. Refused starts (missing volume or pool, inactive pool,
 * no storage daemon) name the cause and leave no QEMU behind.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DomainState,
  ErrorCode,
  buildPool,
  createVolume,
  createVolumeFrom,
  defineDomain,
  definePool,
  destroyDomain,
  destroyPool,
  getDomainState,
  getDomainXML,
  isPoolActive,
  lookupPoolByName,
  open,
  startDomain,
  startPool,
  uploadVolume,
  type Connection,
} from '@tsvirt/client';
import {
  daemonBin,
  killProcessesMentioning,
  makeTempRoot,
  pidFromRoot,
  rejectionOf,
  removeTempRoot,
  spawnDaemon,
  spawnNamedDaemon,
  stopDaemonByPidFile,
  waitFor,
  type DaemonProcess,
} from '@tsvirt/common/testing';
import { qemusMentioning, serialText } from './real-guest.js';
import { ensureTestGuest } from './test-guest.js';

const MiB = 1024 * 1024;
const POOL = 'guests';

function guestXml(name: string, serialLog: string, volume: { pool: string; volume: string }): string {
  const { kernel, initrd } = ensureTestGuest();
  return `<domain type='qemu'>
  <name>${name}</name>
  <uuid>${randomUUID()}</uuid>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${kernel}</kernel>
    <initrd>${initrd}</initrd>
    <cmdline>console=ttyS0 panic=-1</cmdline>
  </os>
  <features><acpi/></features>
  <devices>
    <disk type='volume' device='disk'>
      <source pool='${volume.pool}' volume='${volume.volume}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <serial type='file'><source path='${serialLog}'/></serial>
  </devices>
</domain>`;
}

function volXml(name: string, format: string): string {
  return `<volume><name>${name}</name><capacity unit='bytes'>${MiB}</capacity><target><format type='${format}'/></target></volume>`;
}

/** A 1 MiB raw image whose first sector carries the guest's disk marker. */
function markedImage(path: string, text: string): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, Buffer.alloc(MiB));
    writeSync(fd, `TSVIRT-DISK:${text}\n`, 0);
  } finally {
    closeSync(fd);
  }
}

function qemuCmdline(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
}

/** Daemons on one temp root, stopped (and every process naming the root killed) at the end. */
async function withRoot(body: (root: string, daemons: DaemonProcess[], conns: Connection[]) => Promise<void>) {
  const root = makeTempRoot();
  const daemons: DaemonProcess[] = [];
  const conns: Connection[] = [];
  try {
    await body(root, daemons, conns);
  } finally {
    for (const conn of conns) await conn.close().catch(() => undefined);
    for (const daemon of daemons) await daemon.stop(2000);
    await stopDaemonByPidFile(root, 'virtstoraged');
    killProcessesMentioning(root);
    removeTempRoot(root);
  }
}

test('the test guest boots from a qcow2 clone of a base volume; virtqemud and virtstoraged restarts are survived', async () => {
  await withRoot(async (root, daemons, conns) => {
    const env = { ...process.env, TSVIRT_ROOT: root };
    let storaged = await spawnNamedDaemon('virtstoraged', root);
    daemons.push(storaged);
    daemons.push(await spawnNamedDaemon('virtqemud', root));
    const connect = async (uri: string): Promise<Connection> => {
      const conn = await open(uri, { env, autostart: false });
      conns.push(conn);
      return conn;
    };
    const storage = await connect('storage:///session');
    let qemu = await connect('qemu:///session');

    const poolDir = join(root, 'pool');
    const pool = await definePool(
      storage,
      `<pool type='dir'><name>${POOL}</name><target><path>${poolDir}</path></target></pool>`,
    );
    await buildPool(storage, pool.uuid);
    await startPool(storage, pool.uuid);
    const baseFile = join(root, 'base-upload.img');
    markedImage(baseFile, 'volume');
    await createVolume(storage, POOL, volXml('base.img', 'raw'));
    await uploadVolume(storage, { pool: POOL, name: 'base.img' }, baseFile);
    await createVolumeFrom(storage, POOL, volXml('clone.qcow2', 'qcow2'), { pool: POOL, name: 'base.img' });
    const clonePath = join(poolDir, 'clone.qcow2');
    const info = JSON.parse(
      spawnSync('qemu-img', ['info', '--output=json', clonePath], { encoding: 'utf8' }).stdout,
    ) as { format: string; 'backing-filename'?: string };
    assert.is(info.format, 'qcow2');

    // A missing volume: the storage daemon's own error, and no QEMU. This opens virtqemud's storage link.
    const missing = await defineDomain(
      qemu,
      guestXml('vol-missing', join(root, 'missing.log'), { pool: POOL, volume: 'nope.qcow2' }),
    );
    const noVol = await rejectionOf(startDomain(qemu, missing.uuid));
    assert.is(noVol.code, ErrorCode.NO_STORAGE_VOL);
    assert.match(noVol.message, "no storage vol with matching name 'nope.qcow2'");
    assert.equal(qemusMentioning(root), []);
    assert.is((await getDomainState(qemu, missing.uuid)).state, DomainState.SHUTOFF);

    // virtstoraged restarts under virtqemud's open link: the next start reaches the new one.
    await storaged.stop();
    storaged = await spawnNamedDaemon('virtstoraged', root);
    daemons.push(storaged);
    if (!(await isPoolActive(storage, pool.uuid))) await startPool(storage, pool.uuid);

    const serialLog = join(root, 'serial.log');
    const dom = await defineDomain(qemu, guestXml('vol-guest', serialLog, { pool: POOL, volume: 'clone.qcow2' }));
    const started = Date.now();
    await startDomain(qemu, dom.uuid);
    await waitFor(() => serialText(serialLog).includes('TSVIRT-DISK-'), 60_000, 'the guest to read its disk');
    const bootMs = Date.now() - started;
    const diskLine = serialText(serialLog)
      .split(/\r?\n/)
      .find((line) => line.startsWith('TSVIRT-DISK-'));
    assert.is(diskLine, 'TSVIRT-DISK-MARKER volume');

    const live = await getDomainXML(qemu, dom.uuid);
    assert.match(live, `<source pool='${POOL}' volume='clone.qcow2' file='${clonePath}'/>`);
    // No <driver type> was given: the volume's format is used, as libvirt does.
    assert.match(live, `<driver name='qemu' type='qcow2'/>`);
    const inactive = await getDomainXML(qemu, dom.uuid, { inactive: true });
    assert.match(inactive, `<source pool='${POOL}' volume='clone.qcow2'/>`);
    assert.match(inactive, `<driver name='qemu'/>`);
    const [pid] = qemusMentioning(dom.uuid);
    assert.ok(pid !== undefined, 'a QEMU runs for the guest');
    const cmdline = qemuCmdline(pid);
    assert.match(cmdline, `"filename":"${clonePath}"`);
    assert.match(cmdline, `"driver":"qcow2"`);

    // A virtqemud restart: the guest keeps running and its live XML keeps the resolved path.
    await daemons[1]!.stop();
    assert.equal(qemusMentioning(dom.uuid), [pid]);
    daemons.push(await spawnNamedDaemon('virtqemud', root));
    qemu = await connect('qemu:///session');
    assert.is((await getDomainState(qemu, dom.uuid)).state, DomainState.RUNNING);
    assert.is(await getDomainXML(qemu, dom.uuid), live);
    await destroyDomain(qemu, dom.uuid);
    assert.equal(qemusMentioning(root), []);

    // An inactive pool, and an unknown one: refused before QEMU, named as libvirt names them.
    await destroyPool(storage, (await lookupPoolByName(storage, POOL)).uuid);
    const inactivePool = await rejectionOf(startDomain(qemu, dom.uuid));
    assert.is(inactivePool.code, ErrorCode.CONFIG_UNSUPPORTED);
    assert.is(inactivePool.message, `storage pool '${POOL}' containing volume 'clone.qcow2' is not active`);
    const unknown = await defineDomain(
      qemu,
      guestXml('vol-nopool', join(root, 'nopool.log'), { pool: 'nopool', volume: 'x' }),
    );
    const noPool = await rejectionOf(startDomain(qemu, unknown.uuid));
    assert.is(noPool.code, ErrorCode.NO_STORAGE_POOL);
    assert.match(noPool.message, "no storage pool with matching name 'nopool'");
    assert.equal(qemusMentioning(root), []);
    assert.is((await getDomainState(qemu, dom.uuid)).state, DomainState.SHUTOFF);
    process.stdout.write(`  volume guest read its disk ${bootMs} ms after start\n`);
  });
});

test('a system virtqemud with no virtstoraged refuses a volume disk, naming the storage daemon, and starts nothing', async () => {
  await withRoot(async (root, daemons, conns) => {
    daemons.push(
      await spawnDaemon({
        script: daemonBin('virtqemud'),
        args: ['--system'],
        root,
        waitForSocket: join(root, 'run', 'virtqemud-sock'),
      }),
    );
    const qemu = await open('qemu:///system', { env: { ...process.env, TSVIRT_ROOT: root } });
    conns.push(qemu);
    const dom = await defineDomain(qemu, guestXml('vol-nodaemon', join(root, 's.log'), { pool: POOL, volume: 'v' }));
    const err = await rejectionOf(startDomain(qemu, dom.uuid));
    assert.is(err.code, ErrorCode.NO_CONNECT);
    assert.match(err.message, `the storage daemon is not running: cannot connect to '${root}/run/virtstoraged-sock'`);
    assert.equal(qemusMentioning(root), []);
    assert.is((await getDomainState(qemu, dom.uuid)).state, DomainState.SHUTOFF);
    // System mode never autostarts a daemon.
    assert.is(pidFromRoot(root, 'virtstoraged'), undefined);
    assert.not.ok(existsSync(join(root, 'run', 'virtqemud', 'domain-1')));
  });
});

test('a session virtqemud autostarts virtstoraged of its own root, as a session client does', async () => {
  await withRoot(async (root, daemons, conns) => {
    daemons.push(await spawnNamedDaemon('virtqemud', root));
    const qemu = await open('qemu:///session', { env: { ...process.env, TSVIRT_ROOT: root }, autostart: false });
    conns.push(qemu);
    const dom = await defineDomain(qemu, guestXml('vol-autostart', join(root, 's.log'), { pool: POOL, volume: 'v' }));
    const err = await rejectionOf(startDomain(qemu, dom.uuid));
    // The autostarted daemon answered: it has no such pool.
    assert.is(err.code, ErrorCode.NO_STORAGE_POOL);
    assert.match(err.message, `no storage pool with matching name '${POOL}'`);
    const pid = pidFromRoot(root, 'virtstoraged');
    assert.ok(pid !== undefined && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(root));
    assert.equal(qemusMentioning(root), []);
  });
});

test.run();
