/** Volumes that are block devices (logical volumes): their size, which stat() does not give, and opening them. */
import { constants as fsConstants, type Stats } from 'node:fs';
import { open, readFile, realpath, type FileHandle } from 'node:fs/promises';
import { invalidArg, systemError } from '../driver/storage-errors.js';

function major(rdev: number): number {
  return ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfff);
}

function minor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >> 12) & ~0xff);
}

/** A block device's size in bytes, from sysfs (in 512-byte sectors whatever the device's block size). */
export async function blockDeviceSize(stats: Stats): Promise<number> {
  const sectors = await readFile(`/sys/dev/block/${major(stats.rdev)}:${minor(stats.rdev)}/size`, 'utf8');
  return Number(sectors.trim()) * 512;
}

/** The size of the data behind an open volume: the file's size, or the device's. */
export async function volumeDataSize(stats: Stats): Promise<number> {
  return stats.isBlockDevice() ? blockDeviceSize(stats) : stats.size;
}

/** Opens `path` (a symlink such as /dev/VG/LV is followed) and checks that it is a block device. */
export async function openBlockDevice(
  path: string,
  mode: 'read' | 'write',
): Promise<{ path: string; handle: FileHandle }> {
  let handle: FileHandle;
  try {
    handle = await open(await realpath(path), mode === 'read' ? fsConstants.O_RDONLY : fsConstants.O_WRONLY);
  } catch (err) {
    throw systemError(`cannot open volume '${path}'`, err);
  }
  if (!(await handle.stat()).isBlockDevice()) {
    await handle.close();
    throw invalidArg(`volume '${path}' is not a block device`);
  }
  return { path, handle };
}
