/**
 * UEFI in pflash, as modern libvirt passes it: the code and the vars file as `-blockdev`
 * nodes handed to the machine's `pflash0`/`pflash1` properties, and the secure-boot
 * lock of the flash device. A `type='rom'` loader stays `-bios` (machine.ts).
 */
import type { DomainDef } from '../../conf/domain-def.js';
import { jsonOption, type OptionItem } from './option-value.js';
import { cannotExpress } from './runtime-info.js';

/** libvirt's node names for the two flash units. */
export const PFLASH_NODES = [
  { storage: 'libvirt-pflash0-storage', format: 'libvirt-pflash0-format' },
  { storage: 'libvirt-pflash1-storage', format: 'libvirt-pflash1-format' },
] as const;

/** True when the loader is flash: code (and vars) go through -blockdev, not -bios. */
export function usesPflash(def: DomainDef): boolean {
  return def.os.loader?.type === 'pflash';
}

/** The files in flash order: code, then the per-domain vars for a read-only code image. */
function pflashUnits(def: DomainDef): Array<{ path: string; readonly: boolean }> {
  const loader = def.os.loader;
  if (!loader || loader.type !== 'pflash') {
    if (def.os.firmware === 'efi') {
      throw cannotExpress("<os firmware='efi'> with no firmware descriptor resolved (is the ovmf package installed?)");
    }
    return [];
  }
  const readonly = loader.readonly === true;
  const units = [{ path: loader.path, readonly }];
  if (readonly) {
    // A read-only code image keeps the UEFI variables in a second, writable flash.
    if (!def.os.nvram?.path) throw cannotExpress("<loader readonly='yes' type='pflash'> without an <nvram> path");
    units.push({ path: def.os.nvram.path, readonly: false });
  }
  return units;
}

/** Emits the loader and vars nodes; QEMU opens the vars read-write, the code read-only. */
export function pflashBlockdevArgs(def: DomainDef): string[] {
  const args: string[] = [];
  pflashUnits(def).forEach((unit, i) => {
    const nodes = PFLASH_NODES[i]!;
    args.push(
      '-blockdev',
      jsonOption({
        driver: 'file',
        filename: unit.path,
        'node-name': nodes.storage,
        'auto-read-only': true,
        discard: 'unmap',
      }),
      '-blockdev',
      jsonOption({ 'node-name': nodes.format, 'read-only': unit.readonly, driver: 'raw', file: nodes.storage }),
    );
  });
  return args;
}

/** `pflash0=...,pflash1=...` for `-machine`. */
export function pflashMachineProps(def: DomainDef): OptionItem[] {
  const units = pflashUnits(def);
  return [
    ['pflash0', units[0] ? PFLASH_NODES[0].format : undefined],
    ['pflash1', units[1] ? PFLASH_NODES[1].format : undefined],
  ];
}

/** The flash refuses writes from outside SMM: what makes secure boot's variables tamper-proof. */
export function secureBootArgs(def: DomainDef): string[] {
  return def.os.loader?.secure ? ['-global', 'driver=cfi.pflash01,property=secure,value=on'] : [];
}
