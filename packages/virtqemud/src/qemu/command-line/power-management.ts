/** `<pm>`: S3/S4 switched on or off in the machine's ACPI power-management device. */
import type { DomainDef } from '../../conf/domain-def.js';
import { isQ35 } from '../../conf/device-address.js';

export function pmArgs(def: DomainDef): string[] {
  const pm = def.pm;
  if (!pm) return [];
  // The PM device is PIIX4's on i440fx and the ICH9 LPC bridge's on q35.
  const device = isQ35(def.os.machine) ? 'ICH9-LPC' : 'PIIX4_PM';
  const args: string[] = [];
  if (pm.suspendToMem !== undefined) args.push('-global', `${device}.disable_s3=${pm.suspendToMem ? 0 : 1}`);
  if (pm.suspendToDisk !== undefined) args.push('-global', `${device}.disable_s4=${pm.suspendToDisk ? 0 : 1}`);
  return args;
}
