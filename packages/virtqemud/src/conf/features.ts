/** `<features>`: machine switches (acpi, apic, pae, smm, vmport, pmu) and the hyperv/kvm CPUID enlightenments. */
import type { DomainDef, FeaturesDef, HypervDef, HypervSwitch, OnOff } from './domain-def.js';
import type { XmlElement } from './xml-parse.js';
import { unsupported, xmlDetail } from './conf-error.js';
import { attr, childElement, childElements, optUint, refuse, type XmlWriter } from './xml-util.js';

/** libvirt's order, which is also the order libvirt writes their `hv-*` properties in. */
export const HYPERV_SWITCHES: readonly HypervSwitch[] = [
  'relaxed',
  'vapic',
  'spinlocks',
  'vpindex',
  'runtime',
  'synic',
  'stimer',
  'reset',
  'vendor_id',
  'frequencies',
  'reenlightenment',
  'tlbflush',
  'ipi',
  'evmcs',
];

/** QEMU's smallest spinlock retry count (0xfff); libvirt refuses less. */
const MIN_SPINLOCK_RETRIES = 4095;

const onOff = (el: XmlElement | undefined): OnOff | undefined => attr(el, 'state') as OnOff | undefined;

export function parseFeatures(el: XmlElement | undefined): FeaturesDef {
  const f: FeaturesDef = { acpi: false, apic: false, pae: false };
  if (!el) return f;
  for (const child of childElements(el)) {
    const name = child.name();
    switch (name) {
      case 'acpi':
      case 'apic':
      case 'pae':
        f[name] = true;
        break;
      case 'smm':
        if (childElement(child, 'tseg')) refuse('<smm> element', 'tseg');
        // A bare <smm/> turns SMM on, as in libvirt.
        f.smm = onOff(child) ?? 'on';
        break;
      case 'vmport':
      case 'pmu': {
        const state = onOff(child);
        if (state !== undefined) f[name] = state;
        break;
      }
      case 'hyperv':
        f.hyperv = parseHyperv(child);
        break;
      case 'kvm':
        for (const k of childElements(child)) {
          if (k.name() !== 'hidden') refuse('<kvm> element', k.name());
          const state = onOff(k);
          if (state !== undefined) f.kvmHidden = state;
        }
        break;
      default:
        refuse('<features> element', name);
    }
  }
  return f;
}

function parseHyperv(el: XmlElement): HypervDef {
  const mode = attr(el, 'mode') ?? 'custom';
  // passthrough hands the guest every enlightenment the host kernel has: host-dependent, like host-passthrough.
  if (mode !== 'custom') refuse('<hyperv mode>', mode);
  const h: HypervDef = { mode: 'custom', state: {} };
  for (const child of childElements(el)) {
    const name = child.name() as HypervSwitch;
    if (!HYPERV_SWITCHES.includes(name)) refuse('<hyperv> element', child.name());
    const state = onOff(child);
    if (state !== undefined) h.state[name] = state;
    if (name === 'spinlocks') {
      const retries = optUint(child, 'retries', 'hyperv spinlocks retries');
      if (retries !== undefined) h.spinlockRetries = retries;
    } else if (name === 'vendor_id') {
      const value = attr(child, 'value');
      if (value !== undefined) h.vendorId = value;
    } else if (name === 'stimer') {
      const direct = onOff(childElement(child, 'direct'));
      if (direct !== undefined) h.stimerDirect = direct;
    }
  }
  return h;
}

export function formatFeatures(w: XmlWriter, f: FeaturesDef): void {
  const any =
    f.acpi || f.apic || f.pae || f.hyperv || f.kvmHidden !== undefined || f.pmu || f.vmport || f.smm !== undefined;
  if (!any) return;
  w.block('features', [], (inner) => {
    if (f.acpi) inner.empty('acpi');
    if (f.apic) inner.empty('apic');
    if (f.pae) inner.empty('pae');
    if (f.hyperv) formatHyperv(inner, f.hyperv);
    if (f.kvmHidden !== undefined) {
      inner.open('kvm');
      inner.empty('hidden', [['state', f.kvmHidden]]);
      inner.close('kvm');
    }
    if (f.pmu !== undefined) inner.empty('pmu', [['state', f.pmu]]);
    if (f.vmport !== undefined) inner.empty('vmport', [['state', f.vmport]]);
    if (f.smm !== undefined) inner.empty('smm', [['state', f.smm]]);
  });
}

function formatHyperv(w: XmlWriter, h: HypervDef): void {
  w.block('hyperv', [['mode', h.mode]], (inner) => {
    for (const name of HYPERV_SWITCHES) {
      const state = h.state[name];
      if (state === undefined) continue;
      if (name === 'spinlocks') {
        inner.empty(name, [
          ['state', state],
          ['retries', state === 'on' ? h.spinlockRetries : undefined],
        ]);
      } else if (name === 'vendor_id') {
        inner.empty(name, [
          ['state', state],
          ['value', state === 'on' ? h.vendorId : undefined],
        ]);
      } else if (name === 'stimer' && h.stimerDirect !== undefined) {
        inner.open(name, [['state', state]]);
        inner.empty('direct', [['state', h.stimerDirect]]);
        inner.close(name);
      } else {
        inner.empty(name, [['state', state]]);
      }
    }
  });
}

/** What QEMU requires of the enlightenments it is given; checked here so the error names the XML, not a QEMU flag. */
const HYPERV_NEEDS: ReadonlyArray<[feature: HypervSwitch, needs: HypervSwitch]> = [
  ['synic', 'vpindex'],
  ['stimer', 'synic'],
  ['tlbflush', 'vpindex'],
  ['ipi', 'vpindex'],
  ['evmcs', 'vapic'],
];

export function validateFeatures(def: DomainDef): void {
  const h = def.features.hyperv;
  if (!h) return;
  const on = (name: HypervSwitch): boolean => h.state[name] === 'on';
  if (on('spinlocks')) {
    if (h.spinlockRetries === undefined) throw xmlDetail("<hyperv> <spinlocks state='on'> needs a retries count");
    if (h.spinlockRetries < MIN_SPINLOCK_RETRIES) {
      throw xmlDetail(`HyperV spinlock retry count '${h.spinlockRetries}' must be at least ${MIN_SPINLOCK_RETRIES}`);
    }
  }
  if (on('vendor_id') && !h.vendorId) throw xmlDetail("<hyperv> <vendor_id state='on'> needs a value");
  for (const [feature, needs] of HYPERV_NEEDS) {
    if (on(feature) && !on(needs)) {
      throw unsupported(`unsupported configuration: Hyper-V feature '${feature}' requires feature '${needs}'`);
    }
  }
  const hypervclock = def.clock?.timers.some((t) => t.name === 'hypervclock' && t.present !== false) ?? false;
  if (on('stimer') && !hypervclock) {
    throw unsupported("unsupported configuration: Hyper-V feature 'stimer' requires <timer name='hypervclock'>");
  }
  if (h.stimerDirect === 'on' && !on('stimer')) {
    throw unsupported("unsupported configuration: Hyper-V feature 'stimer' <direct> requires 'stimer'");
  }
}
