/** `<sysinfo type='smbios'>`: the SMBIOS strings (BIOS, system, board, chassis, OEM) a guest sees with `<smbios mode='sysinfo'>`. */
import type { DomainDef, SysinfoDef } from './domain-def.js';
import type { XmlElement } from './xml-parse.js';
import { xmlDetail } from './conf-error.js';
import { attr, childElements, onlyValues, refuse, type XmlWriter } from './xml-util.js';

type Table = 'bios' | 'system' | 'baseBoard' | 'chassis';

/** Entry names per table, in libvirt's order; also the QEMU `-smbios type=N` keys. */
export const SYSINFO_ENTRIES: Record<Table, readonly string[]> = {
  bios: ['vendor', 'version', 'date', 'release'],
  system: ['manufacturer', 'product', 'version', 'serial', 'uuid', 'sku', 'family'],
  baseBoard: ['manufacturer', 'product', 'version', 'serial', 'asset', 'location'],
  chassis: ['manufacturer', 'version', 'serial', 'asset', 'sku'],
};

const TABLES = Object.keys(SYSINFO_ENTRIES) as Table[];

export function parseSysinfo(el: XmlElement): SysinfoDef {
  onlyValues(attr(el, 'type') ?? '', ['smbios'] as const, '<sysinfo type>');
  const info: SysinfoDef = { type: 'smbios' };
  for (const child of childElements(el)) {
    const name = child.name();
    if (name === 'oemStrings') {
      info.oemStrings = childElements(child, 'entry').map((e) => e.text());
      continue;
    }
    if (!(TABLES as string[]).includes(name)) refuse('<sysinfo> element', name);
    const table = name as Table;
    if (info[table]) refuse(`<sysinfo> with several <${table}> elements, count`, '2');
    const entries: Record<string, string> = {};
    for (const e of childElements(child, 'entry')) entries[attr(e, 'name') ?? ''] = e.text();
    info[table] = entries;
  }
  return info;
}

export function formatSysinfo(w: XmlWriter, info: SysinfoDef): void {
  w.block('sysinfo', [['type', info.type]], (inner) => {
    for (const table of TABLES) {
      const entries = info[table];
      if (!entries) continue;
      inner.block(table, [], (t) => {
        for (const key of SYSINFO_ENTRIES[table]) {
          const value = entries[key];
          if (value !== undefined) t.text('entry', value, [['name', key]]);
        }
      });
    }
    if (info.oemStrings) {
      inner.block('oemStrings', [], (t) => {
        for (const s of info.oemStrings ?? []) t.text('entry', s);
      });
    }
  });
}

/** libvirt rewrites the SMBIOS system uuid in its canonical form, as it does the domain's. */
export function postParseSysinfo(info: SysinfoDef): void {
  const uuid = info.system?.uuid;
  if (uuid === undefined || !info.system) return;
  const hex = uuid.replace(/[-\s]/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return; // validate names it
  info.system.uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** SMBIOS 2.x dates: mm/dd/yy or mm/dd/yyyy. */
const BIOS_DATE = /^(0[1-9]|1[0-2])\/(0[1-9]|[12][0-9]|3[01])\/([0-9]{2}|[0-9]{4})$/;
const hexOf = (uuid: string): string => uuid.replace(/-/g, '').toLowerCase();

export function validateSysinfo(def: DomainDef): void {
  const info = def.sysinfo;
  if (def.os.smbios === 'sysinfo' && !info) {
    throw xmlDetail("<smbios mode='sysinfo'> needs a <sysinfo type='smbios'>");
  }
  if (!info) return;
  const date = info.bios?.date;
  if (date !== undefined && !BIOS_DATE.test(date)) {
    throw xmlDetail(`invalid BIOS date '${date}': expected mm/dd/yy or mm/dd/yyyy`);
  }
  const release = info.bios?.release;
  // QEMU packs it into two bytes: major.minor.
  if (release !== undefined && !/^[0-9]{1,3}\.[0-9]{1,3}$/.test(release)) {
    throw xmlDetail(`invalid BIOS release '${release}': expected major.minor`);
  }
  const uuid = info.system?.uuid;
  if (uuid !== undefined && !/^[0-9a-f]{32}$/.test(hexOf(uuid))) throw xmlDetail(`malformed <sysinfo> uuid '${uuid}'`);
  if (uuid !== undefined && def.uuid !== undefined && hexOf(uuid) !== hexOf(def.uuid)) {
    throw xmlDetail(`UUID mismatch between <uuid> '${def.uuid}' and <sysinfo> '${uuid}'`);
  }
}
