/** `<controller>`: PCI roots and bridges, USB, IDE, FDC, SATA, SCSI and virtio-serial controllers. */
import type { ControllerDef } from '../domain-def.js';
import type { XmlElement } from '../xml-parse.js';
import { attr, childElement, onlyValues, optUint, type XmlWriter } from '../xml-util.js';
import { formatCommon, parseCommon } from './address.js';

const TYPES = ['pci', 'usb', 'ide', 'fdc', 'sata', 'scsi', 'virtio-serial'] as const;

/** The QEMU devices each PCI controller model may be built from (`<model name>`). */
const PCI_MODEL_NAMES: Record<string, readonly string[]> = {
  'pcie-root-port': ['pcie-root-port', 'ioh3420'],
  'pci-bridge': ['pci-bridge'],
  'pcie-to-pci-bridge': ['pcie-pci-bridge'],
  'dmi-to-pci-bridge': ['i82801b11-bridge'],
};

export function parseController(el: XmlElement): ControllerDef {
  const type = onlyValues(attr(el, 'type') ?? '', TYPES, '<controller type>');
  const ctrl: ControllerDef = { type, index: optUint(el, 'index', 'controller index') ?? 0 };
  const model = attr(el, 'model');
  if (model !== undefined) ctrl.model = model;
  const ports = optUint(el, 'ports', 'controller ports');
  if (ports !== undefined) ctrl.ports = ports;
  const modelName = attr(childElement(el, 'model'), 'name');
  if (modelName !== undefined) {
    const allowed = type === 'pci' ? (PCI_MODEL_NAMES[model ?? ''] ?? []) : [];
    ctrl.modelName = onlyValues(modelName, allowed, `<controller type='${type}' model='${model ?? ''}'> <model name>`);
  }
  const target = childElement(el, 'target');
  if (target) {
    const t: NonNullable<ControllerDef['target']> = {};
    const chassisNr = optUint(target, 'chassisNr', 'controller target chassisNr');
    const chassis = optUint(target, 'chassis', 'controller target chassis');
    const port = optUint(target, 'port', 'controller target port');
    if (chassisNr !== undefined) t.chassisNr = chassisNr;
    if (chassis !== undefined) t.chassis = chassis;
    if (port !== undefined) t.port = port;
    ctrl.target = t;
  }
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
  w.block('controller', attrs, (inner) => {
    if (c.modelName !== undefined) inner.empty('model', [['name', c.modelName]]);
    const t = c.target;
    if (t && (t.chassisNr !== undefined || t.chassis !== undefined || t.port !== undefined)) {
      inner.empty('target', [
        ['chassisNr', t.chassisNr],
        ['chassis', t.chassis],
        ['port', t.port === undefined ? undefined : `0x${t.port.toString(16)}`],
      ]);
    }
    formatCommon(inner, c);
  });
}
