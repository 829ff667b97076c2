/** Small helpers to read a libxmljs2 element tree that a schema has already shaped. */
import type { ErrorDomain } from '../errors/error-codes.js';
import type { XmlElement } from './xml-parse.js';
import { unsupported, xmlDetail } from './xml-errors.js';

export function childElements(el: XmlElement, name?: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const node of el.childNodes()) {
    if (node.type() !== 'element') continue;
    const child = node as XmlElement;
    if (name === undefined || child.name() === name) out.push(child);
  }
  return out;
}

export function childElement(el: XmlElement, name: string): XmlElement | undefined {
  return childElements(el, name)[0];
}

export function attr(el: XmlElement | undefined, name: string): string | undefined {
  return el?.attr(name)?.value();
}

export function childText(el: XmlElement, name: string): string | undefined {
  const child = childElement(el, name);
  return child ? child.text() : undefined;
}

/** Parses a decimal or 0x-hex integer the schema has already shaped; else XML_DETAIL in `domain`. */
export function parseUint(value: string, what: string, domain: ErrorDomain): number {
  const n = /^0x/i.test(value) ? Number.parseInt(value.slice(2), 16) : Number(value.trim());
  if (!Number.isSafeInteger(n) || n < 0) throw xmlDetail(domain, `invalid value '${value}' for ${what}`);
  return n;
}

export function optUint(
  el: XmlElement | undefined,
  name: string,
  what: string,
  domain: ErrorDomain,
): number | undefined {
  const v = attr(el, name);
  return v === undefined ? undefined : parseUint(v, what, domain);
}

/** yes/no attributes (the schema guarantees the spelling). */
export function optYesNo(el: XmlElement | undefined, name: string): boolean | undefined {
  const v = attr(el, name);
  return v === undefined ? undefined : v === 'yes';
}

/**
 * Refuses a value libvirt accepts but this driver cannot honour, naming where it was
 * found; used for the "refused by the parser" choices of the schema.
 */
export function refuse(what: string, value: string, domain: ErrorDomain): never {
  throw unsupported(domain, `unsupported configuration: ${what} '${value}' is not supported by this driver`);
}

/** Narrows a schema-checked token to the subset the driver honours, else CONFIG_UNSUPPORTED. */
export function onlyValues<T extends string>(
  value: string,
  allowed: readonly T[],
  what: string,
  domain: ErrorDomain,
): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  return refuse(what, value, domain);
}
