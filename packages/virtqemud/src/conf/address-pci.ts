/**
 * PCI addresses for devices without one, following libvirt's qemuDomainAssignPCIAddresses:
 * a dry run finds how many buses the devices need and adds the missing PCI controllers
 * (pcie-root-ports on q35, plus one spare for hotplug; pci-bridges on pc), then the real
 * pass hands out addresses in libvirt's device order and fills the controllers' defaults.
 */
import type { ControllerDef, DeviceCommon, DomainDef, PciAddress } from './domain-def.js';
import { unsupported, xmlDetail } from './conf-error.js';
import {
  PciAddressSet,
  controllerConnect,
  pciAddress,
  pciAddressString,
  type Connect,
  type PciModel,
} from './address-pci-bus.js';

interface PciDevice {
  dev: DeviceCommon;
  what: string;
  connect: Connect;
}

const pciConnect: Connect = { type: 'pci', autoassign: true };
const pcieConnect: Connect = { type: 'pcie', autoassign: true };

export function hasPcieRoot(def: DomainDef): boolean {
  return def.devices.controllers.some((c) => c.type === 'pci' && c.index === 0 && c.model === 'pcie-root');
}

const pciControllers = (def: DomainDef): ControllerDef[] => def.devices.controllers.filter((c) => c.type === 'pci');

/**
 * How each device plugs in (qemuDomainDeviceCalculatePCIConnectFlags): virtio devices,
 * xhci, e1000e and bochs are PCI Express endpoints when the machine has a pcie-root
 * (QEMU ≥ 4.0 makes virtio devices PCIe-capable); the rest are conventional PCI.
 * undefined for devices that are not on PCI at all.
 */
function connectOf(def: DomainDef, kind: string, model: string | undefined): Connect | undefined {
  const pcie = hasPcieRoot(def) ? pcieConnect : pciConnect;
  switch (kind) {
    case 'net':
      return model === 'virtio' || model === 'e1000e' ? pcie : pciConnect;
    case 'usb':
      if (model === 'none') return undefined;
      return model === 'qemu-xhci' || model === 'nec-xhci' ? pcie : pciConnect;
    case 'scsi':
      return model === 'virtio-scsi' ? pcie : pciConnect;
    case 'virtio-serial':
      return pcie;
    case 'sata':
    case 'ide':
      return pciConnect;
    case 'video':
      if (model === 'none') return undefined;
      return model === 'virtio' || model === 'bochs' ? pcie : pciConnect;
    case 'watchdog':
      return model === 'i6300esb' ? pciConnect : undefined;
    case 'sound':
      return model === 'sb16' ? undefined : pciConnect;
    case 'virtio':
    case 'hostdev':
      return pcie;
    default:
      return undefined;
  }
}

function controllerConnectOf(def: DomainDef, c: ControllerDef): Connect | undefined {
  if (c.type === 'pci') return controllerConnect((c.model ?? 'pci-root') as PciModel);
  if (c.type === 'fdc') return undefined;
  return connectOf(def, c.type, c.model);
}

const controllerWhat = (c: ControllerDef): string => `controller ${c.type} ${c.index}`;

/**
 * Every PCI device in the order libvirt assigns slots (qemuDomainAssignDevicePCISlots):
 * PCI controllers, NICs, other controllers, virtio disks, host devices, the balloon, RNGs,
 * the watchdog, video cards, virtio inputs. PIIX3/ICH9-integrated controllers and the
 * primary video card are placed by the chipset step before this.
 */
