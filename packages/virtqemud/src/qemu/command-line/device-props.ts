/** Properties shared by many `-device` options: the PCI placement the conf layer assigned, and boot indexes. */
import type { DeviceCommon, DiskDef, DomainDef, NetDef } from '../../conf/domain-def.js';
import { pciAddr, type OptionItem } from './option-value.js';
import { pciRootBus } from './machine.js';
import { cannotExpress } from './runtime-info.js';

/** `bus=pci.0,addr=0x3[,multifunction=on]` from the device's `<address type='pci'>`. */
export function pciProps(def: DomainDef, dev: DeviceCommon, what: string): OptionItem[] {
  const a = dev.address;
  if (a?.type !== 'pci') throw cannotExpress(`${what} has no PCI address`);
  if (a.domain !== 0 || a.bus !== 0) {
    // Only the root bus exists: PCI bridges and extra PCI domains are not modelled yet.
    throw cannotExpress(`${what} on PCI bus ${a.domain}:${a.bus} (only bus 0 is supported)`);
  }
  return [
    ['bus', pciRootBus(def)],
    ['addr', pciAddr(a.slot, a.function)],
    ['multifunction', a.multifunction === undefined ? undefined : a.multifunction === 'on'],
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
