/**
 * One domain's statistics as virConnectGetAllDomainStats reports them: libvirt's typed
 * parameter names (`state.state`, `cpu.time`, `vcpu.0.time`, `block.0.rd.bytes`,
 * `net.0.rx.bytes`...), group by group in libvirt's order. A running domain's figures
 * come from QMP and /proc; what cannot be read is left out, as libvirt leaves it out,
 * and never fails the whole call. An inactive domain reports what its definition says.
 */
import { stat, open } from 'node:fs/promises';
import type { Logger } from 'pino';
import {
  DOMAIN_STATS_GROUPS,
  DomainState,
  type ArgsOf,
  type DomainStatsGroup,
  type DomainStatsRecord,
  type DomainStatsStateFilter,
  type domainGetStats,
} from '@tsvirt/common/protocol';
import type { DiskDef, DomainDef, NetDef } from '../conf/domain-def.js';
import { diskAlias, diskNodeNames } from '../qemu/command-line/disks.js';
import {
  queryBalloon,
  queryBlockstats,
  queryCpusFast,
  queryNamedBlockNodes,
  type QemuBlockNodeInfo,
  type QemuBlockStats,
  type QemuCpuInfo,
  type QmpConnection,
} from '../qemu/monitor/index.js';
import type { DomainList } from './domain-list.js';
import type { DomainObj } from './domain-obj.js';
import {
  readNetDevCounters,
  readProcessCpuTimes,
  readProcessRssKiB,
  readThreadStats,
  type NetDevCounters,
  type ProcSource,
} from './stats-proc.js';

export type StatsParams = Record<string, number | string>;

/** virVcpuState: QEMU vCPUs that have a thread are always reported running, as libvirt does. */
const VCPU_RUNNING = 1;

/** The QEMU of a domain, while it runs and is not being torn down. */
function liveRuntime(dom: DomainObj): { pid: number; monitor: QmpConnection } | undefined {
  const runtime = dom.runtime;
  return dom.active && runtime && !runtime.ending ? runtime : undefined;
}

/** Runs a QMP query, or gives undefined (logged) if QEMU cannot answer: the stats that need it are left out. */
async function optional<T>(log: Logger, what: string, query: () => Promise<T>): Promise<T | undefined> {
  try {
    return await query();
  } catch (err) {
    log.debug({ query: what, err: (err as Error).message }, 'stats query failed');
    return undefined;
  }
}

/** What QEMU said, fetched once per domain and only for the groups that need it. */
interface LiveAnswers {
  balloonKiB: number | undefined;
  cpus: QemuCpuInfo[] | undefined;
  blockstats: QemuBlockStats[] | undefined;
  blockNodes: QemuBlockNodeInfo[] | undefined;
}

async function askQemu(
  monitor: QmpConnection,
  def: DomainDef,
  groups: ReadonlySet<DomainStatsGroup>,
  log: Logger,
): Promise<LiveAnswers> {
  const hasBalloon = def.devices.memballoon !== undefined && def.devices.memballoon.model !== 'none';
  const wantsBlock = groups.has('block') && def.devices.disks.length > 0;
  const [balloon, cpus, blockstats, blockNodes] = await Promise.all([
    groups.has('balloon') && hasBalloon ? optional(log, 'query-balloon', () => queryBalloon(monitor)) : undefined,
    groups.has('vcpu') ? optional(log, 'query-cpus-fast', () => queryCpusFast(monitor)) : undefined,
    wantsBlock ? optional(log, 'query-blockstats', () => queryBlockstats(monitor)) : undefined,
    wantsBlock ? optional(log, 'query-named-block-nodes', () => queryNamedBlockNodes(monitor)) : undefined,
  ]);
  return {
    balloonKiB: balloon === undefined ? undefined : Math.floor(balloon.actual / 1024),
    cpus,
    blockstats,
    blockNodes,
  };
}

