/**
 * Element-tree readers and the canonical XML writer, now shared in @tsvirt/common/xml;
 * re-exported here with the DOMAIN error domain bound for the readers that can fail.
 */
import { ErrorDomain } from '@tsvirt/common';
import * as shared from '@tsvirt/common/xml';
import type { XmlElement } from './xml-parse.js';

export {
  attr,
  childElement,
  childElements,
  childText,
  escapeText,
  optYesNo,
  XmlWriter,
  yesNo,
  type Attrs,
} from '@tsvirt/common/xml';

/** Parses a decimal or 0x-hex integer the schema has already shaped. */
export function parseUint(value: string, what: string): number {
  return shared.parseUint(value, what, ErrorDomain.DOMAIN);
}

export function optUint(el: XmlElement | undefined, name: string, what: string): number | undefined {
  return shared.optUint(el, name, what, ErrorDomain.DOMAIN);
}

/** Refuses a value libvirt accepts but this driver cannot honour (CONFIG_UNSUPPORTED). */
export function refuse(what: string, value: string): never {
  return shared.refuse(what, value, ErrorDomain.DOMAIN);
}

/** Narrows a schema-checked token to the subset the driver honours, else CONFIG_UNSUPPORTED. */
export function onlyValues<T extends string>(value: string, allowed: readonly T[], what: string): T {
  return shared.onlyValues(value, allowed, what, ErrorDomain.DOMAIN);
}
