/** Reads the host's CPU, NUMA, UUID, IOMMU and power facts from procfs and sysfs under an injectable root, for `<capabilities><host>`. */
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { HostCpu, HostCpuInfo, HostInfo, HostNumaCell, HostPowerManagement } from './capabilities-types.js';
import { capsSystemError } from './capabilities-error.js';
import { parseCpuList } from './cpu-list.js';
import { hostCpuModel, vendorName } from './host-cpu-model.js';

export interface HostProbeOptions {
  /** Prefix for /proc, /sys and /etc, so tests can point at a fixture tree; default '/'. */
  root?: string;
  /** libvirt's arch name; default from process.arch. cpuinfo does not say it on x86. */
  arch?: string;
}

const NODE_ARCH: Record<string, string> = {
  x64: 'x86_64',
  ia32: 'i686',
  arm64: 'aarch64',
  ppc64: 'ppc64le',
  s390x: 's390x',
};

/** Probes the host; only /proc/cpuinfo is required, everything else degrades to libvirt's own fallbacks. */
export async function probeHost(options: HostProbeOptions = {}): Promise<HostInfo> {
  const root = options.root ?? '/';
  const path = (rel: string): string => join(root, rel);
  const cpuinfo = await readRequired(path('proc/cpuinfo'));
  const processors = parseCpuinfo(cpuinfo);
  const first = processors[0];
  if (!first) throw capsSystemError(`no processor found in '${path('proc/cpuinfo')}'`);

  const online = await onlineCpus(path, processors);
  const cpus = await Promise.all(online.map((id) => readCpuTopology(path, id, processors)));
  const cells = await readNumaCells(path, cpus);
  const flags = (first.get('flags') ?? '').split(/\s+/).filter(Boolean);
  const vendorId = first.get('vendor_id');
  const familyText = first.get('cpu family');
  const family = familyText === undefined ? undefined : Number(familyText);

  const cpu: HostCpuInfo = {
    arch: options.arch ?? NODE_ARCH[process.arch] ?? process.arch,
    vendor: vendorName(vendorId),
    model: hostCpuModel({ vendorId, family, flags }),
    modelName: first.get('model name'),
    topology: topologyOf(cpus),
    features: flags,
    tsc: tscCounter(first, flags),
  };
  return {
    uuid: await hostUuid(path),
    cpu,
    powerManagement: await powerManagement(path),
    iommu: (await listDir(path('sys/class/iommu'))).length > 0,
    // libvirt's schema knows tcp, rdma and two foreign ones; TLS is a migration flag over tcp, not a transport.
    migrationTransports: ['tcp'],
    cells,
    secmodels: [{ model: 'none', doi: '0' }],
  };
}

/** One map per "processor" block, keys as the kernel spells them ('cpu family', 'model name'). */
export function parseCpuinfo(text: string): Array<Map<string, string>> {
  const blocks: Array<Map<string, string>> = [];
  let current: Map<string, string> | undefined;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === 'processor') {
      current = new Map();
      blocks.push(current);
    }
    current?.set(key, value);
  }
  return blocks;
}

/**
 * The kernel reports "cpu MHz" as the TSC rate only when it calibrated it (tsc_known_freq)
 * and the TSC neither drifts with P-states nor stops in C-states; otherwise the number
 * is a moment's clock speed and libvirt would not print a counter either.
 */
function tscCounter(first: Map<string, string>, flags: readonly string[]): HostCpuInfo['tsc'] {
  const known = ['tsc', 'constant_tsc', 'nonstop_tsc', 'tsc_known_freq'].every((f) => flags.includes(f));
  const mhz = Number(first.get('cpu MHz'));
  if (!known || !Number.isFinite(mhz) || mhz <= 0) return undefined;
  // AMD lists TSC ratio MSR support among the flags, Intel VMX among its own "vmx flags".
  const vmxFlags = (first.get('vmx flags') ?? '').split(/\s+/);
  const scaling = flags.includes('tsc_scale') || vmxFlags.includes('tsc_scaling');
  return { frequencyHz: Math.round(mhz * 1000) * 1000, scaling };
}

/** sysfs' online list, else every processor cpuinfo shows (containers may hide sysfs). */
async function onlineCpus(path: (rel: string) => string, processors: Array<Map<string, string>>): Promise<number[]> {
  const text = await readOptional(path('sys/devices/system/cpu/online'));
  if (text !== undefined) return parseList(text, path('sys/devices/system/cpu/online'));
  return processors.map((p) => Number(p.get('processor')));
}

async function readCpuTopology(
  path: (rel: string) => string,
  id: number,
  processors: Array<Map<string, string>>,
): Promise<HostCpu> {
  const dir = `sys/devices/system/cpu/cpu${id}/topology`;
  const num = async (name: string): Promise<number | undefined> => {
    const text = await readOptional(path(`${dir}/${name}`));
    return text === undefined ? undefined : Number(text.trim());
  };
  const siblingsText = await readOptional(path(`${dir}/thread_siblings_list`));
  // cpuinfo carries the same ids when sysfs topology is missing.
  const info = processors.find((p) => Number(p.get('processor')) === id);
  const socketId = (await num('physical_package_id')) ?? Number(info?.get('physical id') ?? 0);
  const coreId = (await num('core_id')) ?? Number(info?.get('core id') ?? id);
  return {
    id,
    socketId,
    dieId: (await num('die_id')) ?? 0,
    coreId,
    siblings: siblingsText === undefined ? [id] : parseList(siblingsText, path(`${dir}/thread_siblings_list`)),
  };
}

