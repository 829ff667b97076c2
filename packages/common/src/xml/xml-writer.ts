/** Writes canonical libvirt-style XML: 2-space indent, attributes single-quoted in the order given. */
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
