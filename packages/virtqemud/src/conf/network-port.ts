/**
 * The network port XML virtqemud exchanges with virtnetworkd for an `<interface type='network'>`
 * (libvirt's virNetworkPortDef, the parts the QEMU driver fills in and reads back): what it
 * sends (uuid, owner domain, MAC, and on a reclaim the plug it already uses) and the plug
 * the network answers with (which bridge the guest's tap joins). Pure.
 */
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import { parseXmlSafe } from './xml-parse.js';
import { XmlWriter, attr, childElement, childText } from './xml-util.js';

/** `network`: a bridge the network manages; `bridge`: a host bridge of a forward mode='bridge' network. */
export type NetworkPortPlugType = 'network' | 'bridge';

export interface NetworkPortPlug {
  type: NetworkPortPlugType;
  bridge: string;
}

export interface NetworkPortXmlDef {
  uuid: string;
  owner: { name: string; uuid: string };
  mac: string;
  plug?: NetworkPortPlug;
}

export function formatNetworkPortXml(def: NetworkPortXmlDef): string {
  const w = new XmlWriter();
  w.open('networkport');
  w.text('uuid', def.uuid);
  w.block('owner', [], () => {
    w.text('name', def.owner.name);
    w.text('uuid', def.owner.uuid);
  });
  w.empty('mac', [['address', def.mac]]);
  if (def.plug)
    w.empty('plug', [
      ['type', def.plug.type],
      ['bridge', def.plug.bridge],
    ]);
  w.close('networkport');
  return w.toString();
}

function badPort(message: string): VirError {
  return new VirError(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, message);
}

/**
 * The plug of a port XML the network returned. Only bridge plugs have a tap for QEMU to
 * make (libvirt's direct and hostdev plugs need devices tsvirt does not drive).
 */
export function networkPortPlugFromXml(xml: string): NetworkPortPlug {
  const root = parseXmlSafe(xml, 'network port XML').root();
  if (!root || root.name() !== 'networkport') throw badPort('the network returned no <networkport> document');
  const plug = childElement(root, 'plug');
  const type = attr(plug, 'type');
  const bridge = attr(plug, 'bridge');
  if (type !== 'network' && type !== 'bridge') {
    throw new VirError(
      ErrorCode.CONFIG_UNSUPPORTED,
      ErrorDomain.QEMU,
      `unsupported configuration: network port '${childText(root, 'uuid') ?? ''}' has plug type '${type ?? ''}', only bridge plugs are supported`,
    );
  }
  if (bridge === undefined || bridge === '') throw badPort(`network port plug of type '${type}' names no bridge`);
  return { type, bridge };
}
