/** `<controller>`: PCI roots, USB, IDE, FDC, SATA, SCSI and virtio-serial controllers. */
import type { ControllerDef } from '../domain-def.js';
import type { XmlElement } from '../xml-parse.js';
import { attr, onlyValues, optUint, type XmlWriter } from '../xml-util.js';
import { formatCommon, parseCommon } from './address.js';

const TYPES = ['pci', 'usb', 'ide', 'fdc', 'sata', 'scsi', 'virtio-serial'] as const;

export function parseController(el: XmlElement): ControllerDef {
  const type = onlyValues(attr(el, 'type') ?? '', TYPES, '<controller type>');
  const ctrl: ControllerDef = { type, index: optUint(el, 'index', 'controller index') ?? 0 };
  const model = attr(el, 'model');
  if (model !== undefined) ctrl.model = model;
  const ports = optUint(el, 'ports', 'controller ports');
  if (ports !== undefined) ctrl.ports = ports;
  parseCommon(el, 'controller', ctrl);
  return ctrl;
}

export function formatController(w: XmlWriter, c: ControllerDef): void {
  const attrs = [
    ['type', c.type],
    ['index', c.index],
    ['model', c.model],
    ['ports', c.ports],
  ] as const;
  w.block('controller', attrs, (inner) => formatCommon(inner, c));
}
