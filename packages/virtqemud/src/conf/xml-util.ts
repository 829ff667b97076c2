/** Small helpers to read a libxmljs2 element tree and to write canonical libvirt-style XML. */
import type { XmlElement } from './xml-parse.js';
import { unsupported, xmlDetail } from './conf-error.js';

// ---- reading -------------------------------------------------------------------

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

/** Parses a decimal or 0x-hex integer the schema has already shaped. */
export function parseUint(value: string, what: string): number {
  const n = /^0x/i.test(value) ? Number.parseInt(value.slice(2), 16) : Number(value.trim());
  if (!Number.isSafeInteger(n) || n < 0) throw xmlDetail(`invalid value '${value}' for ${what}`);
  return n;
}

export function optUint(el: XmlElement | undefined, name: string, what: string): number | undefined {
  const v = attr(el, name);
  return v === undefined ? undefined : parseUint(v, what);
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
export function refuse(what: string, value: string): never {
  throw unsupported(`unsupported configuration: ${what} '${value}' is not supported by this driver`);
}

/** Narrows a schema-checked token to the subset the driver honours, else CONFIG_UNSUPPORTED. */
export function onlyValues<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  return refuse(what, value);
}

// ---- writing -------------------------------------------------------------------

export type Attrs = ReadonlyArray<readonly [string, string | number | undefined]>;

function escapeAttr(v: string): string {
  return v
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/'/g, '&apos;')
    .replace(/"/g, '&quot;');
}

export function escapeText(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attrString(attrs: Attrs): string {
  let s = '';
  for (const [k, v] of attrs) if (v !== undefined) s += ` ${k}='${escapeAttr(String(v))}'`;
  return s;
}

/** Accumulates 2-space-indented lines; attributes in the order given, single-quoted as libvirt does. */
export class XmlWriter {
  private readonly lines: string[] = [];
  private depth = 0;

  private pad(): string {
    return '  '.repeat(this.depth);
  }

  open(name: string, attrs: Attrs = []): this {
    this.lines.push(`${this.pad()}<${name}${attrString(attrs)}>`);
    this.depth++;
    return this;
  }

  close(name: string): this {
    this.depth--;
    this.lines.push(`${this.pad()}</${name}>`);
    return this;
  }

  empty(name: string, attrs: Attrs = []): this {
    this.lines.push(`${this.pad()}<${name}${attrString(attrs)}/>`);
    return this;
  }

  text(name: string, text: string, attrs: Attrs = []): this {
    this.lines.push(`${this.pad()}<${name}${attrString(attrs)}>${escapeText(text)}</${name}>`);
    return this;
  }

  /** A pre-serialized fragment, indented on its first line only (metadata kept verbatim). */
  raw(fragment: string): this {
    this.lines.push(`${this.pad()}${fragment}`);
    return this;
  }

  /** Opens `name`, runs `body`, and collapses to `<name/>` if the body wrote nothing. */
  block(name: string, attrs: Attrs, body: (w: XmlWriter) => void): this {
    const mark = this.lines.length;
    this.open(name, attrs);
    body(this);
    if (this.lines.length === mark + 1) {
      this.lines.pop();
      this.depth--;
      return this.empty(name, attrs);
    }
    return this.close(name);
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

export function yesNo(v: boolean | undefined): string | undefined {
  return v === undefined ? undefined : v ? 'yes' : 'no';
}
