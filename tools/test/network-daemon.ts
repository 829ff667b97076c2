/**
 * A real virtnetworkd for the network command tests, inside a network namespace the test
 * creates: starting a network makes a bridge, dnsmasq and nftables rules, and those must
 * never reach the host's own network. The daemon runs in session mode on a fresh temp root
 * (`network:///session`; tsvirsh outside the namespace reaches it by the socket path) and
 * is stopped by PID, then every process mentioning the root (its dnsmasq), then the
 * namespace goes, taking its links and rules with it, and the root is removed.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findDaemonExecutable } from '@tsvirt/client';
import { envFor, makeRoot, removeRoot, runTsvirsh, stopPid, type RunResult } from './helpers.js';

export const NETWORK_URI = ['-c', 'network:///session'];

let namespaces = 0;

/** `argv` run to completion; rejects with its stderr when it exits non-zero. */
export function run(argv: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${argv.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** `argv` run inside the namespace `ns`. */
export const runIn = (ns: string, argv: readonly string[]): Promise<string> =>
  run(['ip', 'netns', 'exec', ns, ...argv]);

/** A namespace with its loopback up; the caller deletes it. */
export async function addNamespace(name: string): Promise<void> {
  await run(['ip', 'netns', 'add', name]);
  await runIn(name, ['ip', 'link', 'set', 'dev', 'lo', 'up']);
}

export async function deleteNamespace(name: string): Promise<void> {
  await run(['ip', 'netns', 'del', name]).catch(() => undefined);
}

/** Whether the link `dev` exists in `ns`. */
export async function linkExists(ns: string, dev: string): Promise<boolean> {
  try {
    const links = JSON.parse(await run(['ip', '-n', ns, '-j', 'link', 'show', 'dev', dev])) as { ifname: string }[];
    return links.some((l) => l.ifname === dev);
  } catch {
    return false;
  }
}

/** Live processes (not this one) whose command line mentions `marker`: what the daemon started under its root. */
export function processesMentioning(marker: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
        return readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function startNetworkDaemon(root: string, ns: string): Promise<ChildProcess> {
  const executable = findDaemonExecutable('virtnetworkd', process.env);
  if (!executable) throw new Error('virtnetworkd not found');
  const child = spawn(
    'ip',
    ['netns', 'exec', ns, process.execPath, executable, '--session', '--root', root, '--timeout', '120'],
    { env: envFor(root), stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const socket = join(root, 'run', 'virtnetworkd-sock');
  const deadline = Date.now() + 15_000;
  while (!existsSync(socket)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      if (child.pid) await stopPid(child.pid);
      throw new Error(`virtnetworkd did not start: ${stderr}`);
    }
    await sleep(20);
  }
  // `ip netns exec` execs its command: the pid we stop later must be node itself
  if (!child.pid || readlinkSync(`/proc/${child.pid}/exe`) !== readlinkSync(`/proc/${process.pid}/exe`)) {
    if (child.pid) await stopPid(child.pid);
    throw new Error('the daemon pid is not the node process');
  }
  return child;
}

export interface NetworkTestEnv {
  root: string;
  /** The namespace the daemon (and so every bridge and dnsmasq it makes) lives in. */
  ns: string;
}

/** Runs `body` with a fresh root and namespace and a virtnetworkd in them; all of it is gone afterwards, pass or fail. */
export async function withNetworkDaemon(body: (env: NetworkTestEnv) => Promise<void>): Promise<void> {
  const root = makeRoot();
  const ns = `tsv-netcmd-${process.pid}-${namespaces++}`;
  let daemon: ChildProcess | undefined;
  try {
    // dnsmasq drops root and still has to reach its files under the root
    chmodSync(root, 0o755);
    await addNamespace(ns);
    daemon = await startNetworkDaemon(root, ns);
    await body({ root, ns });
  } finally {
    if (daemon?.pid) await stopPid(daemon.pid);
    for (const pid of processesMentioning(root)) await stopPid(pid, 2000);
    await deleteNamespace(ns);
    removeRoot(root);
  }
}

/** tsvirsh on the network URI of `root`, with `input` (if any) on its stdin. */
export function networkVirsh(
  root: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  input?: string,
): Promise<RunResult> {
  return runTsvirsh([...NETWORK_URI, ...args], envFor(root, env), input, 60_000);
}

/** Runs `args` quietly (no blank line after the command) and asserts it succeeded, returning its stdout. */
export async function ok(root: string, ...args: string[]): Promise<string> {
  const result = await networkVirsh(root, ['-q', ...args]);
  if (result.code !== 0) {
    throw new Error(`tsvirsh ${args.join(' ')} failed (${result.code}): ${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

/** A busybox with udhcpc: the one on PATH, else Debian's busybox-static unpacked into `dir`. */
export function findBusybox(dir: string): string {
  for (const d of (process.env.PATH ?? '').split(':')) {
    if (d && existsSync(join(d, 'busybox'))) return join(d, 'busybox');
  }
  execFileSync('apt-get', ['download', 'busybox-static'], { cwd: dir, stdio: 'ignore' });
  const deb = readdirSync(dir).find((f) => f.startsWith('busybox-static') && f.endsWith('.deb'));
  if (!deb) throw new Error('apt-get download busybox-static gave no .deb');
  execFileSync('dpkg-deb', ['-x', join(dir, deb), join(dir, 'bb')]);
  return join(dir, 'bb', 'bin', 'busybox');
}
