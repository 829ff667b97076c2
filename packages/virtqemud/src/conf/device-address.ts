/** Address assignment done in post-parse: drive addresses and implicit controllers; PCI slots are in address-pci.ts. */
import type { ControllerDef, DiskDef, DomainDef } from './domain-def.js';
import { xmlDetail } from './conf-error.js';
import { insertController } from './address-pci.js';

export { assignPciAddresses, insertController } from './address-pci.js';

export function isQ35(machine: string | undefined): boolean {
  return machine !== undefined && /q35/.test(machine);
}

/** `vdb` → 1, `sdaa` → 26: the disk's position on its bus, as libvirt derives it from the name. */
export function diskNameIndex(dev: string): number | undefined {
  const m = /^(?:hd|sd|vd|fd|xvd)([a-z]+)$/.exec(dev);
  if (!m?.[1]) return undefined;
  let idx = 0;
  for (const ch of m[1]) idx = idx * 26 + (ch.charCodeAt(0) - 96);
  return idx - 1;
}

/** Drive addresses for disks on controller buses, following libvirt's name-to-unit rules. */
export function assignDriveAddresses(disks: DiskDef[]): void {
  for (const disk of disks) {
    if (disk.address) continue;
    const idx = diskNameIndex(disk.target.dev);
    if (idx === undefined) continue;
    switch (disk.target.bus) {
      case 'ide': // two buses of master/slave per controller
        disk.address = {
          type: 'drive',
          controller: Math.floor(idx / 4),
          bus: Math.floor((idx % 4) / 2),
          target: 0,
          unit: idx % 2,
        };
        break;
      case 'fdc':
        disk.address = { type: 'drive', controller: 0, bus: 0, target: 0, unit: idx };
        break;
      case 'sata': // six ports per AHCI controller
        disk.address = { type: 'drive', controller: Math.floor(idx / 6), bus: 0, target: 0, unit: idx % 6 };
        break;
      case 'scsi': // seven units per lsilogic bus
        disk.address = { type: 'drive', controller: Math.floor(idx / 7), bus: 0, target: 0, unit: idx % 7 };
        break;
      default:
        break;
    }
  }
}

/** Adds the controllers that disks and the machine imply and that the XML left out, as libvirt's post-parse does. */
export function addImplicitControllers(def: DomainDef): void {
  const ctrls = def.devices.controllers;
  const q35 = isQ35(def.os.machine);
  const has = (type: ControllerDef['type'], index: number): boolean =>
    ctrls.some((c) => c.type === type && c.index === index);
  // q35 always has its ICH9 AHCI controller (at 00:1f.2).
  if (q35 && !has('sata', 0)) insertController(ctrls, { type: 'sata', index: 0 });
  checkPciControllers(def, q35);
  if (!has('pci', 0)) insertController(ctrls, { type: 'pci', index: 0, model: q35 ? 'pcie-root' : 'pci-root' });
  for (const disk of def.devices.disks) {
    const bus = disk.target.bus;
    if (disk.address?.type !== 'drive') continue;
    if (bus !== 'ide' && bus !== 'fdc' && bus !== 'sata' && bus !== 'scsi') continue;
    if (has(bus, disk.address.controller)) continue;
    const c: ControllerDef = { type: bus, index: disk.address.controller };
    if (bus === 'scsi') c.model = 'lsilogic';
    insertController(ctrls, c);
  }
  for (const c of ctrls) {
    if (c.type === 'usb' && c.model === undefined) c.model = q35 ? 'qemu-xhci' : 'piix3-uhci';
    if (c.type === 'scsi' && c.model === undefined) c.model = 'lsilogic';
  }
}

/**
 * The PCI controllers the XML wrote: one per index, the root (the machine's own) at index 0
 * only, and a model for each, defaulting to what expands this machine's PCI topology.
 */
function checkPciControllers(def: DomainDef, q35: boolean): void {
  const root = q35 ? 'pcie-root' : 'pci-root';
  const seen = new Set<number>();
  for (const c of def.devices.controllers) {
    if (c.type !== 'pci') continue;
    if (seen.has(c.index)) throw xmlDetail(`Multiple 'pci' controllers with index '${c.index}'`);
    seen.add(c.index);
    c.model ??= c.index === 0 ? root : q35 ? 'pcie-root-port' : 'pci-bridge';
    if (c.index === 0 && c.model !== root) {
      throw xmlDetail(
        `The PCI controller with index='0' must be model='${root}' for this machine type, but model='${c.model}' was found instead`,
      );
    }
    if (c.index !== 0 && (c.model === 'pci-root' || c.model === 'pcie-root')) {
      throw xmlDetail(`pci-root and pcie-root controllers should have index 0`);
    }
  }
}
