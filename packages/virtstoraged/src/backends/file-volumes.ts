/**
 * The volumes of a pool that is a directory (dir, and the mounted fs/netfs pools): one
 * file per volume, raw or an image qemu-img handles. Every path comes from volume-paths.ts,
 * so nothing outside the pool directory is created, written or removed.
 */
import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir, unlink, type FileHandle } from 'node:fs/promises';
import type { Logger } from 'pino';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import { assertSafeVolumeName, permissionModeBits, type PoolDef, type VolDef } from '../conf/index.js';
import type { VolObj } from '../driver/pool-obj.js';
import type { CreateVolOptions, ResizeOptions } from './backend.js';
import { zeroVolumeFile } from './file-ops.js';
import { probeImage } from './image-probe.js';
import { qemuImgConvert, qemuImgCreate, qemuImgResize, type Preallocation } from './qemu-img.js';
import { createVolumeFile, existingVolumePath, openVolumeFile, poolDirectory } from './volume-paths.js';

/** New volume files are private unless the XML says otherwise (libvirt's default volume mode). */
const DEFAULT_VOLUME_MODE = 0o600;
/** How many files a refresh probes at once. */
const PROBE_CONCURRENCY = 8;

function formatOf(def: VolDef): string {
  return def.target.format?.type ?? 'raw';
}

/**
 * The preallocation a create uses: the explicit one, else libvirt's rule: a raw volume
 * whose allocation covers its capacity is allocated (falloc), an image is only with
 * VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA (metadata, or falloc when allocation covers capacity).
 */
