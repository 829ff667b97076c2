/** Storage pool XML → PoolDef: parse, then libvirt's post-parse defaults and checks. */
import { randomUUID } from 'node:crypto';
import { ErrorDomain } from '@tsvirt/common';
import { attr, childElement, childElements, childText, optUint, optYesNo, type XmlElement } from '@tsvirt/common/xml';
import type { PoolDef, PoolSource, PoolSourceDevice } from './pool-def.js';
import { parsePermissions } from './permissions.js';
import { POOL_TYPE_INFO, type PoolType } from './pool-types.js';
import { assertSafePoolName } from './safe-names.js';
import { poolSchemaPath } from './schema-path.js';
import { storageNoSupport, storageUnsupported, storageXmlError } from './storage-errors.js';
import { normalizeUuid, parseStorageXml, sanitizePath } from './storage-xml.js';

export interface PoolParseOptions {
  /** UUID for a definition without one (tests pass a fixed one); random v4 otherwise. */
  generateUuid?: () => string;
}

const STORAGE = ErrorDomain.STORAGE;

/** <source> children tsvirt's drivers do not model: refused rather than silently dropped. */
const UNMODELLED_SOURCE = ['adapter', 'auth', 'initiator'] as const;

/** The element at `names` below `el` (<features><cow>), undefined if any step is missing. */
function descendant(el: XmlElement | undefined, ...names: string[]): XmlElement | undefined {
  let at = el;
  for (const name of names) at = at && childElement(at, name);
  return at;
}

function parseDevice(el: XmlElement): PoolSourceDevice {
  const device: PoolSourceDevice = { path: attr(el, 'path') ?? '' };
  const partSeparator = optYesNo(el, 'part_separator');
  if (partSeparator !== undefined) device.partSeparator = partSeparator;
  return device;
}

function parseSource(el: XmlElement | undefined): PoolSource {
  const source: PoolSource = { devices: [] };
  if (!el) return source;
  for (const name of UNMODELLED_SOURCE) {
    if (childElement(el, name)) {
      throw storageUnsupported(`unsupported configuration: storage pool <source> element <${name}> is not supported`);
    }
  }
  const hosts = childElements(el, 'host').map((h) => {
    const port = optUint(h, 'port', 'storage pool host port', STORAGE);
    return port ? { name: attr(h, 'name') ?? '', port } : { name: attr(h, 'name') ?? '' };
  });
  if (hosts.length > 0) source.host = hosts;
  source.devices = childElements(el, 'device').map(parseDevice);
  const dir = attr(childElement(el, 'dir'), 'path');
  if (dir !== undefined) source.dir = { path: sanitizePath(dir) };
  const name = childText(el, 'name');
  if (name !== undefined) source.name = name;
  const format = attr(childElement(el, 'format'), 'type');
  if (format !== undefined) source.format = { type: format };
  const protocolVer = optUint(childElement(el, 'protocol'), 'ver', 'storage pool protocol ver', STORAGE);
  if (protocolVer !== undefined) source.protocolVer = protocolVer;
  const vendor = attr(childElement(el, 'vendor'), 'name');
  if (vendor !== undefined) source.vendor = vendor;
  const product = attr(childElement(el, 'product'), 'name');
  if (product !== undefined) source.product = product;
  return source;
}

/**
 * The document as written, without defaults: no UUID is generated, no format or path
 * filled in. Most callers want poolDefFromXml.
 */
