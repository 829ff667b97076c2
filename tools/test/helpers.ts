/** Test helpers: temp roots, a real virtqemud started and stopped by PID, and tsvirsh as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { findDaemonExecutable } from '@tsvirt/client';

/** tests run from tools/dist/test/, the bin stays in tools/bin/ */
export const TSVIRSH = fileURLToPath(new URL('../../bin/tsvirsh.js', import.meta.url));

export function makeRoot(): string {
  return mkdtempSync(join(tmpdir(), 'tsvirsh-test-'));
}

export function removeRoot(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

/** The environment for a tsvirsh or daemon living in `root`, with no default URI leaking in from outside. */
export function envFor(root: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TSVIRT_ROOT: root, XDG_CACHE_HOME: join(root, 'cache'), ...extra };
  delete env.TSVIRT_DEFAULT_URI;
  delete env.LIBVIRT_DEFAULT_URI;
  return env;
}

const isAlive = (pid: number): boolean => {
  try {
    // a zombie still answers kill(0) but is gone for our purposes
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
};

/** Stops the process `pid`: SIGTERM, then SIGKILL if it is still there after `graceMs`. */
export async function stopPid(pid: number, graceMs = 5000): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(25);
  if (isAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone in the meantime
    }
  }
}

/** Stops the daemon whose pidfile is in `root` (one that tsvirsh autostarted). */
export async function stopDaemonOfRoot(root: string): Promise<void> {
  const pidFile = join(root, 'run', 'virtqemud.pid');
  // a daemon that answered may still be a moment away from its pidfile
  const deadline = Date.now() + 2000;
  while (!existsSync(pidFile) && existsSync(join(root, 'run')) && Date.now() < deadline) await sleep(25);
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0) await stopPid(pid);
}

/** Starts virtqemud in session mode on `root` and waits for its socket. */
export async function startDaemon(root: string): Promise<ChildProcess> {
  const executable = findDaemonExecutable('virtqemud', process.env);
  if (!executable) throw new Error('virtqemud not found');
  const child = spawn(process.execPath, [executable, '--session', '--root', root, '--timeout', '60'], {
    env: envFor(root),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const socket = join(root, 'run', 'virtqemud-sock');
  const deadline = Date.now() + 10_000;
  while (!existsSync(socket)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      if (child.pid) await stopPid(child.pid);
      throw new Error(`virtqemud did not start: ${stderr}`);
    }
    await sleep(20);
  }
  return child;
}

/** Runs `body` with a fresh root and a daemon in it; the daemon is stopped and the root removed, pass or fail. */
export async function withDaemon(body: (root: string) => Promise<void>): Promise<void> {
  const root = makeRoot();
  let daemon: ChildProcess | undefined;
  try {
    daemon = await startDaemon(root);
    await body(root);
  } finally {
    if (daemon?.pid) await stopPid(daemon.pid);
    removeRoot(root);
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs tsvirsh with `args`, feeding `input` (if any) on a pipe. */
export function runTsvirsh(
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
  timeoutMs = 20_000,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSVIRSH, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tsvirsh ${args.join(' ')} timed out; stdout: ${stdout} stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/** Output lines without the blank lines virsh puts after each command. */
export const nonBlankLines = (text: string): string[] => text.split(/\r?\n/).filter((line) => line.trim() !== '');

/** Writes a minimal domain XML (no OS: it idles under KVM) into `root` and returns its path. */
export function writeDomain(root: string, name: string, uuid: string, memoryMiB = 32, vcpus = 1): string {
  const file = join(root, `${name}.xml`);
  writeFileSync(
    file,
    `<domain type='kvm'>
  <name>${name}</name>
  <uuid>${uuid}</uuid>
  <memory unit='MiB'>${memoryMiB}</memory>
  <vcpu>${vcpus}</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
</domain>
`,
  );
  return file;
}

/** Live QEMUs whose command line mentions `marker` (the root: QEMU's socket paths are under it). */
export function qemusUnder(marker: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
        return (
          readFileSync(`/proc/${entry}/comm`, 'utf8').startsWith('qemu') &&
          readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Runs `body` with a virtqemud in a fresh root; the daemon and any guest it left are stopped by PID. */
export async function withQemuDaemon(body: (root: string) => Promise<void>): Promise<void> {
  const root = makeRoot();
  let daemon: ChildProcess | undefined;
  try {
    daemon = await startDaemon(root);
    await body(root);
  } finally {
    if (daemon?.pid) await stopPid(daemon.pid);
    for (const pid of qemusUnder(root)) await stopPid(pid, 2000);
    removeRoot(root);
  }
}
