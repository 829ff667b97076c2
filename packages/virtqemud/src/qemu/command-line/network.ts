/** NICs: a `-netdev` backend (user networking, or the tap device the driver prepared) and the guest NIC on PCI. */
import type { DomainDef, NetDef } from '../../conf/domain-def.js';
import { keyval } from './option-value.js';
import { bootIndexes, pciProps } from './device-props.js';
import { cannotExpress, missingRuntime, type QemuRuntimeInfo } from './runtime-info.js';

const NIC_DEVICE: Record<string, string> = {
  virtio: 'virtio-net-pci',
  e1000: 'e1000',
  e1000e: 'e1000e',
  rtl8139: 'rtl8139',
};

function netdev(net: NetDef, id: string, runtime: QemuRuntimeInfo): string {
  if (net.type === 'user') return keyval('user', [['id', id]]);
  const tap = net.mac === undefined ? undefined : runtime.taps[net.mac];
  if (!tap) throw missingRuntime(`no tap device for <interface type='${net.type}'> with MAC '${net.mac ?? ''}'`);
  // The driver has created and attached the tap already; QEMU must run no helper script of its own.
  return keyval('tap', [
    ['id', id],
    ['ifname', tap.ifname],
    ['script', 'no'],
    ['downscript', 'no'],
  ]);
}

export function netArgs(def: DomainDef, runtime: QemuRuntimeInfo): string[] {
  const args: string[] = [];
  const boot = bootIndexes(def);
  def.devices.nets.forEach((net, i) => {
    const driver = NIC_DEVICE[net.model ?? 'rtl8139'];
    if (driver === undefined) throw cannotExpress(`<interface> <model type> '${net.model ?? ''}'`);
    const id = `hostnet${i}`;
    args.push('-netdev', netdev(net, id, runtime));
    args.push(
      '-device',
      keyval(driver, [
        ['netdev', id],
        ['id', net.alias ?? `net${i}`],
        ['mac', net.mac],
        // The guest learns the MTU only through virtio-net; other models just see the tap's.
        ['host_mtu', net.model === 'virtio' ? net.mtu : undefined],
        ['bootindex', boot.get(net)],
        ...pciProps(def, net, `interface ${i}`),
      ]),
    );
  });
  return args;
}
