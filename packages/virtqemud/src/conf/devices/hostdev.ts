/** `<hostdev mode='subsystem' type='pci'>`: a host PCI device assigned to the guest through VFIO. */
import type { HostdevDef } from '../domain-def.js';
import type { XmlElement } from '../xml-parse.js';
import { unsupported, xmlDetail } from '../conf-error.js';
import { attr, childElement, onlyValues, optUint, optYesNo, parseUint, type XmlWriter } from '../xml-util.js';
import { formatCommon, parseCommon } from './address.js';

export function parseHostdev(el: XmlElement): HostdevDef {
  onlyValues(attr(el, 'mode') ?? 'subsystem', ['subsystem'] as const, '<hostdev mode>');
  onlyValues(attr(el, 'type') ?? '', ['pci'] as const, '<hostdev type>');
  const a = childElement(childElement(el, 'source') ?? el, 'address');
  if (!a || childElement(el, 'source') === undefined) {
    throw unsupported("unsupported configuration: <hostdev type='pci'> needs <source><address>");
  }
  const hostdev: HostdevDef = {
    managed: optYesNo(el, 'managed') ?? false,
    source: {
      domain: optUint(a, 'domain', 'hostdev source address domain') ?? 0,
      bus: parseUint(attr(a, 'bus') ?? '', 'hostdev source address bus'),
      slot: parseUint(attr(a, 'slot') ?? '', 'hostdev source address slot'),
      function: optUint(a, 'function', 'hostdev source address function') ?? 0,
    },
  };
  const driver = attr(childElement(el, 'driver'), 'name');
  // kvm (legacy device assignment) and xen are gone from QEMU: only VFIO remains.
  if (driver !== undefined) hostdev.driver = onlyValues(driver, ['vfio'] as const, '<hostdev> <driver name>');
  const order = optUint(childElement(el, 'boot'), 'order', 'hostdev boot order');
  if (order !== undefined) hostdev.bootOrder = order;
  parseCommon(el, 'hostdev', hostdev);
  return hostdev;
}

const hex = (n: number, width: number): string => `0x${n.toString(16).padStart(width, '0')}`;

/** `0000:00:04.0`, the host's (sysfs) name of the device. */
export function hostdevPciName(h: HostdevDef): string {
  const s = h.source;
  return `${s.domain.toString(16).padStart(4, '0')}:${s.bus.toString(16).padStart(2, '0')}:${s.slot.toString(16).padStart(2, '0')}.${s.function.toString(16)}`;
}

export function formatHostdev(w: XmlWriter, h: HostdevDef): void {
  w.open('hostdev', [
    ['mode', 'subsystem'],
    ['type', 'pci'],
    ['managed', h.managed ? 'yes' : 'no'],
  ]);
  if (h.driver !== undefined) w.empty('driver', [['name', h.driver]]);
  w.open('source');
  w.empty('address', [
    ['domain', hex(h.source.domain, 4)],
    ['bus', hex(h.source.bus, 2)],
    ['slot', hex(h.source.slot, 2)],
    ['function', hex(h.source.function, 1)],
  ]);
  w.close('source');
  if (h.bootOrder !== undefined) w.empty('boot', [['order', h.bootOrder]]);
  formatCommon(w, h);
  w.close('hostdev');
}

/** A host device can be given to a guest once. */
export function validateHostdevs(hostdevs: readonly HostdevDef[]): void {
  const seen = new Set<string>();
  for (const h of hostdevs) {
    const name = hostdevPciName(h);
    if (seen.has(name)) throw xmlDetail(`host PCI device ${name} is assigned twice`);
    seen.add(name);
  }
}