export function choosePreallocation(def: VolDef, capacity: number, options: CreateVolOptions): Preallocation {
  if (options.preallocation) return options.preallocation;
  const allocation = def.allocation ?? capacity;
  if (formatOf(def) === 'raw') return allocation >= capacity && capacity > 0 ? 'falloc' : 'off';
  if (!options.preallocMetadata) return 'off';
  return allocation >= capacity ? 'falloc' : 'metadata';
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function fileId(stats: Stats): string {
  return `${stats.dev}:${stats.ino}`;
}

export class FileVolumes {
  constructor(private readonly log: Logger) {}

  /** A volume's definition from its file; `knownFormat` keeps a header from changing what it is. */
  async describe(pool: PoolDef, name: string, path: string, stats: Stats, knownFormat?: string): Promise<VolObj> {
    const probe = await probeImage(path, stats.size, this.log, knownFormat);
    const allocation = stats.blocks * 512;
    const def: VolDef = {
      name,
      key: path,
      type: 'file',
      capacity: probe.capacity,
      allocation: pool.refresh?.volumeAllocation === 'capacity' ? probe.capacity : allocation,
      physical: stats.size,
      target: {
        path,
        format: { type: probe.format },
        permissions: { mode: `0${(stats.mode & 0o777).toString(8)}`, owner: stats.uid, group: stats.gid },
      },
    };
    if (probe.backing) {
      def.backingStore = {
        path: probe.backing.path,
        ...(probe.backing.format ? { format: { type: probe.backing.format } } : {}),
      };
    }
    return { def, fileId: fileId(stats) };
  }

  /** Every regular file of the pool directory whose name is a valid volume name; symlinks are not followed. */
  async scan(pool: PoolDef, known: ReadonlyMap<string, VolObj>): Promise<VolObj[]> {
    const dir = await poolDirectory(pool);
    const entries: Dirent[] = await readdir(dir, { withFileTypes: true });
    const files = entries.filter((e) => e.isFile() && isVolumeName(e.name));
    const found = await mapLimited(files, PROBE_CONCURRENCY, async (entry) => {
      const path = `${dir}/${entry.name}`;
      try {
        const stats = await lstat(path);
        if (!stats.isFile()) return undefined;
        const before = known.get(entry.name);
        const knownFormat = before && before.fileId === fileId(stats) ? before.def.target.format?.type : undefined;
        return await this.describe(pool, entry.name, path, stats, knownFormat);
      } catch (err) {
        // Removed between readdir and lstat, or unreadable: not a volume for this refresh.
        this.log.warn({ pool: pool.name, file: path, err: (err as Error).message }, 'skipping pool file');
        return undefined;
      }
    });
    return found.filter((v): v is VolObj => v !== undefined);
  }

  /** Re-reads one volume's file, keeping its known format. */
  async refreshVol(pool: PoolDef, vol: VolObj): Promise<VolObj> {
    const path = await existingVolumePath(pool, vol.def.name);
    const stats = await lstat(path);
    const knownFormat = vol.fileId === fileId(stats) ? formatOf(vol.def) : undefined;
    return this.describe(pool, vol.def.name, path, stats, knownFormat);
  }

  async create(pool: PoolDef, def: VolDef, options: CreateVolOptions): Promise<VolObj> {
    const format = formatOf(def);
    if (format === 'raw' && def.backingStore) {
      throw new VirError(
        ErrorCode.CONFIG_UNSUPPORTED,
        ErrorDomain.STORAGE,
        'backing storage not supported for raw volumes',
      );
    }
    const backing = def.backingStore ? await this.backingFor(def.backingStore) : undefined;
    if (!backing && def.capacity <= 0 && format !== 'raw') {
      throw new VirError(ErrorCode.INVALID_ARG, ErrorDomain.STORAGE, `volume '${def.name}' needs a capacity`);
    }
    const preallocation = choosePreallocation(def, def.capacity, options);
    const path = await createVolumeFile(
      pool,
      def.name,
      permissionModeBits(def.target.permissions) ?? DEFAULT_VOLUME_MODE,
    );
    try {
      if (format === 'raw') await this.createRaw(pool, def, preallocation);
      else {
        await qemuImgCreate(path, {
          format,
          size: def.capacity > 0 || !backing ? def.capacity : undefined,
          preallocation,
          backing,
        });
      }
      return await this.describe(pool, def.name, path, await lstat(path), format);
    } catch (err) {
      await unlink(path).catch(() => undefined);
      throw err;
    }
  }

  /** A raw file: sparse by truncate, its first `allocation` bytes allocated, or all of it (falloc/full). */
  private async createRaw(pool: PoolDef, def: VolDef, preallocation: Preallocation): Promise<void> {
    const { path, handle } = await openVolumeFile(pool, def.name, 'write');
    try {
      const allocation = Math.min(def.allocation ?? def.capacity, def.capacity);
      if ((preallocation === 'falloc' || preallocation === 'full') && def.capacity <= ZERO_WRITE_LIMIT) {
        await writeZeros(handle, def.capacity);
        await handle.close();
        return;
      }
      if (preallocation === 'falloc' || preallocation === 'full') {
        await handle.close();
        await qemuImgCreate(path, { format: 'raw', size: def.capacity, preallocation });
        return;
      }
      if (allocation > 0 && allocation <= ZERO_WRITE_LIMIT) {
        await writeZeros(handle, allocation);
        await handle.truncate(def.capacity);
        await handle.close();
        return;
      }
      if (allocation > 0) {
        await handle.close();
        await qemuImgCreate(path, { format: 'raw', size: allocation, preallocation: 'falloc' });
        const reopened = await openVolumeFile(pool, def.name, 'write');
        await reopened.handle.truncate(def.capacity);
        await reopened.handle.close();
        return;
      }
      await handle.truncate(def.capacity);
      await handle.close();
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  /** The backing file with its format: given, or probed from its header (a raw file says raw). */
  private async backingFor(store: NonNullable<VolDef['backingStore']>): Promise<{ path: string; format: string }> {
    let stats: Stats;
    try {
      stats = await lstat(store.path);
    } catch {
      throw new VirError(ErrorCode.INVALID_ARG, ErrorDomain.STORAGE, `backing store '${store.path}' does not exist`, {
        str1: store.path,
      });
    }
    const format = store.format?.type ?? (await probeImage(store.path, stats.size, this.log)).format;
    return { path: store.path, format };
  }

  /** A new volume with the content of `source`, in this volume's format; at least the source's capacity. */
  async createFrom(pool: PoolDef, def: VolDef, source: { pool: PoolDef; vol: VolObj }, options: CreateVolOptions) {
    const sourcePath = await existingVolumePath(source.pool, source.vol.def.name);
    const sourceFormat = formatOf(source.vol.def);
    const format = formatOf(def);
    const capacity = Math.max(def.capacity, source.vol.def.capacity);
    const preallocation = choosePreallocation({ ...def, capacity }, capacity, options);
    const path = await createVolumeFile(
      pool,
      def.name,
      permissionModeBits(def.target.permissions) ?? DEFAULT_VOLUME_MODE,
    );
    try {
      await qemuImgConvert(
        { path: sourcePath, format: sourceFormat },
        { path, format, preallocation: preallocation === 'metadata' && format === 'raw' ? 'off' : preallocation },
      );
      if (capacity > source.vol.def.capacity) await qemuImgResize(path, format, capacity);
      return await this.describe(pool, def.name, path, await lstat(path), format);
    } catch (err) {
      await unlink(path).catch(() => undefined);
      throw err;
    }
  }

  async delete(pool: PoolDef, vol: VolObj, zeroed: boolean): Promise<void> {
    if (zeroed) {
      const { handle } = await openVolumeFile(pool, vol.def.name, 'write');
      try {
        await zeroVolumeFile(handle);
      } finally {
        await handle.close();
      }
    }
    // unlink never follows a symlink: at worst a link swapped in is what goes.
    await unlink(await existingVolumePath(pool, vol.def.name));
  }

  /** Zeroes the file; an image is then made again, empty, with its format, capacity and backing store. */
  async wipe(pool: PoolDef, vol: VolObj): Promise<VolObj> {
    const { path, handle } = await openVolumeFile(pool, vol.def.name, 'write');
    try {
      await zeroVolumeFile(handle);
    } finally {
      await handle.close();
    }
    const format = formatOf(vol.def);
    if (format !== 'raw') {
      await qemuImgCreate(path, {
        format,
        size: vol.def.capacity,
        backing: vol.def.backingStore?.format
          ? { path: vol.def.backingStore.path, format: vol.def.backingStore.format.type }
          : undefined,
      });
    }
    return this.describe(pool, vol.def.name, path, await lstat(path), format);
  }

  async resize(pool: PoolDef, vol: VolObj, capacity: number, options: ResizeOptions): Promise<VolObj> {
    const format = formatOf(vol.def);
    if (format === 'raw' && !options.allocate) {
      const { handle } = await openVolumeFile(pool, vol.def.name, 'write');
      try {
        await handle.truncate(capacity);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } else {
      const path = await existingVolumePath(pool, vol.def.name);
      await qemuImgResize(path, format, capacity, options);
    }
    const path = await existingVolumePath(pool, vol.def.name);
    return this.describe(pool, vol.def.name, path, await lstat(path), format);
  }
}

function isVolumeName(name: string): boolean {
  if (name.startsWith('.tmp-')) return false;
  try {
    assertSafeVolumeName(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * Up to this many bytes of a new raw volume are allocated by writing zeros (as libvirt's
 * safezero does), beyond it by qemu-img: a process per small volume costs far more than
 * the write (1 MiB volumes: 72 creates/s through qemu-img).
 */
const ZERO_WRITE_LIMIT = 64 * 1024 * 1024;
const ZERO_CHUNK = Buffer.alloc(1024 * 1024);

async function writeZeros(handle: FileHandle, length: number): Promise<void> {
  for (let at = 0; at < length;) {
    const { bytesWritten } = await handle.write(ZERO_CHUNK, 0, Math.min(ZERO_CHUNK.length, length - at), at);
    at += bytesWritten;
  }
}
