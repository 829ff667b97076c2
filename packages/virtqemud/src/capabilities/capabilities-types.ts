/** The plain data the probes produce and the formatters consume: no I/O, JSON-serialisable, so fixtures can hold it. */
import type { QemuMachineInfo, QemuVersionInfo } from '../qemu/monitor/index.js';

export interface HostCpuTopology {
  sockets: number;
  dies: number;
  cores: number;
  threads: number;
}

export interface HostCpuInfo {
  arch: string;
  /** libvirt's short vendor name ('Intel', 'AMD'), from cpuinfo's vendor_id; undefined when unknown. */
  vendor: string | undefined;
  /** A named CPU model QEMU knows, best effort (see host-cpu-model.ts). */
  model: string;
  /** cpuinfo's "model name", kept for logs; libvirt does not print it. */
  modelName: string | undefined;
  /** Per-socket shape, as libvirt prints it: cores and threads per socket, not totals. */
  topology: HostCpuTopology;
  /** cpuinfo flags, in the kernel's order. */
  features: string[];
  /** The TSC when the kernel says its rate is known and constant; scaling: the CPU can run guests at another rate. */
  tsc: { frequencyHz: number; scaling: boolean } | undefined;
}

export interface HostCpu {
  id: number;
  socketId: number;
  dieId: number;
  coreId: number;
  /** The hardware threads sharing this CPU's core, including itself. */
  siblings: number[];
}

export interface HostNumaCell {
  id: number;
  memoryKiB: number;
  cpus: HostCpu[];
  /** SLIT distances to every node, in node order; empty when the kernel gave none. */
  distances: Array<{ id: number; value: number }>;
}

export interface HostPowerManagement {
  suspendMem: boolean;
  suspendDisk: boolean;
  suspendHybrid: boolean;
}

export interface HostInfo {
  uuid: string;
  cpu: HostCpuInfo;
  powerManagement: HostPowerManagement;
  iommu: boolean;
  migrationTransports: string[];
  cells: HostNumaCell[];
  secmodels: Array<{ model: string; doi: string }>;
}

export interface QemuCpuDefinition {
  name: string;
  /** Features the accelerator cannot provide; the model is usable when this is empty. */
  unavailableFeatures: string[];
  deprecated: boolean;
  /** The versioned model an alias resolves to, e.g. 'EPYC' → 'EPYC-v1'. */
  aliasOf: string | undefined;
}

export interface QemuInfo {
  /** Absolute path of the binary probed. */
  binary: string;
  arch: string;
  version: QemuVersionInfo;
  machines: QemuMachineInfo[];
  kvm: {
    /** QEMU says the host has KVM (query-kvm "present"). */
    present: boolean;
    /** Present, and /dev/kvm opens read-write for us: what `<domain type='kvm'>` needs. */
    usable: boolean;
  };
  /** CPU models as TCG can run them. */
  cpuDefinitionsTcg: QemuCpuDefinition[];
  /** CPU models as KVM can run them; undefined when KVM is not usable or was not probed. */
  cpuDefinitionsKvm: QemuCpuDefinition[] | undefined;
  /** QOM type names the binary has, so device support follows what this build includes (spice, qxl...). */
  deviceTypes: string[];
  /** QMP commands the binary has (e.g. 'query-spice' only in spice builds). */
  commands: string[];
}