function devicesInOrder(def: DomainDef): PciDevice[] {
  const d = def.devices;
  const out: PciDevice[] = [];
  const add = (dev: DeviceCommon, what: string, connect: Connect | undefined): void => {
    if (connect) out.push({ dev, what, connect });
  };
  for (const c of d.controllers) {
    if (c.type === 'pci' && c.model !== 'pci-root' && c.model !== 'pcie-root')
      add(c, controllerWhat(c), controllerConnectOf(def, c));
  }
  d.nets.forEach((n, i) => add(n, `interface ${i}`, connectOf(def, 'net', n.model)));
  (d.sounds ?? []).forEach((s, i) => add(s, `sound ${i}`, connectOf(def, 'sound', s.model)));
  for (const c of d.controllers) {
    if (c.type === 'pci' || (c.type === 'ide' && c.index === 0)) continue;
    add(c, controllerWhat(c), controllerConnectOf(def, c));
  }
  for (const disk of d.disks) {
    if (disk.target.bus === 'virtio') add(disk, `disk '${disk.target.dev}'`, connectOf(def, 'virtio', undefined));
  }
  (d.hostdevs ?? []).forEach((h, i) => add(h, `hostdev ${i}`, connectOf(def, 'hostdev', undefined)));
  if (d.memballoon && d.memballoon.model !== 'none')
    add(d.memballoon, 'memballoon', connectOf(def, 'virtio', undefined));
  d.rngs.forEach((r, i) => add(r, `rng ${i}`, connectOf(def, 'virtio', undefined)));
  d.watchdogs.forEach((w) => add(w, 'watchdog', connectOf(def, 'watchdog', w.model)));
  d.videos.forEach((v, i) => add(v, `video ${i}`, connectOf(def, 'video', v.model.type)));
  d.inputs.forEach((input, i) => {
    if (input.bus === 'virtio') add(input, `input ${i}`, connectOf(def, 'virtio', undefined));
  });
  return out;
}

/** Devices that carry a PCI address from the XML, with how they connect (unknown → conventional PCI). */
function addressedDevices(def: DomainDef): PciDevice[] {
  const d = def.devices;
  const out: PciDevice[] = [];
  const add = (dev: DeviceCommon, what: string, connect: Connect | undefined): void => {
    if (dev.address?.type === 'pci') out.push({ dev, what, connect: connect ?? pciConnect });
  };
  for (const x of d.disks) add(x, `disk '${x.target.dev}'`, x.target.bus === 'virtio' ? pcieOrPci(def) : undefined);
  for (const x of d.controllers) add(x, controllerWhat(x), controllerConnectOf(def, x));
  d.nets.forEach((x, i) => add(x, `interface ${i}`, connectOf(def, 'net', x.model)));
  d.videos.forEach((x, i) => add(x, `video ${i}`, connectOf(def, 'video', x.model.type)));
  for (const x of d.watchdogs) add(x, 'watchdog', connectOf(def, 'watchdog', x.model));
  if (d.memballoon) add(d.memballoon, 'memballoon', pcieOrPci(def));
  d.rngs.forEach((x, i) => add(x, `rng ${i}`, pcieOrPci(def)));
  d.inputs.forEach((x, i) => add(x, `input ${i}`, pcieOrPci(def)));
  (d.hostdevs ?? []).forEach((x, i) => add(x, `hostdev ${i}`, pcieOrPci(def)));
  (d.sounds ?? []).forEach((x, i) => add(x, `sound ${i}`, connectOf(def, 'sound', x.model)));
  return out;
}

const pcieOrPci = (def: DomainDef): Connect => (hasPcieRoot(def) ? pcieConnect : pciConnect);

const isPiix3Integrated = (c: ControllerDef): boolean =>
  c.index === 0 && (c.type === 'ide' || (c.type === 'usb' && c.model === 'piix3-uhci'));

/** A bus per PCI controller index; indexes without a controller get the machine's expansion model. */
function newAddressSet(def: DomainDef, nbuses: number, dryRun: boolean): PciAddressSet {
  const pcie = hasPcieRoot(def);
  const models: PciModel[] = [];
  for (let i = 0; i < nbuses; i++) {
    const c = pciControllers(def).find((x) => x.index === i);
    models.push((c?.model as PciModel | undefined) ?? (i === 0 ? 'pci-root' : pcie ? 'pcie-root-port' : 'pci-bridge'));
  }
  const set = new PciAddressSet(models, dryRun);
  for (const { dev, what, connect } of addressedDevices(def)) {
    // The PIIX3 functions are checked and reserved by the chipset step.
    const controller = def.devices.controllers.find((c) => c === dev);
    if (controller && !hasPcieRoot(def) && isPiix3Integrated(controller)) continue;
    set.reserve(dev.address as PciAddress, connect, what, true);
  }
  return set;
}

function placeAt(set: PciAddressSet, dev: DeviceCommon, a: PciAddress, what: string, connect: Connect): void {
  set.reserve(a, connect, what, true);
  dev.address = a;
}

