/** `<hostdev type='pci'>`: a `vfio-pci` device per host PCI device, at the guest PCI address the conf layer gave it. */
import type { DomainDef } from '../../conf/domain-def.js';
import { hostdevPciName } from '../../conf/devices/hostdev.js';
import { jsonOption } from './option-value.js';
import { pciProps } from './device-props.js';

export function hostdevArgs(def: DomainDef): string[] {
  const args: string[] = [];
  def.devices.hostdevs.forEach((h, i) => {
    const what = `hostdev ${i}`;
    const placement = Object.fromEntries(pciProps(def, h, what).filter(([, v]) => v !== undefined));
    args.push(
      '-device',
      jsonOption({
        driver: 'vfio-pci',
        host: hostdevPciName(h),
        id: h.alias ?? `hostdev${i}`,
        bootindex: h.bootOrder,
        ...placement,
      }),
    );
  });
  return args;
}
