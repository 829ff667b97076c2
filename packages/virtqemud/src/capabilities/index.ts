/** capabilities and domcapabilities: probe the host and QEMU (I/O), then format libvirt's XML (pure). */
export type * from './capabilities-types.js';
export { probeHost, parseCpuinfo, type HostProbeOptions } from './host-probe.js';
export {
  probeQemu,
  clearQemuProbeCache,
  resolveBinary,
  type QemuProbeOptions,
  type QemuProbeResult,
} from './qemu-probe.js';
export { formatCapabilities, guestMachines } from './capabilities-xml.js';
export { formatDomainCapabilities, type DomainCapabilitiesRequest } from './domain-capabilities-xml.js';
export { parseCpuList, formatCpuList } from './cpu-list.js';