export function parsePoolDef(xml: string): PoolDef {
  const root = parseStorageXml(xml, 'storage_pool_definition', 'pool', poolSchemaPath());
  const def: PoolDef = {
    type: attr(root, 'type') as PoolType,
    name: childText(root, 'name') ?? '',
    source: parseSource(childElement(root, 'source')),
    target: {},
  };
  const uuid = childText(root, 'uuid');
  if (uuid !== undefined) def.uuid = normalizeUuid(uuid, 'malformed uuid element');
  const cow = optYesNo(descendant(root, 'features', 'cow'), 'state');
  if (cow !== undefined) def.features = { cow };
  const target = childElement(root, 'target');
  const path = target && childText(target, 'path');
  if (path !== undefined) def.target.path = path;
  const permissions = parsePermissions(target);
  if (permissions) def.target.permissions = permissions;
  const refresh = attr(descendant(root, 'refresh', 'volume'), 'allocation');
  if (refresh !== undefined) def.refresh = { volumeAllocation: refresh as 'default' | 'capacity' };
  return def;
}

function sourceFormatDefaults(def: PoolDef): void {
  const formats = POOL_TYPE_INFO[def.type].poolFormats;
  if (!formats) return;
  const format = def.source.format?.type ?? formats.default;
  if (!formats.values.includes(format)) throw storageUnsupported(`unknown pool format type ${format}`);
  def.source.format = { type: format };
  if (def.source.protocolVer !== undefined && def.type === 'netfs' && format !== 'nfs' && format !== 'auto') {
    throw storageUnsupported(`storage pool protocol ver unsupported for pool type '${format}'`);
  }
}

function targetDefaults(def: PoolDef): void {
  const info = POOL_TYPE_INFO[def.type];
  if (info.source.network) {
    // rbd, gluster, ...: volumes are not local files, there is no target to keep.
    def.target = {};
    return;
  }
  let path: string | undefined;
  if (def.type === 'logical') path = `/dev/${def.source.name}`;
  else if (def.type === 'zfs') path = `/dev/zvol/${def.source.name}`;
  else path = def.target.path;
  if (path === undefined || path.trim() === '') throw storageXmlError('missing storage pool target path');
  path = sanitizePath(path);
  if (!path.startsWith('/')) throw storageXmlError(`storage pool target path '${path}' must be absolute`);
  def.target.path = path;
}

/**
 * libvirt's defaults and checks after parsing, in its order: source format, pool name
 * (from the source name for logical and the like), UUID, the source parts the type
 * requires, and the target path (always /dev/<vg> for logical). Mutates and returns `def`.
 */
export function postParsePoolDef(def: PoolDef, options: PoolParseOptions = {}): PoolDef {
  const info = POOL_TYPE_INFO[def.type];
  sourceFormatDefaults(def);
  if (def.name === '' && info.source.name && def.source.name !== undefined) def.name = def.source.name;
  if (def.name === '') throw storageXmlError('missing pool source name element');
  assertSafePoolName(def.name);
  def.uuid ??= (options.generateUuid ?? randomUUID)();
  if (def.features?.cow !== undefined && def.type !== 'fs' && def.type !== 'dir') {
    throw storageNoSupport("cow feature may only be used for 'fs' and 'dir' pools");
  }
  if (def.refresh && def.type !== 'rbd') {
    throw storageUnsupported(`unsupported configuration: storage pool <refresh> is only supported for 'rbd' pools`);
  }
  if (info.source.host && !def.source.host?.length) throw storageXmlError('missing storage pool source host name');
  if (!def.source.dir && def.type === 'gluster') def.source.dir = { path: '/' };
  if (info.source.dir && !def.source.dir) throw storageXmlError('missing storage pool source path');
  if (info.source.name) def.source.name ??= def.name;
  const deviceOnly = info.source.device && Object.keys(info.source).length === 1;
  if (deviceOnly && def.source.devices.length === 0) throw storageXmlError('missing storage pool source device name');
  targetDefaults(def);
  if (def.type === 'iscsi-direct') throw storageUnsupported('missing initiator IQN');
  return def;
}

/** Parses a pool definition as `virsh pool-define` takes it: parse, defaults, checks. */
export function poolDefFromXml(xml: string, options: PoolParseOptions = {}): PoolDef {
  return postParsePoolDef(parsePoolDef(xml), options);
}
