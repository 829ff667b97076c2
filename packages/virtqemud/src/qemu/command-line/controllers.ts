/**
 * Controllers that are devices of their own (PCI bridges and root ports, USB, SCSI, AHCI,
 * virtio-serial); the PCI root, IDE, FDC and q35's first AHCI come with the machine.
 */
import type { ControllerDef, DomainDef } from '../../conf/domain-def.js';
import { isQ35 } from '../../conf/device-address.js';
import { keyval, type OptionItem } from './option-value.js';
import { pciProps } from './device-props.js';
import { cannotExpress } from './runtime-info.js';

const USB_DEVICE: Record<string, string> = { 'piix3-uhci': 'piix3-usb-uhci', 'qemu-xhci': 'qemu-xhci' };
const SCSI_DEVICE: Record<string, string> = { lsilogic: 'lsi', 'virtio-scsi': 'virtio-scsi-pci' };

/**
 * libvirt's controller ids: `usb` for the first USB controller (its bus is then `usb.0`),
 * `scsi0`, `sata1`..., and `pci.N` for PCI controller N, which is also the name of the bus
 * it provides.
 */
export function controllerAlias(c: ControllerDef): string {
  if (c.alias !== undefined) return c.alias;
  if (c.type === 'pci') return `pci.${c.index}`;
  return c.type === 'usb' && c.index === 0 ? 'usb' : `${c.type}${c.index}`;
}

/** QEMU properties of a PCI bridge or port, in libvirt's order: chassis and port before the id. */
function pciControllerProps(c: ControllerDef): OptionItem[] {
  const t = c.target ?? {};
  switch (c.model) {
    case 'pcie-root-port':
      return [
        ['port', t.port === undefined ? undefined : `0x${t.port.toString(16)}`],
        ['chassis', t.chassis],
      ];
    case 'pci-bridge':
      return [['chassis_nr', t.chassisNr]];
    default:
      return [];
  }
}

/**
 * PCI controllers first, each after the one whose bus it plugs into (QEMU needs the bus to
 * exist), lowest index first.
 */
function pciControllerArgs(def: DomainDef): string[] {
  const pending = def.devices.controllers
    .filter((c) => c.type === 'pci' && c.index !== 0)
    .sort((a, b) => a.index - b.index);
  const present = new Set([0]);
  const args: string[] = [];
  while (pending.length > 0) {
    const i = pending.findIndex((c) => c.address?.type === 'pci' && present.has(c.address.bus));
    const c = pending[i];
    if (!c) throw cannotExpress(`PCI controller ${pending[0]?.index ?? ''} on a bus no controller provides`);
    pending.splice(i, 1);
    present.add(c.index);
    const driver = c.modelName;
    if (driver === undefined)
      throw cannotExpress(`<controller type='pci' model='${c.model ?? ''}'> without <model name>`);
    const what = `controller pci ${c.index}`;
    args.push(
      '-device',
      keyval(driver, [...pciControllerProps(c), ['id', controllerAlias(c)], ...pciProps(def, c, what)]),
    );
  }
  return args;
}

function controllerDriver(def: DomainDef, c: ControllerDef): string | undefined {
  const what = `<controller type='${c.type}' model='${c.model ?? ''}'>`;
  switch (c.type) {
    case 'pci':
    case 'ide':
    case 'fdc':
      return undefined;
    case 'usb':
      if (c.model === 'none') return undefined;
      if (!USB_DEVICE[c.model ?? '']) throw cannotExpress(what);
      return USB_DEVICE[c.model ?? ''];
    case 'scsi':
      if (!SCSI_DEVICE[c.model ?? 'lsilogic']) throw cannotExpress(what);
      return SCSI_DEVICE[c.model ?? 'lsilogic'];
    case 'sata':
      return isQ35(def.os.machine) && c.index === 0 ? undefined : 'ahci';
    case 'virtio-serial':
      return 'virtio-serial-pci';
  }
}

export function controllerArgs(def: DomainDef): string[] {
  const args = pciControllerArgs(def);
  for (const c of def.devices.controllers) {
    const driver = controllerDriver(def, c);
    if (driver === undefined) continue;
    const what = `controller ${c.type} ${c.index}`;
    args.push('-device', keyval(driver, [['id', controllerAlias(c)], ...pciProps(def, c, what)]));
  }
  return args;
}

/** The bus name USB devices plug into, or undefined when there is no USB controller. */
export function usbBus(def: DomainDef): string | undefined {
  const c = def.devices.controllers.find((x) => x.type === 'usb' && x.model !== 'none');
  return c ? `${controllerAlias(c)}.0` : undefined;
}
