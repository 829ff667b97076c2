/** <permissions> of a pool target, volume target or backing store: mode, owner, group, label. */
import { childElement, childText, type XmlElement, type XmlWriter } from '@tsvirt/common/xml';
import { storageXmlError } from './storage-errors.js';

export interface StoragePermissions {
  /** Octal as libvirt writes it: '0' followed by the octal digits ('0755', '0711', '00'). */
  mode?: string;
  owner?: number;
  group?: number;
  label?: string;
}

const UID_MAX = 2 ** 32 - 1;

function parseMode(text: string): string {
  const digits = text.trim();
  const mode = /^[0-7]+$/.test(digits) ? Number.parseInt(digits, 8) : Number.NaN;
  if (!Number.isInteger(mode) || mode > 0o777) throw storageXmlError('malformed octal mode');
  return `0${mode.toString(8)}`;
}

/** An id, or undefined for -1, which older libvirt wrote for "unset" and still reads. */
function parseId(text: string, what: 'owner' | 'group'): number | undefined {
  const trimmed = text.trim();
  const id = /^-?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (id === -1) return undefined;
  if (!Number.isSafeInteger(id) || id < 0 || id > UID_MAX) throw storageXmlError(`malformed ${what} element`);
  return id;
}

/** The <permissions> child of `parent`, or undefined when absent. */
export function parsePermissions(parent: XmlElement | undefined): StoragePermissions | undefined {
  const el = parent && childElement(parent, 'permissions');
  if (!el) return undefined;
  const perms: StoragePermissions = {};
  const mode = childText(el, 'mode');
  if (mode !== undefined) perms.mode = parseMode(mode);
  const owner = childText(el, 'owner');
  if (owner !== undefined) perms.owner = parseId(owner, 'owner');
  const group = childText(el, 'group');
  if (group !== undefined) perms.group = parseId(group, 'group');
  const label = childText(el, 'label');
  if (label !== undefined) perms.label = label;
  return perms;
}

/** The mode as a number for chmod, undefined when not given. */
export function permissionModeBits(perms: StoragePermissions | undefined): number | undefined {
  return perms?.mode === undefined ? undefined : Number.parseInt(perms.mode, 8);
}

/** Writes <permissions> only when something is set, as libvirt does. */
export function formatPermissions(w: XmlWriter, perms: StoragePermissions | undefined): void {
  if (!perms) return;
  const { mode, owner, group, label } = perms;
  if (mode === undefined && owner === undefined && group === undefined && label === undefined) return;
  w.open('permissions');
  if (mode !== undefined) w.text('mode', mode);
  if (owner !== undefined) w.text('owner', String(owner));
  if (group !== undefined) w.text('group', String(group));
  if (label !== undefined) w.text('label', label);
  w.close('permissions');
}
