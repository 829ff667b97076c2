/**
 * Network namespaces for the real host tests: every command of these tests runs under
 * `ip netns exec`, so the host's own interfaces, routes, sysctls and firewall are never touched.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runHostCommand, runnerInNamespace, type CommandRunner } from '../../src/host/command.js';

export interface TestNamespace {
  name: string;
  run: CommandRunner;
}

export async function addNamespace(name: string): Promise<TestNamespace> {
  await runHostCommand(['ip', 'netns', 'add', name]);
  const run = runnerInNamespace(name);
  await run(['ip', 'link', 'set', 'dev', 'lo', 'up']);
  return { name, run };
}

/** Deleting the namespace takes its veths and bridges with it. */
export async function deleteNamespace(name: string): Promise<void> {
  await runHostCommand(['ip', 'netns', 'del', name]).catch(() => undefined);
}

/** A busybox with udhcpc: the one on PATH, else Debian's busybox-static unpacked into `dir` (as the test guest build does). */
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
