/** The QEMU command line: argv built from a DomainDef and the driver's runtime decisions. */
export { buildQemuCommandLine, DEFAULT_QEMU_BINARY, type QemuCommandLine } from './command-line.js';
export type { QemuRuntimeInfo, TapInfo, VolumePath } from './runtime-info.js';
export { qemuOptionValue, keyval, jsonOption, type OptionItem } from './option-value.js';
export { diskAlias, diskNodeNames, type DiskNodeNames } from './disks.js';