function fixedAddress(dev: DeviceCommon, a: PciAddress, what: string): boolean {
  if (dev.address?.type !== 'pci') return false;
  const have = dev.address;
  if (have.domain !== a.domain || have.bus !== a.bus || have.slot !== a.slot || have.function !== a.function) {
    throw xmlDetail(`${what} must have PCI address ${pciAddressString(a)}`);
  }
  return true;
}

/** The primary video card goes where QEMU would put the first VGA: the first free slot after the chipset's. */
function placePrimaryVideo(def: DomainDef, set: PciAddressSet, slot: number): void {
  const video = def.devices.videos[0];
  if (!video || video.address || video.model.type === 'none') return;
  const connect = connectOf(def, 'video', video.model.type) ?? pciConnect;
  const a = pciAddress(0, slot);
  if (set.slotInUse(a)) {
    const next = set.reserveNext(connect, 'video 0');
    if (!set.dryRun) video.address = next;
  } else {
    placeAt(set, video, a, 'video 0', { ...connect, autoassign: false });
  }
}

/**
 * i440fx: the PIIX3 at slot 1 (ISA bridge .0, IDE .1, UHCI .2, power management .3), the
 * primary video at slot 2, and slot 2 kept free when there is no video so that adding one
 * later moves nothing.
 */
function piix3Slots(def: DomainDef, set: PciAddressSet): void {
  for (const c of def.devices.controllers) {
    if (!isPiix3Integrated(c)) continue;
    const a = pciAddress(0, 1, c.type === 'ide' ? 1 : 2);
    const what = c.type === 'ide' ? 'Primary IDE controller' : 'PIIX3 USB controller at index 0';
    if (!fixedAddress(c, a, what)) c.address = a;
    set.reserve(a, pciConnect, controllerWhat(c), true);
  }
  set.reserve(pciAddress(0, 1, 0), pciConnect, 'the PIIX3 ISA bridge', true);
  set.reserve(pciAddress(0, 1, 3), pciConnect, 'the PIIX3 power management', true);
  placePrimaryVideo(def, set, 2);
  if (!set.slotInUse(pciAddress(0, 2))) set.reserve(pciAddress(0, 2), pciConnect, 'the primary video slot', true);
}

/**
 * q35: the ICH9 at slot 0x1f (LPC .0, AHCI .2, SMBus .3), a dmi-to-pci-bridge at 0x1e, the
 * primary video at slot 1 and ICH9 audio at 0x1b, where real hardware has them.
 */
function q35Slots(def: DomainDef, set: PciAddressSet): void {
  const integrated: Connect = { type: 'pcie', autoassign: false };
  for (const c of def.devices.controllers) {
    if (c.type === 'ide') {
      throw unsupported(
        'unsupported configuration: IDE controllers are unsupported for this QEMU binary or machine type',
      );
    }
    if (c.type === 'sata' && c.index === 0) {
      const a = pciAddress(0, 0x1f, 2);
      if (!fixedAddress(c, a, 'Primary SATA controller')) placeAt(set, c, a, controllerWhat(c), integrated);
    }
    if (c.type === 'pci' && c.model === 'dmi-to-pci-bridge' && !c.address && !set.slotInUse(pciAddress(0, 0x1e))) {
      placeAt(set, c, pciAddress(0, 0x1e), controllerWhat(c), { type: 'dmi-to-pci-bridge', autoassign: false });
    }
  }
  set.reserve(pciAddress(0, 0x1f, 0), integrated, 'the ICH9 LPC bridge', true);
  set.reserve(pciAddress(0, 0x1f, 3), integrated, 'the ICH9 SMBus controller', true);
  placePrimaryVideo(def, set, 1);
  // Real ICH9 hardware has its HD audio at 00:1b.0.
  const hda = (def.devices.sounds ?? []).find((x) => x.model === 'ich9' && !x.address);
  if (hda && !set.slotInUse(pciAddress(0, 0x1b))) placeAt(set, hda, pciAddress(0, 0x1b), 'sound', integrated);
}

function chipsetSlots(def: DomainDef, set: PciAddressSet): void {
  if (hasPcieRoot(def)) q35Slots(def, set);
  else piix3Slots(def, set);
}

