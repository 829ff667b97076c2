/** Address assignment done in post-parse: drive addresses, implicit controllers and PCI slots for pc (i440fx) machines. */
import type { ControllerDef, DeviceCommon, DiskDef, DomainDef, PciAddress } from './domain-def.js';
import { unsupported, xmlDetail } from './conf-error.js';

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

/**
 * Inserts keeping controllers of one type together and ordered by index, the way
 * libvirt files implicit controllers among the user's.
 */
export function insertController(list: ControllerDef[], c: ControllerDef): void {
  let pos = -1;
  for (let i = 0; i < list.length; i++) {
    const other = list[i];
    if (other?.type !== c.type) continue;
    if (other.index < c.index) pos = i + 1;
    else if (pos === -1) pos = i;
  }
  if (pos === -1) list.push(c);
  else list.splice(pos, 0, c);
}

/** Adds the controllers that disks and the machine imply and that the XML left out. */
export function addImplicitControllers(def: DomainDef): void {
  const ctrls = def.devices.controllers;
  const has = (type: ControllerDef['type'], index: number): boolean =>
    ctrls.some((c) => c.type === type && c.index === index);
  if (!has('pci', 0))
    insertController(ctrls, { type: 'pci', index: 0, model: isQ35(def.os.machine) ? 'pcie-root' : 'pci-root' });
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
    if (c.type === 'usb' && c.model === undefined) c.model = isQ35(def.os.machine) ? 'qemu-xhci' : 'piix3-uhci';
    if (c.type === 'scsi' && c.model === undefined) c.model = 'lsilogic';
  }
}

const pciKey = (a: PciAddress): string =>
  `${a.domain.toString(16).padStart(4, '0')}:${a.bus.toString(16).padStart(2, '0')}:${a.slot.toString(16).padStart(2, '0')}.${a.function}`;

/** Every device that sits on PCI, in the order libvirt hands out slots. */
function pciDevices(def: DomainDef): DeviceCommon[] {
  const d = def.devices;
  const out: DeviceCommon[] = [];
  out.push(...d.nets);
  out.push(
    ...d.controllers.filter(
      (c) =>
        (c.type === 'usb' && c.model !== 'none') ||
        c.type === 'scsi' ||
        c.type === 'sata' ||
        c.type === 'virtio-serial',
    ),
  );
  out.push(...d.disks.filter((disk) => disk.target.bus === 'virtio'));
  if (d.memballoon && d.memballoon.model !== 'none') out.push(d.memballoon);
  out.push(...d.rngs);
  out.push(...d.watchdogs.filter((w) => w.model === 'i6300esb'));
  out.push(...d.videos.slice(1).filter((v) => v.model.type !== 'none'));
  out.push(...d.inputs.filter((i) => i.bus === 'virtio'));
  return out;
}

/**
 * PCI addresses for devices without one. i440fx: slot 1 is the PIIX3 (IDE at function 1,
 * UHCI at 2), slot 2 is kept for the primary video card even when there is none, so
 * that adding one later moves nothing; the rest take slots 3..31 of bus 0 in
 * libvirt's device order.
 */
export function assignPciAddresses(def: DomainDef): void {
  const used = new Map<string, string>();
  const reserve = (a: PciAddress, what: string): void => {
    const key = pciKey(a);
    const prev = used.get(key);
    if (prev !== undefined) throw xmlDetail(`PCI address ${key} is used by both ${prev} and ${what}`);
    used.set(key, what);
  };
  const d = def.devices;
  const all: Array<[DeviceCommon, string]> = [
    ...d.disks.map((x): [DeviceCommon, string] => [x, `disk '${x.target.dev}'`]),
    ...d.controllers.map((x): [DeviceCommon, string] => [x, `controller ${x.type} ${x.index}`]),
    ...d.nets.map((x, i): [DeviceCommon, string] => [x, `interface ${i}`]),
    ...d.videos.map((x, i): [DeviceCommon, string] => [x, `video ${i}`]),
    ...d.watchdogs.map((x): [DeviceCommon, string] => [x, 'watchdog']),
    ...(d.memballoon ? [[d.memballoon, 'memballoon'] as [DeviceCommon, string]] : []),
    ...d.rngs.map((x, i): [DeviceCommon, string] => [x, `rng ${i}`]),
    ...d.inputs.map((x, i): [DeviceCommon, string] => [x, `input ${i}`]),
  ];
  for (const [dev, what] of all) if (dev.address?.type === 'pci') reserve(dev.address, what);

  const primaryVideo = d.videos[0];
  const needsPrimary = primaryVideo && !primaryVideo.address && primaryVideo.model.type !== 'none';
  const piix3 = d.controllers.filter(
    (c) => !c.address && c.index === 0 && (c.type === 'ide' || (c.type === 'usb' && c.model === 'piix3-uhci')),
  );
  const needing = pciDevices(def).filter((x) => !x.address && !piix3.includes(x as ControllerDef));
  if (isQ35(def.os.machine)) {
    if (needing.length > 0 || needsPrimary || piix3.length > 0) {
      throw unsupported(
        `unsupported configuration: automatic PCI address assignment for machine '${def.os.machine}' is not supported yet; give every PCI device an <address type='pci'>`,
      );
    }
    return;
  }
  for (const c of piix3) {
    c.address = { type: 'pci', domain: 0, bus: 0, slot: 1, function: c.type === 'ide' ? 1 : 2 };
    reserve(c.address, `controller ${c.type} 0`);
  }
  const slot2: PciAddress = { type: 'pci', domain: 0, bus: 0, slot: 2, function: 0 };
  if (needsPrimary && !used.has(pciKey(slot2))) {
    primaryVideo.address = slot2;
    reserve(slot2, 'video 0');
  } else if (needsPrimary) {
    needing.unshift(primaryVideo);
  }
  const taken = (slot: number): boolean =>
    [...used.keys()].some((k) => k.startsWith(`0000:00:${slot.toString(16).padStart(2, '0')}.`));
  let slot = 3;
  for (const dev of needing) {
    while (slot <= 31 && taken(slot)) slot++;
    if (slot > 31)
      throw unsupported(
        'unsupported configuration: no free slot left on PCI bus 0 (PCI bridges are not supported yet)',
      );
    dev.address = { type: 'pci', domain: 0, bus: 0, slot, function: 0 };
    reserve(dev.address, 'device');
  }
}
