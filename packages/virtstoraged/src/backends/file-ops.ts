/** Plain file operations on volume files that qemu-img does not cover: zero-filling, sparse detection. */
import type { FileHandle } from 'node:fs/promises';

const ZERO_CHUNK = Buffer.alloc(1024 * 1024);

/** Writes zeros over `[0, size)` of the open file and syncs it: the old blocks are overwritten, not just released. */
export async function zeroFill(handle: FileHandle, size: number): Promise<void> {
  for (let at = 0; at < size; at += ZERO_CHUNK.length) {
    const length = Math.min(ZERO_CHUNK.length, size - at);
    await handle.write(ZERO_CHUNK, 0, length, at);
  }
  await handle.sync();
}

/**
 * Zeroes a volume file as libvirt's ZERO wipe does: a sparse file (fewer blocks than its
 * size) is truncated to nothing and back, which leaves only holes; a fully allocated one
 * is overwritten with zeros.
 */
export async function zeroVolumeFile(handle: FileHandle): Promise<void> {
  const stats = await handle.stat();
  if (stats.blocks * 512 < stats.size) {
    await handle.truncate(0);
    await handle.truncate(stats.size);
    await handle.sync();
    return;
  }
  await zeroFill(handle, stats.size);
}
