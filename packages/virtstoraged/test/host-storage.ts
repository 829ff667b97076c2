/**
 * Test support for pools on block devices: loop devices made from image files in the
 * test's temp root, and a private mount namespace the daemon runs in, so whatever the
 * daemon (or the test) mounts never appears in the host's mount table and goes away with
 * the namespace even if the test dies before its cleanup.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Connection } from '@tsvirt/client';
import {
  daemonBin,
  makeTempRoot,
  removeTempRoot,
  spawnDaemon,
  waitFor,
  type DaemonProcess,
} from '@tsvirt/common/testing';

/** A loop device over a new sparse image file of `bytes`; `detach` frees both. */
export interface LoopDevice {
  device: string;
  image: string;
  detach(): void;
}

export function makeLoopDevice(image: string, bytes: number): LoopDevice {
  execFileSync('truncate', ['-s', String(bytes), image]);
  const device = execFileSync('losetup', ['--find', '--show', image], { encoding: 'utf8' }).trim();
  return {
    device,
    image,
    detach() {
      try {
        execFileSync('losetup', ['-d', device], { stdio: 'ignore' });
      } finally {
        rmSync(image, { force: true });
      }
    },
  };
}

/** A process holding a private mount namespace; commands and daemons enter it with nsenter. */
export interface MountNamespace {
  pid: number;
  /** Runs a command inside the namespace and returns its stdout. */
  exec(argv: string[]): string;
  /** The namespace's view of an absolute path (through /proc/PID/root). */
  path(path: string): string;
  /** `findmnt` of `target` inside the namespace: source and fstype, or undefined when nothing is mounted there. */
  mountAt(target: string): { source: string; fstype: string } | undefined;
  close(): Promise<void>;
}

export async function makeMountNamespace(): Promise<MountNamespace> {
  const child: ChildProcess = spawn('unshare', ['-m', '--propagation', 'private', 'sleep', '3600'], {
    stdio: 'ignore',
  });
  const pid = child.pid!;
  // unshare execs sleep once the namespace is made: its mount namespace then differs from ours.
  const ours = readNs('self');
  await waitFor(
    () => readNs(String(pid)) !== ours && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep',
    5000,
    'mount namespace',
  );
  const ns: MountNamespace = {
    pid,
    exec: (argv) => execFileSync('nsenter', ['-t', String(pid), '-m', '--', ...argv], { encoding: 'utf8' }),
    path: (path) => `/proc/${pid}/root${path}`,
    mountAt(target) {
      try {
        const out = ns.exec(['findmnt', '-n', '-o', 'SOURCE,FSTYPE', '--mountpoint', target]).trim();
        const [source, fstype] = out.split(/\s+/);
        return source ? { source, fstype: fstype ?? '' } : undefined;
      } catch {
        return undefined;
      }
    },
    async close() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  return ns;
}

function readNs(pid: string): string {
  try {
    return execFileSync('readlink', [`/proc/${pid}/ns/mnt`], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/** Whether `target` is in the host's (this process's) mount table: it must never be. */
export function hostHasMount(target: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[4] === target);
}

export interface NamespacedStorageEnv {
  root: string;
  scratch: string;
  ns: MountNamespace;
  daemons: DaemonProcess[];
  startDaemon(): Promise<DaemonProcess>;
  connect(): Promise<Connection>;
  close(): Promise<void>;
}

/** A virtstoraged in a temp root, running inside a private mount namespace. */
export async function namespacedStorageEnv(): Promise<NamespacedStorageEnv> {
  const root = makeTempRoot();
  const scratch = join(root, 'scratch');
  execFileSync('mkdir', ['-p', scratch]);
  const ns = await makeMountNamespace();
  const conns: Connection[] = [];
  const env: NamespacedStorageEnv = {
    root,
    scratch,
    ns,
    daemons: [],
    async startDaemon() {
      const daemon = await spawnDaemon({
        script: daemonBin('virtstoraged'),
        args: ['--session'],
        root,
        wrapper: ['nsenter', '-t', String(ns.pid), '-m', '--'],
        waitForSocket: join(root, 'run', 'virtstoraged-sock'),
      });
      env.daemons.push(daemon);
      return daemon;
    },
    async connect() {
      const conn = await open('storage:///session', {
        env: { ...process.env, TSVIRT_ROOT: root },
        autostart: false,
      });
      conns.push(conn);
      return conn;
    },
    async close() {
      for (const conn of conns) await conn.close().catch(() => undefined);
      for (const daemon of env.daemons) await daemon.stop(2000);
      await ns.close();
      removeTempRoot(root);
    },
  };
  return env;
}