/** Per-socket shape: libvirt prints cores and threads of one socket, not of the host. */
function topologyOf(cpus: readonly HostCpu[]): HostInfo['cpu']['topology'] {
  const sockets = new Set(cpus.map((c) => c.socketId));
  const dies = new Set(cpus.map((c) => `${c.socketId}:${c.dieId}`));
  const cores = new Set(cpus.map((c) => `${c.socketId}:${c.dieId}:${c.coreId}`));
  const threads = Math.max(1, ...cpus.map((c) => c.siblings.length));
  const s = Math.max(1, sockets.size);
  const d = Math.max(1, Math.round(dies.size / s));
  return { sockets: s, dies: d, cores: Math.max(1, Math.round(cores.size / Math.max(1, dies.size))), threads };
}

/** One cell per /sys/devices/system/node/nodeN; without NUMA sysfs, one cell holding everything, as libvirt does. */
async function readNumaCells(path: (rel: string) => string, cpus: HostCpu[]): Promise<HostNumaCell[]> {
  const nodeIds = (await listDir(path('sys/devices/system/node')))
    .map((name) => /^node(\d+)$/.exec(name)?.[1])
    .filter((id): id is string => id !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  if (nodeIds.length === 0) {
    const meminfo = await readRequired(path('proc/meminfo'));
    return [{ id: 0, memoryKiB: memTotal(meminfo, path('proc/meminfo')), cpus, distances: [] }];
  }
  return Promise.all(
    nodeIds.map(async (id): Promise<HostNumaCell> => {
      const dir = `sys/devices/system/node/node${id}`;
      const cpuIds = new Set(parseList((await readOptional(path(`${dir}/cpulist`))) ?? '', path(`${dir}/cpulist`)));
      const meminfo = await readRequired(path(`${dir}/meminfo`));
      const distance = ((await readOptional(path(`${dir}/distance`))) ?? '').trim().split(/\s+/).filter(Boolean);
      return {
        id,
        memoryKiB: memTotal(meminfo, path(`${dir}/meminfo`)),
        // Offline CPUs stay in the node's cpulist but not in ours.
        cpus: cpus.filter((c) => cpuIds.has(c.id)),
        // The distance file lists one value per node in node order, which may skip numbers.
        distances: distance.map((value, i) => ({ id: nodeIds[i] ?? i, value: Number(value) })),
      };
    }),
  );
}

/** 'MemTotal:  24684084 kB' in /proc/meminfo, 'Node 0 MemTotal: ... kB' in a node's. */
function memTotal(text: string, file: string): number {
  const m = /MemTotal:\s+(\d+)\s*kB/.exec(text);
  if (!m) throw capsSystemError(`no MemTotal in '${file}'`);
  return Number(m[1]);
}

/**
 * The SMBIOS UUID as libvirt reports it; /etc/machine-id when DMI is absent or root-only
 * (VMs, containers); as a last resort a hash of the hostname, which is at least stable.
 */
async function hostUuid(path: (rel: string) => string): Promise<string> {
  for (const file of ['sys/class/dmi/id/product_uuid', 'etc/machine-id']) {
    const hex = ((await readOptional(path(file))) ?? '').trim().replace(/-/g, '').toLowerCase();
    if (/^[0-9a-f]{32}$/.test(hex) && !/^0+$/.test(hex) && !/^f+$/.test(hex)) return dashed(hex);
  }
  return dashed(createHash('sha256').update(hostname()).digest('hex').slice(0, 32));
}

function dashed(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** /sys/power/state lists 'mem' and 'disk' when the kernel can; hybrid needs 'suspend' among the disk modes. */
async function powerManagement(path: (rel: string) => string): Promise<HostPowerManagement> {
  const states = ((await readOptional(path('sys/power/state'))) ?? '').split(/\s+/);
  const diskModes = ((await readOptional(path('sys/power/disk'))) ?? '').replace(/[[\]]/g, '').split(/\s+/);
  const suspendDisk = states.includes('disk');
  return {
    suspendMem: states.includes('mem'),
    suspendDisk,
    suspendHybrid: suspendDisk && diskModes.includes('suspend'),
  };
}

function parseList(text: string, file: string): number[] {
  try {
    return parseCpuList(text);
  } catch (err) {
    throw capsSystemError(`cannot parse '${file}': ${(err as Error).message}`);
  }
}

async function readRequired(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw capsSystemError(`cannot read '${file}': ${(err as Error).message}`);
  }
}

/** undefined when the file is missing or unreadable: most sysfs files are optional on some kernel or in some container. */
async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}
