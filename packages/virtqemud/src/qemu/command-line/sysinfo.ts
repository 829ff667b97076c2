/** `-smbios type=0..3,11` from `<sysinfo type='smbios'>`, used when `<os><smbios mode='sysinfo'/>` asks for it. */
import type { DomainDef } from '../../conf/domain-def.js';
import { SYSINFO_ENTRIES } from '../../conf/sysinfo.js';
import { keyval } from './option-value.js';

const SMBIOS_TYPE = { bios: 0, system: 1, baseBoard: 2, chassis: 3 } as const;

export function smbiosArgs(def: DomainDef): string[] {
  const info = def.sysinfo;
  // emulate (the default) leaves the tables to QEMU; the <sysinfo> is then only recorded.
  if (def.os.smbios !== 'sysinfo' || !info) return [];
  const args: string[] = [];
  for (const table of ['bios', 'system', 'baseBoard', 'chassis'] as const) {
    const entries = info[table];
    if (!entries) continue;
    const items = SYSINFO_ENTRIES[table].map((key): [string, string | undefined] => [key, entries[key]]);
    args.push('-smbios', keyval(`type=${SMBIOS_TYPE[table]}`, items));
  }
  for (const value of info.oemStrings ?? []) args.push('-smbios', keyval('type=11', [['value', value]]));
  return args;
}
