/** The `-cpu` properties libvirt adds after the model: paravirtual clocks, Hyper-V enlightenments, KVM hiding, PMU. */
import type { DomainDef } from '../../conf/domain-def.js';
import { HYPERV_SWITCHES } from '../../conf/features.js';
import { cannotExpress } from './runtime-info.js';

/** libvirt's model when features need a `-cpu` but the XML names none. */
const DEFAULT_MODEL: Record<string, string> = { x86_64: 'qemu64', i686: 'qemu32' };

/** `hv-*`, `kvmclock`, `kvm` and `pmu` items, in libvirt's order. */
export function cpuFeatureProps(def: DomainDef): string[] {
  const props: string[] = [];
  for (const t of def.clock?.timers ?? []) {
    if (t.name === 'kvmclock' && t.present !== undefined) props.push(`kvmclock=${t.present ? 'on' : 'off'}`);
    if (t.name === 'hypervclock' && t.present === true) props.push('hv-time=on');
  }
  const h = def.features.hyperv;
  if (h) {
    for (const name of HYPERV_SWITCHES) {
      if (h.state[name] !== 'on') continue;
      if (name === 'spinlocks') props.push(`hv-spinlocks=0x${(h.spinlockRetries ?? 0).toString(16)}`);
      else if (name === 'vendor_id') {
        // -cpu has no escape for a comma; the schema keeps it out, this keeps it out of the argv too.
        if (h.vendorId === undefined || h.vendorId.includes(','))
          throw cannotExpress(`Hyper-V vendor_id '${h.vendorId ?? ''}'`);
        props.push(`hv-vendor-id=${h.vendorId}`);
      } else {
        props.push(`hv-${name}=on`);
        if (name === 'stimer' && h.stimerDirect === 'on') props.push('hv-stimer-direct=on');
      }
    }
  }
  if (def.features.kvmHidden === 'on') props.push('kvm=off');
  if (def.features.pmu !== undefined) props.push(`pmu=${def.features.pmu}`);
  return props;
}

/** `cpuArgs` (machine.ts) with the feature properties appended, or a default model carrying them. */
export function withCpuFeatures(def: DomainDef, cpuArgs: string[]): string[] {
  const props = cpuFeatureProps(def);
  if (props.length === 0) return cpuArgs;
  const model = cpuArgs[1] ?? DEFAULT_MODEL[def.os.arch ?? 'x86_64'];
  if (model === undefined) throw cannotExpress(`CPU features on architecture '${def.os.arch ?? ''}'`);
  return ['-cpu', [model, ...props].join(',')];
}
