/** The steps every storage document goes through before its model is read: safe parse, root check, schema. */
import { ErrorDomain } from '@tsvirt/common';
import { parseXmlSafe, validateRng, type XmlElement } from '@tsvirt/common/xml';
import { storageXmlError } from './storage-errors.js';

/**
 * Parses `xml` safely (no DTD, no entities), checks that its root is `<root>` and validates
 * it against `schemaFile`; every failure is a VirError in the STORAGE domain.
 */
export function parseStorageXml(xml: string, what: string, root: string, schemaFile: string): XmlElement {
  const doc = parseXmlSafe(xml, what, ErrorDomain.STORAGE);
  const el = doc.root() as XmlElement;
  if (el.name() !== root) throw storageXmlError(`unexpected root element <${el.name()}>, expecting <${root}>`);
  validateRng(doc, xml, schemaFile, what, ErrorDomain.STORAGE);
  return el;
}

const UUID_DIGITS = /^[0-9a-f]{32}$/;

/** libvirt accepts a UUID with or without dashes, in either case; it is written lower-case and dashed. */
export function normalizeUuid(text: string, message: string): string {
  const hex = text.trim().toLowerCase().replace(/-/g, '');
  if (!UUID_DIGITS.test(hex)) throw storageXmlError(message);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A path as libvirt's virFileSanitizePath leaves it: runs of '/' collapsed (a leading
 * '//' is POSIX-special and kept), no trailing '/' except for the root itself.
 */
export function sanitizePath(path: string): string {
  const keepDouble = /^\/\/[^/]/.test(path);
  let clean = path.replace(/\/{2,}/g, '/');
  if (keepDouble) clean = `/${clean}`;
  if (clean.length > 1 && clean.endsWith('/')) clean = clean.slice(0, -1);
  return clean;
}
