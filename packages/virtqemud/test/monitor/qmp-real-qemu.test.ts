/** The QMP monitor against the installed QEMU: real greeting, real shapes, real events, and a real exit. Every QEMU is killed by PID. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeTempRoot, removeTempRoot, waitFor } from '@tsvirt/common/testing';
import {
  connectUnix,
  cont,
  queryBalloon,
  queryBlockstats,
  queryChardev,
  queryCpusFast,
  queryKvm,
  queryMachines,
  queryStatus,
  queryVersion,
  queryVnc,
  quit,
  stop,
  systemReset,
  type QmpConnection,
  type QmpLog,
} from '../../src/qemu/monitor/index.js';

const QEMU = process.env.QEMU_BINARY ?? 'qemu-system-x86_64';

interface RunningQemu {
  child: ChildProcess;
  pid: number;
  root: string;
  exited: Promise<number | string>;
  output(): string;
  qmp: QmpConnection;
  /** Milliseconds from spawn to the QMP greeting. */
  greetingMs: number;
}

/** Starts QEMU paused (-S) with its QMP socket in a fresh directory and connects to it. */
async function startQemu(machineArgs: string[], root = makeTempRoot()): Promise<RunningQemu> {
  const socket = join(root, 'qmp.sock');
  const started = performance.now();
  let greetingAt = 0;
  const log: QmpLog = {
    debug: (_obj, msg) => {
      if (msg === 'QMP greeting') greetingAt = performance.now();
    },
    warn: () => undefined,
  };
  const child = spawn(
    QEMU,
    [
      ...machineArgs,
      '-accel',
      'tcg',
      '-nodefaults',
      '-display',
      'none',
      '-S',
      '-qmp',
      `unix:${socket},server=on,wait=off`,
      '-pidfile',
      join(root, 'qemu.pid'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // 'close' rather than 'exit': it comes after QEMU's stderr has been read to the end.
  const exited = new Promise<number | string>((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  child.on('error', (err) => (output += `spawn failed: ${err.message}`));
  const partial = { child, pid: child.pid!, root, exited, output: () => output };
  try {
    const qmp = await connectUnix(socket, { timeoutMs: 20_000, retryUntil: exited, log });
    return { ...partial, qmp, greetingMs: greetingAt - started };
  } catch (err) {
    await killQemu(partial);
    throw new Error(`${(err as Error).message}\nQEMU said: ${output}`);
  }
}

/** SIGKILL by PID unless it has exited already, then wait until it has; removes its directory. */
async function killQemu(qemu: Pick<RunningQemu, 'child' | 'pid' | 'exited' | 'root'>): Promise<void> {
  if (qemu.child.exitCode === null && qemu.child.signalCode === null && qemu.pid) {
    try {
      process.kill(qemu.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await qemu.exited;
  removeTempRoot(qemu.root);
}

test('machine none: greeting, version, status, KVM, machines, then quit ends in EOF and exit', async () => {
  const qemu = await startQemu(['-machine', 'none']);
  try {
    console.log(`  QEMU (-machine none): spawn → QMP greeting in ${qemu.greetingMs.toFixed(1)} ms`);
    assert.ok(qemu.greetingMs > 0);
    assert.is(Number(readFileSync(join(qemu.root, 'qemu.pid'), 'utf8').trim()), qemu.pid);
    const { qmp } = qemu;

    const version = await queryVersion(qmp);
    assert.equal(version, qmp.version, 'query-version agrees with the greeting');
    assert.is(version.major, 7);

    assert.equal(await queryStatus(qmp), { running: false, status: 'prelaunch' });
    const kvm = await queryKvm(qmp);
    assert.is(kvm.enabled, false, 'started with -accel tcg');
    assert.is(kvm.present, existsSync('/dev/kvm'));

    const machines = await queryMachines(qmp);
    const pc = machines.find((m) => m.name === `pc-i440fx-${version.major}.${version.minor}`);
    assert.ok(pc, 'the current i440fx machine is listed');
    assert.is(pc.alias, 'pc');
    assert.is(pc.isDefault, true);
    assert.ok(pc.cpuMax >= 255);
    assert.ok(machines.some((m) => m.name === 'none'));
    assert.is(machines.filter((m) => m.isDefault).length, 1);

    const shutdown = qmp.waitForEvent('SHUTDOWN', { timeoutMs: 5000 });
    await quit(qmp);
    assert.equal((await shutdown).data, { guest: false, reason: 'host-qmp-quit' });
    assert.equal(await qmp.closed, { reason: 'eof' });
    assert.is(await qemu.exited, 0);
  } finally {
    await killQemu(qemu);
  }
});

test('machine pc: cont/stop with events, reset, balloon, vCPU threads, chardev pty, block stats, VNC', async () => {
  const root = makeTempRoot();
  writeFileSync(join(root, 'disk.img'), Buffer.alloc(1024 * 1024));
  const qemu = await startQemu(
    [
      '-machine',
      'pc',
      '-m',
      '64',
      '-smp',
      '2',
      '-device',
      'virtio-balloon-pci',
      '-chardev',
      'pty,id=charserial0',
      '-device',
      'isa-serial,chardev=charserial0',
      '-drive',
      `file=${join(root, 'disk.img')},format=raw,if=none,id=drive0`,
      '-device',
      'virtio-blk-pci,drive=drive0,id=disk0',
      '-vnc',
      `unix:${join(root, 'vnc.sock')}`,
    ],
    root,
  );
  try {
    console.log(`  QEMU (-machine pc): spawn → QMP greeting in ${qemu.greetingMs.toFixed(1)} ms`);
    const { qmp } = qemu;
    assert.equal(await queryStatus(qmp), { running: false, status: 'prelaunch' });

    const resumed = qmp.waitForEvent('RESUME', { timeoutMs: 5000 });
    await cont(qmp);
    await resumed;
    assert.equal(await queryStatus(qmp), { running: true, status: 'running' });

    const stopped = qmp.waitForEvent('STOP', { timeoutMs: 5000 });
    await stop(qmp);
    const stopEvent = await stopped;
    assert.equal(stopEvent.data, {});
    assert.ok(stopEvent.timestamp.seconds > 1_600_000_000);
    assert.equal(await queryStatus(qmp), { running: false, status: 'paused' });

    const reset = qmp.waitForEvent('RESET', { timeoutMs: 5000 });
    await systemReset(qmp);
    assert.equal((await reset).data, { guest: false, reason: 'host-qmp-system-reset' });

    assert.equal(await queryBalloon(qmp), { actual: 64 * 1024 * 1024 });

    const cpus = await queryCpusFast(qmp);
    assert.equal(
      cpus.map((c) => c.cpuIndex),
      [0, 1],
    );
    for (const cpu of cpus) assert.ok(existsSync(`/proc/${qemu.pid}/task/${cpu.threadId}`), 'a thread of QEMU');

    const chardevs = await queryChardev(qmp);
    const serial = chardevs.find((c) => c.label === 'charserial0');
    assert.ok(serial?.ptyPath?.startsWith('/dev/pts/'), JSON.stringify(chardevs));
    assert.ok(existsSync(serial!.ptyPath!));

    const blockstats = await queryBlockstats(qmp);
    assert.is(blockstats.length, 1);
    assert.is(blockstats[0]!.device, 'drive0');
    assert.is(blockstats[0]!.qdev, '/machine/peripheral/disk0/virtio-backend');
    assert.is(typeof blockstats[0]!.rdBytes, 'number');

    const vnc = await queryVnc(qmp);
    assert.is(vnc.enabled, true);
    assert.is(vnc.family, 'unix');

    await quit(qmp);
    assert.is((await qmp.closed).reason, 'eof');
    assert.is(await qemu.exited, 0);
  } finally {
    await killQemu(qemu);
  }
});

test('a QEMU killed under us is noticed at once as EOF', async () => {
  const qemu = await startQemu(['-machine', 'none']);
  try {
    const closedAt = qemu.qmp.closed.then(() => performance.now());
    const killedAt = performance.now();
    process.kill(qemu.pid, 'SIGKILL');
    const info = await qemu.qmp.closed;
    assert.equal(info, { reason: 'eof' });
    const noticedMs = (await closedAt) - killedAt;
    console.log(`  QEMU killed: monitor EOF noticed after ${noticedMs.toFixed(1)} ms`);
    assert.ok(noticedMs < 2000);
    await waitFor(() => qemu.child.exitCode !== null || qemu.child.signalCode !== null, 5000, 'QEMU to exit');
  } finally {
    await killQemu(qemu);
  }
});

test('connectUnix reports a QEMU that dies at start at once, not after its timeout', async () => {
  const root = makeTempRoot();
  const started = performance.now();
  try {
    // An unknown machine type makes QEMU exit before it creates the socket.
    await startQemu(['-machine', 'no-such-machine'], root);
    assert.unreachable('QEMU should have failed to start');
  } catch (err) {
    assert.match((err as Error).message, 'gave up connecting');
    assert.match((err as Error).message, 'unsupported machine type');
    assert.ok(performance.now() - started < 10_000);
  }
});

test.run();
