/** Controllers that are devices of their own (USB, SCSI, AHCI, virtio-serial); the PCI root, IDE and FDC come with the machine. */
import type { ControllerDef, DomainDef } from '../../conf/domain-def.js';
import { isQ35 } from '../../conf/device-address.js';
import { keyval } from './option-value.js';
import { pciProps } from './device-props.js';
import { cannotExpress } from './runtime-info.js';

const USB_DEVICE: Record<string, string> = { 'piix3-uhci': 'piix3-usb-uhci', 'qemu-xhci': 'qemu-xhci' };
const SCSI_DEVICE: Record<string, string> = { lsilogic: 'lsi', 'virtio-scsi': 'virtio-scsi-pci' };

/** libvirt's controller ids: `usb` for the first USB controller (its bus is then `usb.0`), `scsi0`, `sata1`... */
export function controllerAlias(c: ControllerDef): string {
  if (c.alias !== undefined) return c.alias;
  return c.type === 'usb' && c.index === 0 ? 'usb' : `${c.type}${c.index}`;
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
  const args: string[] = [];
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
