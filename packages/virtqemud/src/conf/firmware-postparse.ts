/**
 * The firmware part of post-parse, as libvirt's QEMU driver does it at define time:
 * `<os firmware='efi'>` resolved to a descriptor's code and vars template, and a pflash
 * loader given a per-domain `<nvram>` under the driver's nvram directory.
 */
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import type { DomainDef } from './domain-def.js';
import { descriptorForLoader, selectFirmware, type FirmwareDescriptor } from './firmware-descriptor.js';

export interface FirmwarePostParseOptions {
  /** The host's firmware descriptors; none given means none installed: `firmware='efi'` is refused. */
  firmwares?: readonly FirmwareDescriptor[];
  /** Where per-domain vars files go (libvirt: /var/lib/libvirt/qemu/nvram). */
  nvramDir?: string;
}

/** libvirt's default vars file name for a domain. */
export function defaultNvramPath(nvramDir: string, name: string): string {
  return `${nvramDir.replace(/\/+$/, '')}/${name}_VARS.fd`;
}

export function postParseFirmware(def: DomainDef, options: FirmwarePostParseOptions): void {
  const os = def.os;
  const firmwares = options.firmwares;
  if (os.firmware === 'efi' && os.loader === undefined) {
    const secureBoot = os.secureBoot;
    const found = selectFirmware(firmwares ?? [], {
      kind: 'efi',
      arch: os.arch ?? 'x86_64',
      machine: os.machine ?? 'pc',
      ...(secureBoot !== undefined ? { secureBoot } : {}),
      ...(def.features.smm === 'off' ? { smm: false } : {}),
    });
    if (!found?.executable || !found.nvramTemplate) {
      throw new VirError(
        ErrorCode.OPERATION_FAILED,
        ErrorDomain.DOMAIN,
        "operation failed: Unable to find 'efi' firmware that is compatible with the current configuration",
      );
    }
    os.loader = { path: found.executable, readonly: true, type: 'pflash' };
    if (found.features.includes('secure-boot')) os.loader.secure = true;
    // Firmware built for SMM does not run without it: libvirt turns it on for such firmware.
    if (found.features.includes('requires-smm')) def.features.smm = 'on';
    os.nvram = { path: os.nvram?.path ?? '', template: found.nvramTemplate };
  }
  const loader = os.loader;
  if (loader?.type !== 'pflash' || loader.readonly !== true) return;
  if (os.nvram === undefined || os.nvram.path === '') {
    if (options.nvramDir === undefined) {
      if (os.nvram?.path === '') delete os.nvram;
      return;
    }
    os.nvram = { ...os.nvram, path: defaultNvramPath(options.nvramDir, def.name) };
  }
  if (os.nvram.template === undefined && firmwares !== undefined) {
    const template = descriptorForLoader(firmwares, loader.path)?.nvramTemplate;
    if (template !== undefined) os.nvram.template = template;
  }
}
