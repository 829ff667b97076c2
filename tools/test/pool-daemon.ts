/**
 * A real virtstoraged for the pool and volume command tests: started in session mode on a
 * fresh temp root, stopped by PID, the root removed, pass or fail. tsvirsh reaches it as
 * `storage:///session`, which needs no other daemon.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findDaemonExecutable } from '@tsvirt/client';
import { envFor, makeRoot, removeRoot, runTsvirsh, stopPid, type RunResult } from './helpers.js';

export const STORAGE_URI = ['-c', 'storage:///session'];

async function startStorageDaemon(root: string): Promise<ChildProcess> {
  const executable = findDaemonExecutable('virtstoraged', process.env);
  if (!executable) throw new Error('virtstoraged not found');
  const child = spawn(process.execPath, [executable, '--session', '--root', root, '--timeout', '120'], {
    env: envFor(root),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const socket = join(root, 'run', 'virtstoraged-sock');
  const deadline = Date.now() + 15_000;
  while (!existsSync(socket)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      if (child.pid) await stopPid(child.pid);
      throw new Error(`virtstoraged did not start: ${stderr}`);
    }
    await sleep(20);
  }
  return child;
}

/** Runs `body` with a fresh root and a virtstoraged serving it. */
export async function withStorageDaemon(body: (root: string) => Promise<void>): Promise<void> {
  const root = makeRoot();
  let daemon: ChildProcess | undefined;
  try {
    daemon = await startStorageDaemon(root);
    await body(root);
  } finally {
    if (daemon?.pid) await stopPid(daemon.pid);
    removeRoot(root);
  }
}

/** tsvirsh on the storage URI of `root`, with `input` (if any) on its stdin. */
export function storageVirsh(
  root: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  input?: string,
): Promise<RunResult> {
  return runTsvirsh([...STORAGE_URI, ...args], envFor(root, env), input, 60_000);
}

/** The outcome of a run as one comparable triple. */
export const outcome = (r: RunResult): [number | null, string, string] => [r.code, r.stdout, r.stderr];

/** Runs `args` (quiet: without the blank line after the command) and asserts it succeeded, returning its stdout. */
export async function ok(root: string, ...args: string[]): Promise<string> {
  const result = await storageVirsh(root, ['-q', ...args]);
  if (result.code !== 0) {
    throw new Error(`tsvirsh ${args.join(' ')} failed (${result.code}): ${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}
