/**
 * Test support: real daemon processes in throw-away roots, always stopped by PID.
 * Exported as `@tsvirt/common/testing` so every package's tests start daemons the
 * same way; nothing here is used at run time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DaemonName } from '../protocol/daemons.js';

/** Polls `check` every 10 ms until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** True when something accepts connections on the unix socket at `path`. */
export function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A fresh directory to use as TSVIRT_ROOT. Short, because unix socket paths are limited to 107 bytes. */
export function makeTempRoot(): string {
  return mkdtempSync(join(tmpdir(), 'tsv-'));
}

export function removeTempRoot(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

/** The `bin/<daemon>.js` of an installed daemon package. */
export function daemonBin(daemon: DaemonName): string {
  const packageJson = createRequire(import.meta.url).resolve(`@tsvirt/${daemon}/package.json`);
  return join(dirname(packageJson), 'bin', `${daemon}.js`);
}

export interface DaemonProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything the daemon wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<number | string>;
}

export interface SpawnDaemonOptions {
  /** A script to run with node, or a daemon name whose bin to run. */
  script: string;
  args?: string[];
  root?: string;
  env?: NodeJS.ProcessEnv;
  /** Wait until this socket accepts connections before resolving. */
  waitForSocket?: string;
  /** Prefix command, e.g. `['systemd-socket-activate', '-l', path]`; the node command follows it. */
  wrapper?: string[];
}

export async function spawnDaemon(options: SpawnDaemonOptions): Promise<DaemonProcess> {
  const env = { ...process.env, ...options.env };
  if (options.root) env.TSVIRT_ROOT = options.root;
  const command = [...(options.wrapper ?? []), process.execPath, options.script, ...(options.args ?? [])];
  const child = spawn(command[0]!, command.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  let ended = false;
  void exited.then(() => (ended = true));
  const stop = async (graceMs = 5000): Promise<number | string> => {
    if (!ended) child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (!ended) child.kill('SIGKILL');
    }, graceMs);
    const result = await exited;
    clearTimeout(timer);
    return result;
  };
  const handle: DaemonProcess = { child, pid: child.pid!, output: () => output, exited, stop };
  if (options.waitForSocket) {
    try {
      // A leftover socket file from a killed daemon exists but refuses: wait for a real listener.
      await waitFor(
        async () => ended || (await socketAnswers(options.waitForSocket!)),
        15_000,
        `socket ${options.waitForSocket}`,
      );
    } catch (err) {
      await stop();
      throw err;
    }
    if (ended) throw new Error(`daemon exited before listening: ${output}`);
  }
  return handle;
}

/** Starts `daemon` from its package in `root` and waits for its read-write socket. */
export function spawnNamedDaemon(
  daemon: DaemonName,
  root: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
  options: Pick<SpawnDaemonOptions, 'wrapper'> = {},
): Promise<DaemonProcess> {
  return spawnDaemon({
    script: daemonBin(daemon),
    args: ['--session', ...args],
    root,
    env,
    waitForSocket: join(root, 'run', `${daemon}-sock`),
    ...options,
  });
}

/** The pid recorded in a root's pidfile, to stop daemons the client autostarted. */
export function pidFromRoot(root: string, daemon: DaemonName): number | undefined {
  try {
    const pid = Number(readFileSync(join(root, 'run', `${daemon}.pid`), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Kills an autostarted daemon by the pid in its pidfile and waits until it is gone. */
export async function stopDaemonByPidFile(root: string, daemon: DaemonName): Promise<void> {
  const pid = pidFromRoot(root, daemon);
  if (!pid) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const gone = (): boolean => {
    try {
      process.kill(pid, 0);
      // A zombie still answers signal 0; treat a missing /proc entry or state Z as gone.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.split(') ')[1]?.startsWith('Z') ?? true;
    } catch {
      return true;
    }
  };
  try {
    await waitFor(gone, 5000, `pid ${pid} to exit`);
  } catch {
    process.kill(pid, 'SIGKILL');
  }
}
