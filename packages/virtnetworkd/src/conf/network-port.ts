/**
 * Network port XML (libvirt's virNetworkPortDef, the parts tsvirt honours): who owns the port,
 * the guest's MAC, and the plug the network fills in (which bridge the guest's tap joins).
 * Pure: parse (safe, own schema, defaults) and canonical format.
 */
import { randomUUID } from 'node:crypto';
import { ErrorDomain } from '@tsvirt/common';
import {
  XmlWriter,
  attr,
  childElement,
  childText,
  parseXmlSafe,
  validateRng,
  type XmlElement,
} from '@tsvirt/common/xml';
import { networkXmlError } from './network-errors.js';
import { normalizeUuid } from './network-parse.js';
import { networkPortSchemaPath } from './schema-path.js';

/** `network`: a bridge the network manages; `bridge`: a host bridge a forward mode='bridge' network names. */
export type PortPlugType = 'network' | 'bridge';

export interface PortPlug {
  type: PortPlugType;
  bridge: string;
}

export interface NetworkPortDef {
  uuid: string;
  owner: { name: string; uuid: string };
  mac: string;
  plug?: PortPlug;
}

export interface PortParseOptions {
  generateUuid?: () => string;
}

export function networkPortDefFromXml(xml: string, options: PortParseOptions = {}): NetworkPortDef {
  const what = 'network_port_definition';
  const doc = parseXmlSafe(xml, what, ErrorDomain.NETWORK);
  const root = doc.root() as XmlElement;
  if (root.name() !== 'networkport') {
    throw networkXmlError(`expecting root element of 'networkport', not '${root.name()}'`);
  }
  validateRng(doc, xml, networkPortSchemaPath(), what, ErrorDomain.NETWORK);
  const owner = childElement(root, 'owner')!;
  const uuid = childText(root, 'uuid');
  const def: NetworkPortDef = {
    uuid: uuid !== undefined ? normalizeUuid(uuid) : (options.generateUuid ?? randomUUID)(),
    owner: { name: childText(owner, 'name') ?? '', uuid: normalizeUuid(childText(owner, 'uuid') ?? '') },
    mac: (attr(childElement(root, 'mac'), 'address') ?? '').toLowerCase(),
  };
  const plug = childElement(root, 'plug');
  if (plug) def.plug = { type: attr(plug, 'type') as PortPlugType, bridge: attr(plug, 'bridge') ?? '' };
  return def;
}

/** As `virsh net-port-dumpxml` prints it. */
export function formatNetworkPortDef(def: NetworkPortDef): string {
  const w = new XmlWriter();
  w.open('networkport');
  w.text('uuid', def.uuid);
  w.block('owner', [], () => {
    w.text('name', def.owner.name);
    w.text('uuid', def.owner.uuid);
  });
  w.empty('mac', [['address', def.mac]]);
  if (def.plug) {
    w.empty('plug', [
      ['type', def.plug.type],
      ['bridge', def.plug.bridge],
      ['macTableManager', def.plug.type === 'network' ? 'kernel' : undefined],
    ]);
  }
  w.close('networkport');
  return w.toString();
}
