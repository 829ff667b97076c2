/** `<interface>`: network, bridge, user and ethernet NICs. */
import type { NetDef } from '../domain-def.js';
import type { XmlElement } from '../xml-parse.js';
import { unsupported } from '../conf-error.js';
import { attr, childElement, onlyValues, optUint, type XmlWriter } from '../xml-util.js';
import { formatCommon, parseCommon } from './address.js';

/** Names QEMU's driver picks for tap devices; libvirt forgets them in the inactive XML. */
const AUTO_TAP_NAME = /^(vnet|macvtap|macvlan)\d+$/;

export function parseNet(el: XmlElement): NetDef {
  const type = onlyValues(
    attr(el, 'type') ?? '',
    ['network', 'bridge', 'user', 'ethernet'] as const,
    '<interface type>',
  );
  const net: NetDef = { type };
  const mac = attr(childElement(el, 'mac'), 'address');
  if (mac !== undefined) net.mac = mac.toLowerCase();
  const src = childElement(el, 'source');
  if (src) {
    const network = attr(src, 'network');
    const bridge = attr(src, 'bridge');
    if (type === 'network' && network !== undefined) {
      net.source = { network };
      const portid = attr(src, 'portid');
      if (portid !== undefined) net.source.portid = portid.toLowerCase();
      if (bridge !== undefined) net.source.bridge = bridge;
    } else if (type === 'bridge' && bridge !== undefined) net.source = { bridge };
    else {
      const given = src.attrs()[0]?.name() ?? '(none)';
      onlyValues(given, [], `<interface type='${type}'> <source> attribute`);
    }
  }
  const targetDev = attr(childElement(el, 'target'), 'dev');
  if (targetDev !== undefined) net.targetDev = targetDev;
  const model = attr(childElement(el, 'model'), 'type');
  if (model !== undefined) net.model = model;
  const mtu = optUint(childElement(el, 'mtu'), 'size', 'interface MTU size');
  if (mtu !== undefined) {
    // Only a tap has a host side whose MTU can be set (libvirt's qemuDomainNetSupportsMTU).
    if (type === 'user') {
      throw unsupported(`unsupported configuration: setting MTU on interface type '${type}' is not supported yet`);
    }
    net.mtu = mtu;
  }
  const order = optUint(childElement(el, 'boot'), 'order', 'interface boot order');
  if (order !== undefined) net.bootOrder = order;
  parseCommon(el, 'interface', net);
  return net;
}

export function formatNet(w: XmlWriter, n: NetDef, inactive: boolean): void {
  w.open('interface', [['type', n.type]]);
  if (n.mac !== undefined) w.empty('mac', [['address', n.mac]]);
  if (n.source) {
    // A network's port and bridge belong to one run, as in libvirt's inactive XML.
    const live = n.type !== 'network' || !inactive;
    w.empty('source', [
      ['network', n.source.network],
      ['portid', live ? n.source.portid : undefined],
      ['bridge', live ? n.source.bridge : undefined],
    ]);
  }
  if (n.targetDev !== undefined && !(inactive && AUTO_TAP_NAME.test(n.targetDev))) {
    w.empty('target', [['dev', n.targetDev]]);
  }
  if (n.model !== undefined) w.empty('model', [['type', n.model]]);
  if (n.mtu !== undefined) w.empty('mtu', [['size', n.mtu]]);
  if (n.bootOrder !== undefined) w.empty('boot', [['order', n.bootOrder]]);
  formatCommon(w, n);
  w.close('interface');
}