/** libvirt's state filters: 'other' is any state but the three named ones. */
function stateFilterOf(state: number): DomainStatsStateFilter {
  if (state === DomainState.RUNNING) return 'running';
  if (state === DomainState.PAUSED) return 'paused';
  if (state === DomainState.SHUTOFF) return 'shutoff';
  return 'other';
}

/**
 * virConnectGetAllDomainStats / virDomainListGetStats: the domains asked for (or all),
 * filtered as libvirt filters them, each with the asked groups (all when none). A uuid
 * that names no domain any more is skipped, as libvirt skips it.
 */
export async function getDomainStats(
  list: DomainList,
  args: ArgsOf<typeof domainGetStats>,
  proc: ProcSource,
  log: Logger,
): Promise<{ records: DomainStatsRecord[] }> {
  const groups = new Set<DomainStatsGroup>(args.groups?.length ? args.groups : DOMAIN_STATS_GROUPS);
  const matching = list.list(args.flags);
  const matchingSet = new Set(matching);
  const chosen = args.uuids
    ? args.uuids
        .map((uuid) => list.findByUuid(uuid))
        .filter((dom): dom is DomainObj => dom !== undefined && matchingSet.has(dom))
    : matching;
  const states = args.states?.length ? new Set(args.states) : undefined;
  const domains = states ? chosen.filter((dom) => states.has(stateFilterOf(dom.state))) : chosen;
  const records = await Promise.all(
    domains.map(async (dom) => ({ domain: dom.ref(), params: await collectDomainStats(dom, groups, proc, log) })),
  );
  return { records };
}

/** The stats of `groups` for one domain, in libvirt's group order. */
export async function collectDomainStats(
  dom: DomainObj,
  groups: ReadonlySet<DomainStatsGroup>,
  proc: ProcSource,
  log: Logger,
): Promise<StatsParams> {
  const def = dom.def;
  const live = liveRuntime(dom);
  const answers = live ? await askQemu(live.monitor, def, groups, log.child({ domain: dom.name })) : undefined;
  const params: StatsParams = {};
  if (groups.has('state')) {
    params['state.state'] = dom.state;
    params['state.reason'] = dom.reason;
  }
  if (groups.has('cpu-total') && live) {
    const cpu = await readProcessCpuTimes(proc, live.pid);
    if (cpu) {
      params['cpu.time'] = cpu.totalNs;
      params['cpu.user'] = cpu.userNs;
      params['cpu.system'] = cpu.systemNs;
    }
  }
  if (groups.has('balloon')) {
    params['balloon.current'] = answers?.balloonKiB ?? def.currentMemory ?? def.memory;
    params['balloon.maximum'] = def.memory;
    const rss = live ? await readProcessRssKiB(proc, live.pid) : undefined;
    if (rss !== undefined) params['balloon.rss'] = rss;
  }
  if (groups.has('vcpu')) {
    params['vcpu.current'] = def.vcpu.current ?? def.vcpu.max;
    params['vcpu.maximum'] = def.vcpu.max;
    if (live && answers?.cpus) Object.assign(params, await vcpuParams(proc, live.pid, answers.cpus));
  }
  if (groups.has('interface') && live) {
    Object.assign(params, netParams(def.devices.nets, await readNetDevCounters(proc)));
  }
  if (groups.has('block')) {
    Object.assign(params, live ? await liveBlockParams(def, answers) : await inactiveBlockParams(def.devices.disks));
  }
  return params;
}

/** `vcpu.N.state/time/wait/delay` of each vCPU thread QEMU names, from the scheduler's per-thread counters. */
export async function vcpuParams(proc: ProcSource, pid: number, cpus: readonly QemuCpuInfo[]): Promise<StatsParams> {
  const sorted = [...cpus].sort((a, b) => a.cpuIndex - b.cpuIndex);
  const threads = await Promise.all(sorted.map((cpu) => readThreadStats(proc, pid, cpu.threadId)));
  const params: StatsParams = {};
  sorted.forEach((cpu, i) => {
    const thread = threads[i];
    if (!thread) return;
    const n = cpu.cpuIndex;
    params[`vcpu.${n}.state`] = VCPU_RUNNING;
    params[`vcpu.${n}.time`] = thread.runNs;
    params[`vcpu.${n}.wait`] = thread.waitNs;
    params[`vcpu.${n}.delay`] = thread.queuedNs;
  });
  return params;
}