function assignSlots(def: DomainDef, set: PciAddressSet): void {
  for (const { dev, what, connect } of devicesInOrder(def)) {
    if (dev.address) continue;
    const a = set.reserveNext(connect, what);
    if (!set.dryRun) dev.address = a;
  }
}

/** Every device's DeviceCommon, controllers included, for the multifunction pass. */
function allDevices(def: DomainDef): DeviceCommon[] {
  const d = def.devices;
  return [
    ...d.disks,
    ...d.controllers,
    ...d.nets,
    ...d.videos,
    ...d.watchdogs,
    ...(d.memballoon ? [d.memballoon] : []),
    ...d.rngs,
    ...d.inputs,
    ...(d.hostdevs ?? []),
    ...(d.sounds ?? []),
  ];
}

/** Function 0 of a slot whose other functions are in use gets multifunction='on' unless the XML said off. */
function setMultifunction(def: DomainDef): void {
  const devices = allDevices(def);
  for (const dev of devices) {
    const a = dev.address;
    if (a?.type !== 'pci' || a.function === 0) continue;
    const first = devices.find(
      (x) =>
        x.address?.type === 'pci' && x.address.bus === a.bus && x.address.slot === a.slot && x.address.function === 0,
    );
    if (first?.address?.type === 'pci') first.address.multifunction ??= 'on';
  }
}

const DEFAULT_MODEL_NAME: Partial<Record<PciModel, string>> = {
  'pci-bridge': 'pci-bridge',
  'dmi-to-pci-bridge': 'i82801b11-bridge',
  'pcie-to-pci-bridge': 'pcie-pci-bridge',
  'pcie-root-port': 'pcie-root-port',
};

/** `<model name>` and `<target>` defaults once the controllers have their addresses. */
function pciControllerDefaults(def: DomainDef): void {
  for (const c of pciControllers(def)) {
    const model = c.model as PciModel;
    c.modelName ??= DEFAULT_MODEL_NAME[model];
    const a = c.address?.type === 'pci' ? c.address : undefined;
    if (model === 'pci-bridge') {
      c.target = { chassisNr: c.index, ...c.target };
      if (a && c.index <= a.bus) {
        throw unsupported(
          `unsupported configuration: PCI controller at index ${c.index} (0x${c.index.toString(16).padStart(2, '0')}) has bus='0x${a.bus.toString(16).padStart(2, '0')}', but index must be larger than bus`,
        );
      }
    } else if (model === 'pcie-root-port' && a) {
      c.target = { chassis: c.index, port: (a.slot << 3) + a.function, ...c.target };
    }
  }
}

/** Insert keeping controllers of one type together and ordered by index (virDomainControllerInsertPreAlloced). */
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

/** Gives every PCI device without an address one, adding the PCI controllers that takes. */
export function assignPciAddresses(def: DomainDef): void {
  const maxIndex = Math.max(-1, ...pciControllers(def).map((c) => c.index));
  if (maxIndex < 0) return;

  // Pass 1: how many buses, of which models, the devices need.
  const dry = newAddressSet(def, maxIndex + 1, true);
  chipsetSlots(def, dry);
  if (!hasPcieRoot(def) && dry.buses.some((_, i) => !dry.busFullyReserved(i))) {
    // One slot kept for a future pci-bridge, so a full bus 0 still has room to grow.
    dry.reserveNext(pciConnect, 'a future pci-bridge');
  }
  assignSlots(def, dry);
  if (maxIndex <= 0 && dry.buses.length > maxIndex + 1 && hasPcieRoot(def)) {
    // libvirt manages this guest's PCIe topology, so it leaves one empty root port for hotplug.
    dry.reserveNext(pcieConnect, 'a spare pcie-root-port');
  }
  for (let i = 1; i < dry.buses.length; i++) {
    if (pciControllers(def).some((c) => c.index === i)) continue;
    const c: ControllerDef = { type: 'pci', index: i, model: dry.buses[i]!.model };
    insertController(def.devices.controllers, c);
    dry.reserveNext(controllerConnectOf(def, c)!, controllerWhat(c));
  }

  // Pass 2: the addresses themselves.
  const set = newAddressSet(def, dry.buses.length, false);
  chipsetSlots(def, set);
  assignSlots(def, set);
  setMultifunction(def);
  pciControllerDefaults(def);
}
