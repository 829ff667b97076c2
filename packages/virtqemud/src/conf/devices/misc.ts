/** Small device families: input, graphics, video, watchdog, memballoon and rng. */
import type {
  GraphicsDef,
  GraphicsListen,
  InputDef,
  MemballoonDef,
  RngDef,
  VideoDef,
  WatchdogDef,
} from '../domain-def.js';
import type { XmlElement } from '../xml-parse.js';
import {
  attr,
  childElement,
  childElements,
  onlyValues,
  optUint,
  optYesNo,
  refuse,
  yesNo,
  type XmlWriter,
} from '../xml-util.js';
import { formatCommon, parseCommon } from './address.js';

export function parseInput(el: XmlElement): InputDef {
  const type = onlyValues(attr(el, 'type') ?? '', ['mouse', 'tablet', 'keyboard'] as const, '<input type>');
  const input: InputDef = { type };
  const bus = attr(el, 'bus');
  if (bus !== undefined) input.bus = bus;
  parseCommon(el, 'input', input);
  return input;
}

export function formatInput(w: XmlWriter, i: InputDef): void {
  w.block(
    'input',
    [
      ['type', i.type],
      ['bus', i.bus],
    ],
    (inner) => formatCommon(inner, i),
  );
}

export function parseGraphics(el: XmlElement): GraphicsDef {
  const type = onlyValues(attr(el, 'type') ?? '', ['vnc', 'spice'] as const, '<graphics type>');
  const g: GraphicsDef = { type, autoport: false, listens: [] };
  const port = attr(el, 'port');
  if (port !== undefined) g.port = Number(port);
  const tlsPort = attr(el, 'tlsPort');
  if (tlsPort !== undefined) {
    if (type !== 'spice') refuse(`<graphics type='${type}'> attribute`, 'tlsPort');
    g.tlsPort = Number(tlsPort);
  }
  g.autoport = optYesNo(el, 'autoport') ?? false;
  // TLS channels need x509 certificates the driver has no configuration for.
  const defaultMode = attr(el, 'defaultMode');
  if (defaultMode !== undefined && defaultMode !== 'any') refuse("<graphics type='spice' defaultMode>", defaultMode);
  for (const key of ['listen', 'passwd', 'keymap'] as const) {
    const v = attr(el, key);
    if (v !== undefined) g[key] = v;
  }
  for (const l of childElements(el, 'listen')) {
    const ltype = onlyValues(attr(l, 'type') ?? '', ['address', 'none'] as const, '<graphics> <listen type>');
    const listen: GraphicsListen = { type: ltype };
    const address = attr(l, 'address');
    if (address !== undefined) listen.address = address;
    for (const extra of ['network', 'socket']) {
      const v = attr(l, extra);
      if (v !== undefined) refuse(`<graphics> <listen> attribute ${extra}`, v);
    }
    g.listens.push(listen);
  }
  return g;
}

export function formatGraphics(w: XmlWriter, g: GraphicsDef): void {
  const attrs = [
    ['type', g.type],
    ['port', g.port],
    ['tlsPort', g.tlsPort],
    ['autoport', yesNo(g.autoport)],
    ['listen', g.listen],
    ['keymap', g.keymap],
    ['passwd', g.passwd],
  ] as const;
  w.block('graphics', attrs, (inner) => {
    for (const l of g.listens) {
      inner.empty('listen', [
        ['type', l.type],
        ['address', l.address],
      ]);
    }
  });
}

export function parseVideo(el: XmlElement): VideoDef {
  const m = childElement(el, 'model');
  if (m && childElement(m, 'acceleration')) refuse('<video> <model> child', 'acceleration');
  const video: VideoDef = { model: { type: attr(m, 'type') ?? '' } };
  for (const key of ['ram', 'vram', 'vgamem', 'heads'] as const) {
    const v = optUint(m, key, `video model ${key}`);
    if (v !== undefined) video.model[key] = v;
  }
  const primary = optYesNo(m, 'primary');
  if (primary !== undefined) video.model.primary = primary;
  parseCommon(el, 'video', video);
  return video;
}

export function formatVideo(w: XmlWriter, v: VideoDef): void {
  const m = v.model;
  w.open('video');
  w.empty('model', [
    ['type', m.type],
    ['ram', m.ram],
    ['vram', m.vram],
    ['vgamem', m.vgamem],
    ['heads', m.heads],
    ['primary', m.primary ? 'yes' : undefined],
  ]);
  formatCommon(w, v);
  w.close('video');
}

export function parseWatchdog(el: XmlElement): WatchdogDef {
  const wd: WatchdogDef = { model: attr(el, 'model') ?? '' };
  const action = attr(el, 'action');
  if (action !== undefined) wd.action = action;
  parseCommon(el, 'watchdog', wd);
  return wd;
}

export function formatWatchdog(w: XmlWriter, wd: WatchdogDef): void {
  const attrs = [
    ['model', wd.model],
    ['action', wd.action],
  ] as const;
  w.block('watchdog', attrs, (inner) => formatCommon(inner, wd));
}

export function parseMemballoon(el: XmlElement): MemballoonDef {
  const mb: MemballoonDef = { model: attr(el, 'model') ?? '' };
  const autodeflate = attr(el, 'autodeflate') as 'on' | 'off' | undefined;
  if (autodeflate !== undefined) mb.autodeflate = autodeflate;
  const period = optUint(childElement(el, 'stats'), 'period', 'memballoon stats period');
  if (period !== undefined) mb.statsPeriod = period;
  parseCommon(el, 'memballoon', mb);
  return mb;
}

export function formatMemballoon(w: XmlWriter, mb: MemballoonDef): void {
  const attrs = [
    ['model', mb.model],
    ['autodeflate', mb.autodeflate],
  ] as const;
  w.block('memballoon', attrs, (inner) => {
    if (mb.statsPeriod !== undefined) inner.empty('stats', [['period', mb.statsPeriod]]);
    formatCommon(inner, mb);
  });
}

export function parseRng(el: XmlElement): RngDef {
  const b = childElement(el, 'backend');
  const bmodel = attr(b, 'model') ?? '';
  if (bmodel !== 'random') refuse('<rng> <backend model>', bmodel);
  if (b && childElements(b).length > 0) refuse('<rng> <backend> child', childElements(b)[0]?.name() ?? '');
  const btype = attr(b, 'type');
  if (btype !== undefined) refuse(`<rng> <backend model='random'> attribute type`, btype);
  const path = b?.text().trim() || '/dev/urandom';
  const rng: RngDef = { model: attr(el, 'model') ?? '', backend: { model: 'random', path } };
  const rate = childElement(el, 'rate');
  if (rate) {
    rng.rate = { bytes: optUint(rate, 'bytes', 'rng rate bytes') ?? 0 };
    const period = optUint(rate, 'period', 'rng rate period');
    if (period !== undefined) rng.rate.period = period;
  }
  parseCommon(el, 'rng', rng);
  return rng;
}

export function formatRng(w: XmlWriter, r: RngDef): void {
  w.open('rng', [['model', r.model]]);
  if (r.rate) {
    w.empty('rate', [
      ['bytes', r.rate.bytes],
      ['period', r.rate.period],
    ]);
  }
  w.text('backend', r.backend.path, [['model', r.backend.model]]);
  formatCommon(w, r);
  w.close('rng');
}
