/** Storage volume XML → VolDef, read for a given pool as libvirt's virStorageVolDefParse does. */
import { ErrorDomain } from '@tsvirt/common';
import { attr, childElement, childElements, childText, scaledToBytes, type XmlElement } from '@tsvirt/common/xml';
import type { PoolDef } from './pool-def.js';
import { parsePermissions } from './permissions.js';
import { isVolFormat, POOL_TYPE_INFO, type PoolTypeInfo } from './pool-types.js';
import { assertSafeVolumeName } from './safe-names.js';
import { volSchemaPath } from './schema-path.js';
import { storageUnsupported, storageXmlError } from './storage-errors.js';
import { normalizeUuid, parseStorageXml } from './storage-xml.js';
import type { VolBackingStore, VolDef, VolEncryption, VolFeatures, VolTarget, VolType } from './vol-def.js';

export interface VolParseOptions {
  /**
   * A missing <capacity> is allowed (capacity 0): `vol-create-from` takes it from the
   * source volume (libvirt's VIR_VOL_XML_PARSE_NO_CAPACITY).
   */
  capacityOptional?: boolean;
}

const STORAGE = ErrorDomain.STORAGE;

/** A <capacity>/<allocation>/<clusterSize> child in bytes, undefined when absent. */
function scaled(parent: XmlElement, name: string): number | undefined {
  const el = childElement(parent, name);
  return el ? scaledToBytes(el.text(), attr(el, 'unit'), `<${name}>`, STORAGE) : undefined;
}

/** The format of a target or backing store: the pool's default when absent, refused when unknown to the pool type. */
function volFormat(info: PoolTypeInfo, el: XmlElement | undefined): { type: string } | undefined {
  if (!info.volFormats) return undefined;
  const given = attr(el && childElement(el, 'format'), 'type');
  if (given === undefined) return { type: info.volFormats.default };
  if (!isVolFormat(info, given)) throw storageUnsupported(`unknown volume format type ${given}`);
  return { type: given };
}

function parseEncryption(el: XmlElement): VolEncryption {
  const format = attr(el, 'format') ?? 'default';
  if (format !== 'luks') {
    throw storageUnsupported(`unsupported configuration: volume encryption format '${format}' is not supported`);
  }
  const secrets = childElements(el, 'secret').map((s) => {
    const uuid = attr(s, 'uuid');
    const usage = attr(s, 'usage');
    if (uuid !== undefined)
      return { type: 'passphrase' as const, uuid: normalizeUuid(uuid, `malformed secret uuid '${uuid}'`) };
    return { type: 'passphrase' as const, usage: usage ?? '' };
  });
  return { format, secrets };
}

/** "N.M" with both parts decimal, as libvirt's virStorageCheckCompat insists. */
function checkCompat(compat: string): void {
  if (!/^\d+\.\d+$/.test(compat)) throw storageXmlError("forbidden characters in 'compat' attribute");
}

function parseFeatures(el: XmlElement): VolFeatures {
  const features: VolFeatures = {};
  for (const f of childElements(el)) {
    const name = f.name();
    if (name !== 'lazy_refcounts' && name !== 'extended_l2') throw storageUnsupported(`unsupported feature ${name}`);
    features[name] = true;
  }
  return features;
}

function parseTarget(el: XmlElement | undefined, info: PoolTypeInfo, def: VolDef): VolTarget {
  const target: VolTarget = {};
  const format = volFormat(info, el);
  if (format) target.format = format;
  if (!el) return target;
  const path = childText(el, 'path');
  if (path !== undefined) target.path = path;
  const permissions = parsePermissions(el);
  if (permissions) target.permissions = permissions;
  const encryption = childElement(el, 'encryption');
  if (encryption) def.encryption = parseEncryption(encryption);
  const compat = childText(el, 'compat');
  if (compat !== undefined) {
    checkCompat(compat);
    target.compat = compat;
  }
  if (childElement(el, 'nocow')) target.nocow = true;
  const clusterSize = scaled(el, 'clusterSize');
  if (clusterSize !== undefined) target.clusterSize = clusterSize;
  const features = childElement(el, 'features');
  if (features) {
    target.features = parseFeatures(features);
    target.compat ??= '1.1';
  }
  return target;
}

function parseBackingStore(el: XmlElement, info: PoolTypeInfo): VolBackingStore {
  const backing: VolBackingStore = { path: childText(el, 'path') ?? '' };
  const format = volFormat(info, el);
  if (format) backing.format = format;
  const permissions = parsePermissions(el);
  if (permissions) backing.permissions = permissions;
  return backing;
}

/**
 * Parses a volume definition for `pool` as `virsh vol-create` takes it: sizes in bytes
 * from any libvirt unit, the format defaulted and checked by the pool type, the name
 * refused when it could not be a file name.
 */
export function volDefFromXml(xml: string, pool: PoolDef, options: VolParseOptions = {}): VolDef {
  const root = parseStorageXml(xml, 'storage_volume_definition', 'volume', volSchemaPath());
  const info = POOL_TYPE_INFO[pool.type];
  const name = childText(root, 'name') ?? '';
  assertSafeVolumeName(name);
  const def: VolDef = { name, capacity: 0, target: {} };
  const key = childText(root, 'key');
  if (key !== undefined) def.key = key;
  const type = attr(root, 'type');
  if (type !== undefined) def.type = type as VolType;
  const backing = childElement(root, 'backingStore');
  if (backing) def.backingStore = parseBackingStore(backing, info);
  const capacity = scaled(root, 'capacity');
  if (capacity !== undefined) def.capacity = capacity;
  else if (!options.capacityOptional) throw storageXmlError('missing capacity element');
  const allocation = scaled(root, 'allocation');
  def.allocation = allocation ?? def.capacity;
  def.hasAllocation = allocation !== undefined;
  def.target = parseTarget(childElement(root, 'target'), info, def);
  return def;
}