/**
 * libvirt's virDomainNetTypeSharesHostView: a tap's receive side is what the guest sent,
 * so for tap-backed types libvirt swaps rx and tx to report the guest's view; type
 * 'ethernet' (and macvtap) counters are reported as the host device has them.
 */
function sharesHostView(net: NetDef): boolean {
  return net.type === 'ethernet';
}

/**
 * `net.count`, then per interface with a host device (`<target dev>`): its name and
 * counters. The index is the interface's position in the definition; an interface
 * without a host device (type 'user') or whose counters cannot be read adds nothing.
 */
export function netParams(nets: readonly NetDef[], counters: ReadonlyMap<string, NetDevCounters>): StatsParams {
  const params: StatsParams = { 'net.count': nets.length };
  nets.forEach((net, i) => {
    if (net.targetDev === undefined) return;
    params[`net.${i}.name`] = net.targetDev;
    const host = counters.get(net.targetDev);
    if (!host) return;
    const swap = !sharesHostView(net);
    const guestRx = swap
      ? [host.txBytes, host.txPackets, host.txErrors, host.txDropped]
      : [host.rxBytes, host.rxPackets, host.rxErrors, host.rxDropped];
    const guestTx = swap
      ? [host.rxBytes, host.rxPackets, host.rxErrors, host.rxDropped]
      : [host.txBytes, host.txPackets, host.txErrors, host.txDropped];
    (['rx', 'tx'] as const).forEach((dir) => {
      const [bytes, pkts, errs, drop] = dir === 'rx' ? guestRx : guestTx;
      params[`net.${i}.${dir}.bytes`] = bytes ?? 0;
      params[`net.${i}.${dir}.pkts`] = pkts ?? 0;
      params[`net.${i}.${dir}.errs`] = errs ?? 0;
      params[`net.${i}.${dir}.drop`] = drop ?? 0;
    });
  });
  return params;
}

/** The host path of a disk's source; a volume's once resolved at start (the live definition); undefined for an empty drive. */
function diskPath(disk: DiskDef): string | undefined {
  if (disk.type === 'file') return disk.source?.file;
  if (disk.type === 'block') return disk.source?.dev;
  if (disk.type === 'volume') return disk.source?.file ?? disk.source?.dev;
  return undefined;
}

/** QEMU reports a -device disk by its id, or by its QOM path for virtio (`/machine/peripheral/<id>/virtio-backend`). */
function isDiskDevice(entry: QemuBlockStats, alias: string, formatNode: string): boolean {
  if (entry.qdev === alias || entry.qdev?.startsWith(`/machine/peripheral/${alias}/`)) return true;
  return entry.nodeName !== undefined && entry.nodeName === formatNode;
}

/**
 * A running domain's disks: the guest device's counters from query-blockstats, the
 * guest-visible size from the format node, the highest written offset of the storage
 * node as `allocation` and the image's host size as `physical`, as libvirt reports them.
 */
