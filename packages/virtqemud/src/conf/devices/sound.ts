/** `<sound>` cards (HDA, AC97, ES1370, SB16) and the `<audio>` host backends they play through. */
import type { AudioDef, DomainDef, SoundDef, SoundModel } from '../domain-def.js';
import type { XmlElement } from '../xml-parse.js';
import { unsupported, xmlDetail } from '../conf-error.js';
import { attr, childElement, childElements, onlyValues, optUint, refuse, type XmlWriter } from '../xml-util.js';
import { formatCommon, parseCommon } from './address.js';

const MODELS: readonly SoundModel[] = ['ich6', 'ich9', 'ac97', 'es1370', 'sb16'];
const CODECS = ['duplex', 'micro', 'output'] as const;

/** The Intel HDA controllers: the only models with codecs. */
export const isHda = (model: SoundModel): boolean => model === 'ich6' || model === 'ich9';

export function parseSound(el: XmlElement): SoundDef {
  const model = onlyValues(attr(el, 'model') ?? '', MODELS, '<sound model>');
  const sound: SoundDef = {
    model,
    codecs: childElements(el, 'codec').map((c) => onlyValues(attr(c, 'type') ?? '', CODECS, '<sound> <codec type>')),
  };
  const audioId = optUint(childElement(el, 'audio'), 'id', 'sound audio id');
  if (audioId !== undefined) sound.audioId = audioId;
  parseCommon(el, 'sound', sound);
  return sound;
}

export function formatSound(w: XmlWriter, s: SoundDef): void {
  w.block('sound', [['model', s.model]], (inner) => {
    for (const c of s.codecs) inner.empty('codec', [['type', c]]);
    if (s.audioId !== undefined) inner.empty('audio', [['id', s.audioId]]);
    formatCommon(inner, s);
  });
}

export function parseAudio(el: XmlElement): AudioDef {
  // Host backends that play or record on this host (pulseaudio, alsa, ...) would give guests the host's sound devices.
  const type = onlyValues(attr(el, 'type') ?? '', ['none', 'spice'] as const, '<audio type>');
  const timerPeriod = attr(el, 'timerPeriod');
  if (timerPeriod !== undefined) refuse('<audio> attribute timerPeriod', timerPeriod);
  const child = childElements(el)[0];
  if (child) refuse('<audio> element', child.name());
  return { id: optUint(el, 'id', 'audio id') ?? 0, type };
}

export function formatAudio(w: XmlWriter, a: AudioDef): void {
  w.empty('audio', [
    ['id', a.id],
    ['type', a.type],
  ]);
}

/**
 * As libvirt's QEMU driver does: sound cards with no `<audio>` get backend 1, of type spice
 * when the guest has a SPICE display (its client plays the sound) and none otherwise.
 */
export function postParseAudio(def: DomainDef): void {
  const d = def.devices;
  if (d.sounds.length === 0 || d.audios.length > 0) return;
  d.audios.push({ id: 1, type: d.graphics.some((g) => g.type === 'spice') ? 'spice' : 'none' });
}

export function validateSounds(def: DomainDef): void {
  const d = def.devices;
  const ids = new Set<number>();
  for (const a of d.audios) {
    if (a.id === 0) throw xmlDetail('<audio id> must be 1 or more');
    if (ids.has(a.id)) throw xmlDetail(`audio id '${a.id}' is used by two <audio> elements`);
    ids.add(a.id);
    if (a.type === 'spice' && !d.graphics.some((g) => g.type === 'spice')) {
      throw unsupported("unsupported configuration: <audio type='spice'> needs <graphics type='spice'>");
    }
  }
  for (const s of d.sounds) {
    if (s.codecs.length > 0 && !isHda(s.model)) {
      throw unsupported(`unsupported configuration: <sound model='${s.model}'> has no codecs`);
    }
    if (s.audioId !== undefined && !ids.has(s.audioId)) {
      throw xmlDetail(`<sound model='${s.model}'> names audio id '${s.audioId}', but there is no such <audio>`);
    }
    if (s.model === 'sb16' && s.address) {
      throw unsupported("unsupported configuration: <sound model='sb16'> is an ISA card and takes no <address>");
    }
  }
}
