/**
 * Where a volume file's data lies, found without reading it. Node has no
 * lseek(SEEK_DATA/SEEK_HOLE), and reading a hole makes the kernel zero-fill a page-cache
 * page for every page of it: most of a cold download of a sparse volume. `qemu-img map`
 * asks the file system for us (SEEK_DATA/SEEK_HOLE), through /proc/<our pid>/fd/<fd> so
 * that it maps the very file we hold open.
 */
import type { FileHandle } from 'node:fs/promises';
import { runQemuImg } from '../backends/qemu-img.js';

export interface FileExtent {
  start: number;
  length: number;
  /** false: a hole, reads as zeros. */
  data: boolean;
}

interface MapEntry {
  start: number;
  length: number;
  data: boolean;
  zero: boolean;
}

/** The file's extents in order, or undefined when qemu-img cannot tell (then read everything). */
export async function fileExtents(handle: FileHandle): Promise<FileExtent[] | undefined> {
  try {
    // -U: a running guest's lock on the volume must not make the map fail.
    const out = await runQemuImg(
      ['map', '--output=json', '-U', '-f', 'raw', `/proc/${process.pid}/fd/${handle.fd}`],
      10_000,
    );
    const entries = JSON.parse(out) as MapEntry[];
    if (!Array.isArray(entries)) return undefined;
    return entries.map((e) => ({ start: e.start, length: e.length, data: e.data || !e.zero }));
  } catch {
    return undefined;
  }
}

/** Walks `extents` forward: the extent holding `pos`, if any (positions only ever grow). */
export class ExtentCursor {
  private index = 0;

  constructor(private readonly extents: FileExtent[]) {}

  at(pos: number): FileExtent | undefined {
    while (this.index < this.extents.length) {
      const extent = this.extents[this.index]!;
      if (extent.start + extent.length > pos) return extent.start <= pos ? extent : undefined;
      this.index++;
    }
    return undefined;
  }
}
