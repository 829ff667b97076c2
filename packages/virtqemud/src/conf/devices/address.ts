/** Device `<address>` and `<alias>`: shared by every device family. */
import type { DeviceAddress, DeviceCommon } from '../domain-def.js';
import type { XmlElement } from '../xml-parse.js';
import { attr, childElement, optUint, parseUint, refuse, type XmlWriter } from '../xml-util.js';

export function parseAddress(el: XmlElement, device: string): DeviceAddress | undefined {
  const a = childElement(el, 'address');
  if (!a) return undefined;
  const type = attr(a, 'type') ?? '';
  if (type === 'pci') {
    const multifunction = attr(a, 'multifunction') as 'on' | 'off' | undefined;
    const addr: DeviceAddress = {
      type: 'pci',
      domain: optUint(a, 'domain', `${device} address domain`) ?? 0,
      bus: parseUint(attr(a, 'bus') ?? '', `${device} address bus`),
      slot: parseUint(attr(a, 'slot') ?? '', `${device} address slot`),
      function: optUint(a, 'function', `${device} address function`) ?? 0,
    };
    if (multifunction) addr.multifunction = multifunction;
    return addr;
  }
  if (type === 'drive') {
    return {
      type: 'drive',
      controller: optUint(a, 'controller', `${device} address controller`) ?? 0,
      bus: optUint(a, 'bus', `${device} address bus`) ?? 0,
      target: optUint(a, 'target', `${device} address target`) ?? 0,
      unit: optUint(a, 'unit', `${device} address unit`) ?? 0,
    };
  }
  return refuse(`${device} <address type>`, type);
}

/** Reads `<alias>` and `<address>` into `common`. */
export function parseCommon(el: XmlElement, device: string, common: DeviceCommon): void {
  const alias = attr(childElement(el, 'alias'), 'name');
  if (alias !== undefined) common.alias = alias;
  const address = parseAddress(el, device);
  if (address) common.address = address;
}

const hex = (n: number, width: number): string => `0x${n.toString(16).padStart(width, '0')}`;

export function formatCommon(w: XmlWriter, common: DeviceCommon): void {
  if (common.alias !== undefined) w.empty('alias', [['name', common.alias]]);
  const a = common.address;
  if (!a) return;
  if (a.type === 'pci') {
    w.empty('address', [
      ['type', 'pci'],
      ['domain', hex(a.domain, 4)],
      ['bus', hex(a.bus, 2)],
      ['slot', hex(a.slot, 2)],
      ['function', hex(a.function, 1)],
      ['multifunction', a.multifunction],
    ]);
  } else {
    w.empty('address', [
      ['type', 'drive'],
      ['controller', a.controller],
      ['bus', a.bus],
      ['target', a.target],
      ['unit', a.unit],
    ]);
  }
}
