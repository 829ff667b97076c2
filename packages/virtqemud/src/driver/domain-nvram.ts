/**
 * Per-domain UEFI variable stores (libvirt's qemuPrepareNVRAM): created from the firmware's
 * template at the first start, never overwritten after, and removed or kept at undefine.
 */
import { constants as fsConstants } from 'node:fs';
import { access, chmod, copyFile, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import type { DomainDef } from '../conf/domain-def.js';

/** The vars file a start of `def` needs, or undefined when its firmware keeps none. */
export function nvramPathOf(def: DomainDef): string | undefined {
  const loader = def.os.loader;
  if (loader?.type !== 'pflash' || loader.readonly !== true) return undefined;
  return def.os.nvram?.path || undefined;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Makes sure the vars file exists: an existing one is the guest's own UEFI state (boot
 * entries, secure-boot keys) and is left alone; a missing one is copied from the template.
 */
export async function prepareNvram(def: DomainDef): Promise<void> {
  const path = nvramPathOf(def);
  if (path === undefined || (await exists(path))) return;
  const template = def.os.nvram?.template;
  if (template === undefined) {
    throw new VirError(
      ErrorCode.OPERATION_FAILED,
      ErrorDomain.QEMU,
      `operation failed: unable to find any master var store for loader: ${def.os.loader?.path ?? ''}`,
    );
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    // EXCL: a start racing another (or a file that appeared meanwhile) never loses written variables.
    await copyFile(template, path, fsConstants.COPYFILE_EXCL);
    // The guest's variables (boot entries, keys) are its own, as libvirt keeps them: owner only.
    await chmod(path, 0o600);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EEXIST') return;
    throw new VirError(
      ErrorCode.SYSTEM_ERROR,
      ErrorDomain.QEMU,
      `Failed to copy NVRAM template '${template}' to '${path}': ${e.message}`,
    );
  }
}

export interface UndefineNvramFlags {
  /** virsh undefine --nvram: delete the vars file. */
  nvram?: boolean;
  /** virsh undefine --keep-nvram: leave it. */
  keepNvram?: boolean;
}

/** libvirt's undefine rule: a domain with a vars file on disk goes only when the caller says what to do with it. */
export async function checkUndefineNvram(def: DomainDef, flags: UndefineNvramFlags): Promise<string | undefined> {
  if (flags.nvram && flags.keepNvram) {
    throw new VirError(ErrorCode.OPERATION_INVALID, ErrorDomain.QEMU, 'cannot both keep and delete nvram');
  }
  const path = nvramPathOf(def);
  if (path === undefined || !(await exists(path))) return undefined;
  if (flags.nvram) return path;
  if (!flags.keepNvram) {
    throw new VirError(ErrorCode.OPERATION_INVALID, ErrorDomain.QEMU, 'cannot undefine domain with nvram');
  }
  return undefined;
}

/** Deletes the vars file `checkUndefineNvram` named, once the config is gone. */
export async function removeNvram(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') {
      throw new VirError(ErrorCode.SYSTEM_ERROR, ErrorDomain.QEMU, `failed to remove nvram '${path}': ${err.message}`);
    }
  });
}
