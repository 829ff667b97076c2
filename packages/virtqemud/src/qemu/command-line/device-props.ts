/** Properties shared by many `-device` options: the PCI placement the conf layer assigned, and boot indexes. */
import type { DeviceCommon, DiskDef, DomainDef, NetDef } from '../../conf/domain-def.js';
import { pciAddr, type OptionItem } from './option-value.js';
import { pciRootBus } from './machine.js';
import { cannotExpress } from './runtime-info.js';

/** QEMU's name for PCI bus `bus`: the root's own (`pcie.0`, `pci.0`), else the id of the controller providing it. */
export function pciBusName(def: DomainDef, bus: number): string {
  if (bus === 0) return pciRootBus(def);
  const c = def.devices.controllers.find((x) => x.type === 'pci' && x.index === bus);
  if (!c) throw cannotExpress(`PCI bus ${bus}: no <controller type='pci' index='${bus}'>`);
  return c.alias ?? `pci.${bus}`;
}

/** `bus=pci.1[,multifunction=on],addr=0x3` from the device's `<address type='pci'>`, in libvirt's order. */
export function pciProps(def: DomainDef, dev: DeviceCommon, what: string): OptionItem[] {
  const a = dev.address;
  if (a?.type !== 'pci') throw cannotExpress(`${what} has no PCI address`);
  // QEMU's x86 machines have one PCI domain; extra ones would need pxb expander buses.
  if (a.domain !== 0) throw cannotExpress(`${what} in PCI domain ${a.domain} (only domain 0 exists)`);
  return [
    ['bus', pciBusName(def, a.bus)],
    ['multifunction', a.multifunction === undefined ? undefined : a.multifunction === 'on'],
    ['addr', pciAddr(a.slot, a.function)],
  ];
}

/**
 * bootindex per device. Per-device <boot order> is used as given; <os><boot dev> entries
 * are turned into indexes on the first device of each kind, in the order listed, the way
 * libvirt does once QEMU supports bootindex (together with `-boot strict=on`).
 */
export function bootIndexes(def: DomainDef): Map<DiskDef | NetDef, number> {
  const out = new Map<DiskDef | NetDef, number>();
  const d = def.devices;
  for (const dev of [...d.disks, ...d.nets]) if (dev.bootOrder !== undefined) out.set(dev, dev.bootOrder);
  def.os.bootDevs.forEach((bootDev, i) => {
    const dev =
      bootDev === 'network'
        ? d.nets[0]
        : d.disks.find((disk) => disk.device === { hd: 'disk', cdrom: 'cdrom', fd: 'floppy' }[bootDev]);
    if (dev && !out.has(dev)) out.set(dev, i + 1);
  });
  return out;
}
