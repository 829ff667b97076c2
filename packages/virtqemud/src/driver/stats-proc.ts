/**
 * What the host kernel says about a QEMU process and its taps: CPU time from
 * /proc/<pid>/stat, per-thread run and wait times from schedstat and sched, resident
 * memory from status, and interface counters from /proc/net/dev. Parsers are pure; the
 * readers take the /proc root so that tests can point them at a constructed directory.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * USER_HZ, the unit of utime/stime in /proc/<pid>/stat. The kernel fixes it at 100 on
 * every architecture QEMU/KVM hosts run (x86, arm64, s390x, ppc64); only alpha and ia64
 * differ. `getconf CLK_TCK` would cost a process per call for the same answer.
 */
export const USER_HZ = 100;

/** Where the readers look: `/proc` in production, a directory made by a test otherwise. */
export interface ProcSource {
  procRoot: string;
  /** The per-interface counters file; /proc/net/dev is the reading thread's own network namespace. */
  netDevPath: string;
  clockTicks: number;
}

export const HOST_PROC: ProcSource = { procRoot: '/proc', netDevPath: '/proc/net/dev', clockTicks: USER_HZ };

export interface ProcessCpuTimes {
  userNs: number;
  systemNs: number;
  /** user + system, what libvirt reports as `cpu.time` when it has no cgroup. */
  totalNs: number;
}

/**
 * Fields 14 and 15 (utime, stime) of a stat line. The command name, field 2, may hold
 * spaces and parentheses, so the fields are counted from the last ')'.
 */
export function parseProcStat(text: string, clockTicks: number): ProcessCpuTimes | undefined {
  const end = text.lastIndexOf(')');
  if (end < 0) return undefined;
  // After ')' come field 3 (state) onwards: utime is field 14, so index 11 here.
  const fields = text
    .slice(end + 1)
    .trim()
    .split(/\s+/);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isSafeInteger(utime) || !Number.isSafeInteger(stime)) return undefined;
  const toNs = (ticks: number): number => Math.round((ticks * 1e9) / clockTicks);
  return { userNs: toNs(utime), systemNs: toNs(stime), totalNs: toNs(utime + stime) };
}

export interface ThreadSchedTimes {
  /** Time spent on a CPU, in ns (the scheduler's sum_exec_runtime). */
  runNs: number;
  /** Time spent runnable on a run queue, waiting for a CPU, in ns: libvirt's `vcpu.N.delay`. */
  queuedNs: number;
}

/** `/proc/<pid>/task/<tid>/schedstat`: "<run ns> <run-queue wait ns> <timeslices>". */
export function parseSchedstat(text: string): ThreadSchedTimes | undefined {
  const [run, queued] = text.trim().split(/\s+/).map(Number);
  if (run === undefined || queued === undefined || !Number.isSafeInteger(run) || !Number.isSafeInteger(queued)) {
    return undefined;
  }
  return { runNs: run, queuedNs: queued };
}

/**
 * `wait_sum` of `/proc/<pid>/task/<tid>/sched` (milliseconds with a fraction), in ns:
 * libvirt's `vcpu.N.wait`. Older kernels name it `se.statistics.wait_sum`; it reads 0
 * unless the kernel collects schedstats, as libvirt reports it then too.
 */
export function parseSchedWaitSum(text: string): number | undefined {
  const match = /^(?:se\.statistics\.)?wait_sum\s*:\s*([\d.]+)\s*$/m.exec(text);
  if (!match?.[1]) return undefined;
  const ms = Number(match[1]);
  return Number.isFinite(ms) ? Math.round(ms * 1e6) : undefined;
}

/** `VmRSS:     39812 kB` of `/proc/<pid>/status`, in KiB. */
export function parseVmRssKiB(text: string): number | undefined {
  const match = /^VmRSS:\s*(\d+)\s*kB\s*$/m.exec(text);
  return match?.[1] ? Number(match[1]) : undefined;
}

/** An interface's counters as the host sees them (a tap's rx is what the guest sent). */
export interface NetDevCounters {
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

/**
 * `/proc/net/dev`: two header lines, then `name: rx bytes packets errs drop fifo frame
 * compressed multicast tx bytes packets errs drop ...`. Interface names cannot hold ':'.
 */
export function parseProcNetDev(text: string): Map<string, NetDevCounters> {
  const result = new Map<string, NetDevCounters>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const n = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (!name || n.length < 16 || n.some((v) => !Number.isSafeInteger(v))) continue;
    const at = (i: number): number => n[i] ?? 0;
    result.set(name, {
      rxBytes: at(0),
      rxPackets: at(1),
      rxErrors: at(2),
      rxDropped: at(3),
      txBytes: at(8),
      txPackets: at(9),
      txErrors: at(10),
      txDropped: at(11),
    });
  }
  return result;
}

/** Reads a file, or undefined if it cannot be read (the process or thread is gone). */
async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

export async function readProcessCpuTimes(source: ProcSource, pid: number): Promise<ProcessCpuTimes | undefined> {
  const text = await readOptional(join(source.procRoot, String(pid), 'stat'));
  return text === undefined ? undefined : parseProcStat(text, source.clockTicks);
}

export async function readProcessRssKiB(source: ProcSource, pid: number): Promise<number | undefined> {
  const text = await readOptional(join(source.procRoot, String(pid), 'status'));
  return text === undefined ? undefined : parseVmRssKiB(text);
}

export interface ThreadStats extends ThreadSchedTimes {
  waitNs: number;
}

/** One thread's scheduler times, or undefined when the thread is gone. */
export async function readThreadStats(source: ProcSource, pid: number, tid: number): Promise<ThreadStats | undefined> {
  const dir = join(source.procRoot, String(pid), 'task', String(tid));
  const [schedstat, sched] = await Promise.all([
    readOptional(join(dir, 'schedstat')),
    readOptional(join(dir, 'sched')),
  ]);
  const times = schedstat === undefined ? undefined : parseSchedstat(schedstat);
  if (!times) return undefined;
  return { ...times, waitNs: (sched === undefined ? undefined : parseSchedWaitSum(sched)) ?? 0 };
}

export async function readNetDevCounters(source: ProcSource): Promise<Map<string, NetDevCounters>> {
  const text = await readOptional(source.netDevPath);
  return text === undefined ? new Map() : parseProcNetDev(text);
}
