/**
 * Test support: find processes a test started indirectly (a QEMU spawned by a daemon)
 * by a marker in their command line, such as the test's unique temp root, and stop
 * them by PID.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** True once `pid` has exited; a zombie waiting to be reaped counts as gone. */
export function isGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Live processes whose command line contains `marker`. */
export function pidsMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (isGone(Number(entry))) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** SIGKILLs every live process mentioning `marker` (e.g. guests a test left running); returns their pids. */
export function killProcessesMentioning(marker: string): number[] {
  const pids = pidsMentioning(marker);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids;
}
