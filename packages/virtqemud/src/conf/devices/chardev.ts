/** `<serial>` and `<console>`: character devices backed by a pty, a file, a unix or a tcp socket. */
import type { ChardevDef, ChardevSource, ChardevType } from '../domain-def.js';
import type { XmlElement } from '../xml-parse.js';
import { attr, childElement, childElements, onlyValues, optUint, refuse, type XmlWriter } from '../xml-util.js';
import { formatCommon, parseCommon } from './address.js';

const TYPES: readonly ChardevType[] = ['pty', 'file', 'unix', 'tcp'];

export function parseChardev(el: XmlElement): ChardevDef {
  const kind = el.name();
  const type = onlyValues(attr(el, 'type') ?? '', TYPES, `<${kind} type>`);
  // A pty console's tty is output only, a copy of its source path (libvirt ignores it on input too).
  const tty = attr(el, 'tty');
  if (tty !== undefined && !(kind === 'console' && type === 'pty')) refuse(`<${kind}> attribute tty`, tty);
  const sources = childElements(el, 'source');
  if (sources.length > 1) refuse(`<${kind}> with several <source> elements, count`, String(sources.length));
  const dev: ChardevDef = { type, target: {} };
  const s = sources[0];
  if (s) {
    const source: ChardevSource = {};
    for (const key of ['mode', 'path', 'host', 'service', 'append'] as const) {
      const v = attr(s, key);
      if (v !== undefined) (source as Record<string, string>)[key] = v;
    }
    dev.source = source;
  }
  const protocol = attr(childElement(el, 'protocol'), 'type');
  if (protocol !== undefined)
    dev.protocol = onlyValues(protocol, ['raw', 'telnet'] as const, `<${kind}> <protocol type>`);
  const t = childElement(el, 'target');
  const ttype = attr(t, 'type');
  if (ttype !== undefined) dev.target.type = ttype;
  const port = optUint(t, 'port', `${kind} target port`);
  if (port !== undefined) dev.target.port = port;
  const model = attr(t ? childElement(t, 'model') : undefined, 'name');
  if (model !== undefined) dev.target.model = model;
  parseCommon(el, kind, dev);
  return dev;
}

export function formatChardev(w: XmlWriter, kind: 'serial' | 'console', d: ChardevDef, inactive: boolean): void {
  const s = d.source;
  const tty = kind === 'console' && d.type === 'pty' && !inactive ? s?.path : undefined;
  w.open(kind, [
    ['type', d.type],
    ['tty', tty],
  ]);
  // A pty's path is chosen when QEMU starts: runtime state, not configuration.
  if (s && !(d.type === 'pty' && inactive)) {
    w.empty('source', [
      ['mode', s.mode],
      ['host', s.host],
      ['service', s.service],
      ['path', s.path],
      ['append', s.append],
    ]);
  }
  if (d.protocol !== undefined) w.empty('protocol', [['type', d.protocol]]);
  const targetAttrs = [
    ['type', d.target.type],
    ['port', d.target.port],
  ] as const;
  w.block('target', targetAttrs, (inner) => {
    if (d.target.model !== undefined) inner.empty('model', [['name', d.target.model]]);
  });
  formatCommon(w, d);
  w.close(kind);
}