export async function liveBlockParams(
  def: DomainDef,
  answers: Pick<LiveAnswers, 'blockstats' | 'blockNodes'> | undefined,
): Promise<StatsParams> {
  const disks = def.devices.disks;
  const fileSizes = await Promise.all(disks.map((disk) => hostImageSizes(disk)));
  const params: StatsParams = { 'block.count': disks.length };
  disks.forEach((disk, i) => {
    const prefix = `block.${i}`;
    params[`${prefix}.name`] = disk.target.dev;
    const path = diskPath(disk);
    if (path !== undefined) params[`${prefix}.path`] = path;
    const nodes = diskNodeNames(def, i);
    const entry = answers?.blockstats?.find((e) => isDiskDevice(e, diskAlias(disk), nodes.format));
    if (entry) {
      params[`${prefix}.rd.reqs`] = entry.rdOperations;
      params[`${prefix}.rd.bytes`] = entry.rdBytes;
      params[`${prefix}.rd.times`] = entry.rdTotalTimeNs;
      params[`${prefix}.wr.reqs`] = entry.wrOperations;
      params[`${prefix}.wr.bytes`] = entry.wrBytes;
      params[`${prefix}.wr.times`] = entry.wrTotalTimeNs;
      params[`${prefix}.fl.reqs`] = entry.flushOperations;
      params[`${prefix}.fl.times`] = entry.flushTotalTimeNs;
      const allocation = entry.parentWrHighestOffset ?? entry.wrHighestOffset;
      if (allocation !== undefined) params[`${prefix}.allocation`] = allocation;
    }
    const format = answers?.blockNodes?.find((n) => n.nodeName === nodes.format);
    const storage = answers?.blockNodes?.find((n) => n.nodeName === nodes.storage);
    if (format) params[`${prefix}.capacity`] = format.virtualSize;
    // QEMU says 0 for a sparse file it has not written; libvirt then falls back to the file's size.
    const physical = storage?.actualSize || fileSizes[i]?.physical;
    if (physical) params[`${prefix}.physical`] = physical;
  });
  return params;
}

/** Sizes of an image file on the host: apparent size, blocks in use, and the guest-visible size. */
async function imageSizes(
  path: string,
  format: string | undefined,
): Promise<{ capacity?: number; allocation: number; physical: number } | undefined> {
  try {
    const st = await stat(path);
    if (!st.isFile()) return undefined;
    const sizes = { allocation: st.blocks * 512, physical: st.size };
    if (format !== 'qcow2') return { ...sizes, capacity: st.size };
    return { ...sizes, capacity: await qcow2VirtualSize(path) };
  } catch {
    return undefined;
  }
}

/** The sizes of a file disk's image; undefined for other disks or an unreadable file. */
function hostImageSizes(
  disk: DiskDef,
): Promise<{ capacity?: number; allocation: number; physical: number } | undefined> {
  const path = diskPath(disk);
  return disk.type === 'file' && path !== undefined ? imageSizes(path, disk.driver.type) : Promise.resolve(undefined);
}

/** The guest-visible size in a qcow2 header: magic `QFI\xfb`, then the size as a big-endian u64 at byte 24. */
async function qcow2VirtualSize(path: string): Promise<number | undefined> {
  const file = await open(path, 'r');
  try {
    const header = Buffer.alloc(32);
    const { bytesRead } = await file.read(header, 0, 32, 0);
    if (bytesRead < 32 || header.readUInt32BE(0) !== 0x514649fb) return undefined;
    const size = header.readBigUInt64BE(24);
    return size <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(size) : undefined;
  } finally {
    await file.close();
  }
}

/** An inactive domain's disks: names and paths, and the sizes a stat of each image file gives (zero values left out, as libvirt does). */
export async function inactiveBlockParams(disks: readonly DiskDef[]): Promise<StatsParams> {
  const sizes = await Promise.all(disks.map((disk) => hostImageSizes(disk)));
  const params: StatsParams = { 'block.count': disks.length };
  disks.forEach((disk, i) => {
    const prefix = `block.${i}`;
    params[`${prefix}.name`] = disk.target.dev;
    const path = diskPath(disk);
    if (path !== undefined) params[`${prefix}.path`] = path;
    const size = sizes[i];
    if (size?.allocation) params[`${prefix}.allocation`] = size.allocation;
    if (size?.capacity) params[`${prefix}.capacity`] = size.capacity;
    if (size?.physical) params[`${prefix}.physical`] = size.physical;
  });
  return params;
}
