/**
 * What domcapabilities may advertise: the values conf/ accepts (domain-parse.ts and the
 * SUPPORTED table of domain-validate.ts, which is not exported), each paired with the QEMU
 * device type it needs, so a value is listed only when both conf/ and this QEMU build
 * have it. test/capabilities/domain-support.test.ts feeds every value through conf/ to
 * keep this table and conf/ in step.
 */

/** A value conf/ accepts and the QOM type QEMU must have for it; undefined needs nothing. */
export type Supported = ReadonlyArray<readonly [value: string, qemuType: string | undefined]>;

/** `<disk device>`: cdrom and floppy also need their bus, which the bus list covers. */
export const DISK_DEVICES: Supported = [
  ['disk', undefined],
  ['cdrom', undefined],
  ['floppy', 'isa-fdc'],
];

/** `<disk><target bus>`, in libvirt's enum order. */
export const DISK_BUSES: Supported = [
  ['ide', 'ide-hd'],
  ['fdc', 'isa-fdc'],
  ['scsi', 'scsi-hd'],
  ['virtio', 'virtio-blk-pci'],
  ['sata', 'ich9-ahci'],
];

export const GRAPHICS_TYPES: Supported = [
  ['vnc', undefined],
  // Only spice builds of QEMU have the command; checked against query-commands, not QOM.
  ['spice', 'query-spice'],
];

/** `<video><model type>`: 'none' needs nothing. */
export const VIDEO_MODELS: Supported = [
  ['vga', 'VGA'],
  ['cirrus', 'cirrus-vga'],
  ['virtio', 'virtio-vga'],
  ['qxl', 'qxl-vga'],
  ['bochs', 'bochs-display'],
  ['none', undefined],
];

export const RNG_MODELS: Supported = [['virtio', 'virtio-rng-pci']];

/** `<rng><backend model>`: conf/ refuses every backend model but 'random'. */
export const RNG_BACKEND_MODELS = ['random'] as const;

/**
 * `<interface><model type>`. libvirt's domcapabilities has no element for NIC models, so
 * this table is not printed; it is here so the driver and the test can ask the same question.
 */
export const NIC_MODELS: Supported = [
  ['virtio', 'virtio-net-pci'],
  ['e1000', 'e1000'],
  ['e1000e', 'e1000e'],
  ['rtl8139', 'rtl8139'],
];

/** `<os><loader>` attributes conf/ reads. */
export const LOADER_TYPES = ['rom', 'pflash'] as const;

/** `<cpu mode>` values conf/ accepts; whether each is usable depends on the accelerator. */
export const CPU_MODES = ['host-passthrough', 'maximum', 'host-model', 'custom'] as const;

/** CPU model names QEMU lists that are not models a user picks for `<cpu mode='custom'>`. */
export const NON_CUSTOM_CPU_MODELS = new Set(['host', 'max', 'base']);

/** The values of `table` whose QEMU type is in `available` (QOM types, or QMP commands for spice). */
export function supportedValues(table: Supported, available: ReadonlySet<string>): string[] {
  return table.filter(([, type]) => type === undefined || available.has(type)).map(([value]) => value);
}
