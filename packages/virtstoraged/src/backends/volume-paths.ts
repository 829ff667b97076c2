/**
 * Where a volume of a directory-backed pool lives, checked so that nothing outside the
 * pool is ever touched: the path is the pool directory's real path joined with a name
 * that passed assertSafeVolumeName (no '/', not '.' or '..', no control characters), and
 * an existing file there must be a regular file, not a symlink, whose real path is inside
 * the pool. Files are then opened with O_NOFOLLOW, so a symlink swapped in after the check
 * is refused by the kernel rather than followed.
 */
import { constants as fsConstants, type Stats } from 'node:fs';
import { lstat, open, realpath, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PoolDef } from '../conf/pool-def.js';
import { assertSafeVolumeName } from '../conf/safe-names.js';
import { invalidArg, noVolume, systemError, volumeExists } from '../driver/storage-errors.js';

/** The pool directory's real path. */
export async function poolDirectory(pool: PoolDef): Promise<string> {
  const target = pool.target.path;
  if (!target) throw invalidArg(`storage pool '${pool.name}' has no target path`);
  try {
    return await realpath(target);
  } catch (err) {
    throw systemError(`cannot open directory '${target}'`, err);
  }
}

/** `<pool dir>/<name>`, for a name that cannot leave the directory. */
export async function volumePath(pool: PoolDef, name: string): Promise<string> {
  assertSafeVolumeName(name);
  const dir = await poolDirectory(pool);
  const path = join(dir, name);
  if (dirname(path) !== dir) throw invalidArg(`volume name '${name}' would leave pool '${pool.name}'`);
  return path;
}

/** lstat, or undefined when nothing is there. */
export async function lstatIfPresent(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Refuses a symlink, or anything but a regular file, at a volume's path (INVALID_ARG). */
export function assertPlainFile(stats: Stats, name: string, pool: PoolDef): void {
  if (stats.isSymbolicLink()) {
    throw invalidArg(`volume '${name}' of pool '${pool.name}' is a symbolic link: it is not followed`);
  }
  if (!stats.isFile()) throw invalidArg(`volume '${name}' of pool '${pool.name}' is not a regular file`);
}

/** The path of an existing volume file, proven to be a regular file inside the pool. */
export async function existingVolumePath(pool: PoolDef, name: string): Promise<string> {
  const path = await volumePath(pool, name);
  const stats = await lstatIfPresent(path);
  if (!stats) throw noVolume('name', name);
  assertPlainFile(stats, name, pool);
  const real = await realpath(path);
  if (dirname(real) !== (await poolDirectory(pool)))
    throw invalidArg(`volume '${name}' resolves outside pool '${pool.name}'`);
  return path;
}

/** Opens an existing volume file without following a symlink, and checks again what was opened. */
export async function openVolumeFile(
  pool: PoolDef,
  name: string,
  mode: 'read' | 'write',
): Promise<{ path: string; handle: FileHandle }> {
  const path = await existingVolumePath(pool, name);
  const flags = (mode === 'read' ? fsConstants.O_RDONLY : fsConstants.O_WRONLY) | fsConstants.O_NOFOLLOW;
  let handle: FileHandle;
  try {
    handle = await open(path, flags);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw invalidArg(`volume '${name}' of pool '${pool.name}' is a symbolic link: it is not followed`);
    }
    throw systemError(`cannot open volume '${path}'`, err);
  }
  const stats = await handle.stat();
  if (!stats.isFile()) {
    await handle.close();
    throw invalidArg(`volume '${name}' of pool '${pool.name}' is not a regular file`);
  }
  return { path, handle };
}

/**
 * Creates a new, empty volume file: O_EXCL so that nothing existing (a file, or a symlink
 * pointing anywhere) is reused or followed.
 */
export async function createVolumeFile(pool: PoolDef, name: string, mode: number): Promise<string> {
  const path = await volumePath(pool, name);
  const existing = await lstatIfPresent(path);
  if (existing?.isSymbolicLink()) {
    throw invalidArg(`volume '${name}' of pool '${pool.name}' is a symbolic link: it is not followed`);
  }
  let handle: FileHandle;
  try {
    handle = await open(
      path,
      fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW,
      mode,
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw volumeExists(name);
    throw systemError(`cannot create volume '${path}'`, err);
  }
  await handle.chmod(mode);
  await handle.close();
  return path;
}
