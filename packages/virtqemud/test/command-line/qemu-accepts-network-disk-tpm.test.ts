/**
 * The golden argv of disk-network-nbd and tpm-emulator against the installed QEMU, with the
 * servers they name made real in a temp dir: qemu-nbd on a loopback TCP port and on a unix
 * socket, and a swtpm on a fresh TPM 2.0 state. QEMU starts paused, is checked over QMP
 * (query-block, query-tpm) and quits. Every process is killed by PID in a finally.
 *
 * The other new fixtures cannot run here: hostdev-pci needs a host device bound to vfio-pci,
 * tpm-passthrough a /dev/tpm0, and disk-network-protocols servers of six protocols whose QEMU
 * modules (qemu-block-extra) are not installed; their refusals are tested in driver/.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isGone, makeTempRoot, removeTempRoot, waitFor } from '@tsvirt/common/testing';
import type { DomainDef } from '../../src/conf/domain-def.js';
import { buildQemuCommandLine, type QemuRuntimeInfo } from '../../src/qemu/command-line/index.js';
import { connectUnix, quit, type QmpConnection } from '../../src/qemu/monitor/index.js';
import { ensureTpm2State, spawnSwtpm } from '../../src/host/swtpm.js';
import { freeLoopbackPort, isListening } from '../loopback-ports.js';
import { HAVE_KVM, loadDef } from './fixtures.js';

function rawImage(path: string): void {
  const fd = openSync(path, 'w');
  writeSync(fd, Buffer.alloc(1024 * 1024));
  closeSync(fd);
}

/** Builds the fixture's argv against `runtime`, runs it paused, hands QMP to `body`, then quits. */
async function runPaused(
  def: DomainDef,
  runtime: QemuRuntimeInfo,
  pids: number[],
  body: (qmp: QmpConnection) => Promise<void>,
): Promise<void> {
  const { binary, args } = buildQemuCommandLine(def, runtime);
  let output = '';
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid !== undefined) pids.push(child.pid);
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise((resolve) => child.on('close', resolve));
  let qmp: QmpConnection;
  try {
    qmp = await connectUnix(runtime.monitorSocket, { timeoutMs: 20_000, retryUntil: exited });
  } catch (err) {
    throw new Error(`${(err as Error).message}\nQEMU said: ${output}`);
  }
  await body(qmp);
  await quit(qmp);
  assert.is(await exited, 0, `QEMU exit status; it said: ${output}`);
}

function runtimeIn(root: string, def: DomainDef): QemuRuntimeInfo {
  return {
    accel: def.type === 'kvm' && HAVE_KVM ? 'kvm' : 'tcg',
    monitorSocket: join(root, 'm.sock'),
    pidFile: join(root, 'q.pid'),
    taps: {},
    volumePaths: {},
  };
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

interface BlockEntry {
  qdev?: string;
  inserted?: { file: string; ro: boolean; drv: string };
}

test('disk-network-nbd: QEMU opens the TCP and the unix-socket NBD exports as its two virtio disks', async () => {
  const root = makeTempRoot();
  const pids: number[] = [];
  try {
    const def = loadDef('disk-network-nbd.xml');
    const port = await freeLoopbackPort();
    const socket = join(root, 'nbd.sock');
    rawImage(join(root, 'tcp.img'));
    rawImage(join(root, 'unix.img'));
    const nbd = (args: string[]): void => {
      const child = spawn('qemu-nbd', ['--format=raw', '--persistent', '--export-name=export', ...args], {
        stdio: 'ignore',
      });
      if (child.pid !== undefined) pids.push(child.pid);
    };
    nbd(['--bind=127.0.0.1', `--port=${port}`, join(root, 'tcp.img')]);
    nbd([`--socket=${socket}`, '--read-only', join(root, 'unix.img')]);
    await waitFor(() => existsSync(socket), 10_000, 'qemu-nbd on its unix socket');
    await waitFor(() => isListening(port), 10_000, 'qemu-nbd on TCP');
    // The fixture's servers, moved to the ones just started.
    const [tcpDisk, unixDisk] = def.devices.disks;
    tcpDisk!.source!.hosts = [{ name: '127.0.0.1', port }];
    unixDisk!.source!.hosts = [{ transport: 'unix', socket }];
    await runPaused(def, runtimeIn(root, def), pids, async (qmp) => {
      const block = await qmp.execute<BlockEntry[]>('query-block');
      assert.equal(
        block.map((b) => [b.qdev, b.inserted?.file, b.inserted?.ro, b.inserted?.drv]),
        [
          ['/machine/peripheral/virtio-disk0/virtio-backend', `nbd://127.0.0.1:${port}/export`, false, 'raw'],
          ['/machine/peripheral/virtio-disk1/virtio-backend', `nbd+unix:///export?socket=${socket}`, true, 'raw'],
        ],
      );
    });
  } finally {
    killAll(pids);
    removeTempRoot(root);
  }
});

test('tpm-emulator: QEMU connects to a real swtpm and shows a TPM 2.0 CRB device', async () => {
  const root = makeTempRoot();
  const pids: number[] = [];
  try {
    const def = loadDef('tpm-emulator.xml');
    const state = join(root, 'tpm2');
    const logFile = join(root, 'swtpm.log');
    await ensureTpm2State(state, 'argv-test', logFile);
    const swtpm = await spawnSwtpm({ stateDir: state, ctrlSocket: join(root, 'swtpm.sock'), logFile });
    pids.push(swtpm.pid);
    const runtime = { ...runtimeIn(root, def), tpmSocket: join(root, 'swtpm.sock') };
    await runPaused(def, runtime, pids, async (qmp) => {
      const tpms = await qmp.execute<Array<{ model: string; id: string; options: { type: string } }>>('query-tpm');
      assert.equal(
        tpms.map((t) => [t.model, t.id, t.options.type]),
        [['tpm-crb', 'tpm-tpm0', 'emulator']],
      );
    });
    // --terminate: swtpm ends once QEMU, its only client, has gone.
    await waitFor(() => isGone(swtpm.pid), 10_000, 'swtpm to end after QEMU quit');
  } finally {
    killAll(pids);
    removeTempRoot(root);
  }
});

test.run();
