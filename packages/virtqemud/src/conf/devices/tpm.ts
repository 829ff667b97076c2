/** `<tpm>`: a TPM 2.0 emulated by a per-domain swtpm, or the host's TPM passed through. */
import type { TpmDef } from '../domain-def.js';
import type { XmlElement } from '../xml-parse.js';
import { unsupported } from '../conf-error.js';
import { attr, childElement, onlyValues, type XmlWriter } from '../xml-util.js';
import { formatCommon, parseCommon } from './address.js';

export function parseTpm(el: XmlElement): TpmDef {
  const model = onlyValues(attr(el, 'model') ?? 'tpm-tis', ['tpm-tis', 'tpm-crb'] as const, '<tpm model>');
  const backendEl = childElement(el, 'backend');
  const type = onlyValues(attr(backendEl, 'type') ?? '', ['emulator', 'passthrough'] as const, '<tpm> <backend type>');
  let tpm: TpmDef;
  if (type === 'emulator') {
    const version = attr(backendEl, 'version');
    // swtpm_setup here only makes TPM 2.0 state; a TPM 1.2 guest would get a different device.
    if (version !== undefined) onlyValues(version, ['2.0'] as const, '<tpm> <backend version>');
    tpm = { model, backend: version === undefined ? { type } : { type, version: '2.0' } };
  } else {
    const path = attr(backendEl && childElement(backendEl, 'device'), 'path');
    if (path === undefined)
      throw unsupported("unsupported configuration: <backend type='passthrough'> needs <device path>");
    tpm = { model, backend: { type, path } };
  }
  parseCommon(el, 'tpm', tpm);
  return tpm;
}

export function formatTpm(w: XmlWriter, t: TpmDef): void {
  w.open('tpm', [['model', t.model]]);
  const b = t.backend;
  if (b.type === 'emulator') {
    w.empty('backend', [
      ['type', b.type],
      ['version', b.version],
    ]);
  } else {
    w.open('backend', [['type', b.type]]);
    w.empty('device', [['path', b.path]]);
    w.close('backend');
  }
  formatCommon(w, t);
  w.close('tpm');
}

/** One TPM per guest: a second would need the pSeries proxy, which x86 lacks. */
export function validateTpms(tpms: readonly TpmDef[]): void {
  if (tpms.length > 1) throw unsupported('unsupported configuration: only one <tpm> device is supported');
}
