/**
 * Pure helpers of the pool and volume commands: sizes parsed and printed as virsh does
 * (virScaleInteger, vshPrettyCapacity), state and type names, the XML that pool-define-as,
 * pool-create-as, vol-create-as and vol-clone build, and storage errors with libvirt's prefixes.
 */
import { ErrorCode, VirError } from '@tsvirt/client';
import { escapeXml } from '../escape.js';
import { describeError, parseScaledInteger } from './domain.js';

const CAPACITY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/** vshPrettyCapacity with virsh's "%.2lf %s": `9.78 GiB`, `0.00 B`, `512.00 KiB`. */
export function prettyCapacity(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < CAPACITY_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(2)} ${CAPACITY_UNITS[unit]}`;
}

/** virshVolSize: a scaled integer whose default unit is bytes (strtoull's leading `+` allowed); undefined when malformed. */
export function parseVolSize(text: string): number | undefined {
  return parseScaledInteger(text.trim().replace(/^\+/, ''), 1);
}

/**
 * Why parseVolSize refused `text`, as virScaleInteger reports it after virsh's "Malformed
 * size" line: an unknown suffix or an overflow; undefined when the number itself is bad.
 */
export function malformedSizeReason(text: string): string | undefined {
  const match = /^\s*\+?(\d+)(.*)$/.exec(text);
  if (!match) return undefined;
  const suffix = match[2] ?? '';
  if (suffix !== '' && !/^(b|bytes?|[kmgtpe](ib|b)?)$/i.test(suffix))
    return `invalid argument: unknown suffix '${suffix}'`;
  return `numerical overflow: value too large: ${text.trim()}`;
}

/** virshStoragePoolStateToString, indexed by virStoragePoolState. */
const POOL_STATE_NAMES = ['inactive', 'building', 'running', 'degraded', 'inaccessible'];
export const poolStateName = (state: number): string => POOL_STATE_NAMES[state] ?? 'unknown';

/** virshVolumeTypeToString, indexed by virStorageVolType. */
const VOL_TYPE_NAMES = ['file', 'block', 'dir', 'network', 'netdir', 'ploop'];
export const volTypeName = (type: number): string => VOL_TYPE_NAMES[type] ?? 'unknown';

/** The names vol-wipe --algorithm takes, indexed by virStorageVolWipeAlgorithm. */
export const WIPE_ALGORITHMS = [
  'zero',
  'nnsa',
  'dod',
  'bsi',
  'gutmann',
  'schneier',
  'pfitzner7',
  'pfitzner33',
  'random',
  'trim',
] as const;

/** libvirt's message prefixes for the codes storage calls fail with; the others as domain.ts knows them. */
const STORAGE_CODE_PREFIX: Partial<Record<number, string>> = {
  [ErrorCode.INTERNAL_ERROR]: 'internal error: ',
  [ErrorCode.NO_SUPPORT]: 'this function is not supported by the connection driver: ',
  [ErrorCode.XML_ERROR]: 'XML error: ',
  [ErrorCode.OPERATION_DENIED]: 'operation forbidden: ',
  [ErrorCode.NO_STORAGE_POOL]: 'Storage pool not found: ',
  [ErrorCode.NO_STORAGE_VOL]: 'Storage volume not found: ',
  [ErrorCode.ARGUMENT_UNSUPPORTED]: 'argument unsupported: ',
  [ErrorCode.STORAGE_PROBE_FAILED]: 'Storage pool probe failed: ',
  [ErrorCode.STORAGE_POOL_BUILT]: 'Storage pool already built: ',
  [ErrorCode.OPERATION_UNSUPPORTED]: 'Operation not supported: ',
  [ErrorCode.RESOURCE_BUSY]: 'resource busy: ',
  [ErrorCode.ACCESS_DENIED]: 'access denied: ',
  [ErrorCode.XML_INVALID_SCHEMA]: 'XML document failed to validate against schema: ',
};

/** An error of a storage call as virsh prints it: with the prefix of its code. */
export function describeStorageError(err: unknown): string {
  if (err instanceof VirError) {
    const prefix = STORAGE_CODE_PREFIX[err.code];
    if (prefix !== undefined) return `${prefix}${err.message}`;
  }
  return describeError(err);
}

/** The options of pool-define-as and pool-create-as that go into the XML (virshBuildPoolXML). */
export interface PoolXmlOptions {
  name: string;
  type: string;
  sourceHost?: string;
  sourcePath?: string;
  sourceDev?: string;
  sourceName?: string;
  sourceFormat?: string;
  target?: string;
  authType?: string;
  authUsername?: string;
  secretUsage?: string;
  secretUuid?: string;
  adapterName?: string;
  adapterWwnn?: string;
  adapterWwpn?: string;
  adapterParent?: string;
  adapterParentWwnn?: string;
  adapterParentWwpn?: string;
  adapterParentFabricWwn?: string;
  sourceProtocolVer?: string;
  sourceInitiator?: string;
}

/** virshBuildPoolXML: the same elements in the same order, values escaped. */
export function buildPoolXml(o: PoolXmlOptions): string {
  const q = escapeXml;
  const lines = [`<pool type='${q(o.type)}'>`, `  <name>${q(o.name)}</name>`];
  const source: string[] = [];
  if (o.sourceHost !== undefined) source.push(`<host name='${q(o.sourceHost)}'/>`);
  if (o.sourcePath !== undefined) source.push(`<dir path='${q(o.sourcePath)}'/>`);
  if (o.sourceDev !== undefined) source.push(`<device path='${q(o.sourceDev)}'/>`);
  if (o.sourceInitiator !== undefined) {
    source.push('<initiator>', `  <iqn name='${q(o.sourceInitiator)}'/>`, '</initiator>');
  }
  const fcHost = o.adapterWwnn !== undefined && o.adapterWwpn !== undefined;
  if (fcHost) {
    let parent = '';
    if (o.adapterParent !== undefined) parent = ` parent='${q(o.adapterParent)}'`;
    else if (o.adapterParentWwnn !== undefined && o.adapterParentWwpn !== undefined) {
      parent = ` parent_wwnn='${q(o.adapterParentWwnn)}' parent_wwpn='${q(o.adapterParentWwpn)}'`;
    } else if (o.adapterParentFabricWwn !== undefined) {
      parent = ` parent_fabric_wwn='${q(o.adapterParentFabricWwn)}'`;
    }
    source.push(`<adapter type='fc_host'${parent} wwnn='${q(o.adapterWwnn!)}' wwpn='${q(o.adapterWwpn!)}'/>`);
  } else if (o.adapterName !== undefined) {
    source.push(`<adapter type='scsi_host' name='${q(o.adapterName)}'/>`);
  }
  if (o.authType !== undefined && o.authUsername !== undefined) {
    const secret =
      o.secretUsage !== undefined
        ? `<secret usage='${q(o.secretUsage)}'/>`
        : o.secretUuid !== undefined
          ? `<secret uuid='${q(o.secretUuid)}'/>`
          : undefined;
    if (secret !== undefined) {
      source.push(`<auth type='${q(o.authType)}' username='${q(o.authUsername)}'>`, `  ${secret}`, '</auth>');
    }
  }
  if (o.sourceFormat !== undefined) source.push(`<format type='${q(o.sourceFormat)}'/>`);
  if (o.sourceName !== undefined) source.push(`<name>${q(o.sourceName)}</name>`);
  if (o.sourceProtocolVer !== undefined) source.push(`<protocol ver='${q(o.sourceProtocolVer)}'/>`);
  // virsh writes <source> only for these options, whatever else was given
  const hasSource =
    o.sourceHost !== undefined ||
    o.sourcePath !== undefined ||
    o.sourceDev !== undefined ||
    o.sourceInitiator !== undefined ||
    o.sourceFormat !== undefined ||
    o.sourceName !== undefined ||
    fcHost ||
    o.adapterName !== undefined;
  if (hasSource) lines.push('  <source>', ...source.map((line) => `    ${line}`), '  </source>');
  if (o.target !== undefined) lines.push('  <target>', `    <path>${q(o.target)}</path>`, '  </target>');
  lines.push('</pool>');
  return `${lines.join('\n')}\n`;
}

/** What vol-create-as puts in its XML. */
export interface VolXmlOptions {
  name: string;
  capacity: number;
  allocation?: number;
  format?: string;
  backing?: { path: string; format?: string };
}

/** cmdVolCreateAs's XML: name, capacity, allocation when given, target format, backing store. */
export function buildVolXml(o: VolXmlOptions): string {
  const q = escapeXml;
  const lines = ['<volume>', `  <name>${q(o.name)}</name>`, `  <capacity>${o.capacity}</capacity>`];
  if (o.allocation !== undefined) lines.push(`  <allocation>${o.allocation}</allocation>`);
  if (o.format !== undefined) lines.push('  <target>', `    <format type='${q(o.format)}'/>`, '  </target>');
  if (o.backing) {
    lines.push('  <backingStore>', `    <path>${q(o.backing.path)}</path>`);
    if (o.backing.format !== undefined) lines.push(`    <format type='${q(o.backing.format)}'/>`);
    lines.push('  </backingStore>');
  }
  lines.push('</volume>');
  return `${lines.join('\n')}\n`;
}

/** virshMakeCloneXML: the volume's XML with the text of /volume/name replaced; undefined if it has none. */
export function cloneVolXml(xml: string, newName: string): string | undefined {
  const open = /<volume\b[^>]*>/.exec(xml);
  if (!open) return undefined;
  // the first <name> at the volume's own level: the one before any nested element that could hold another
  const rest = xml.slice(open.index + open[0].length);
  const name = /^(\s*(?:<(?!name\b)[a-zA-Z][^>]*\/>\s*|<!--[\s\S]*?-->\s*)*)<name>[^<]*<\/name>/.exec(rest);
  if (!name) return undefined;
  const before = xml.slice(0, open.index + open[0].length) + name[1];
  return `${before}<name>${escapeXml(newName)}</name>${rest.slice(name[0].length)}`;
}
