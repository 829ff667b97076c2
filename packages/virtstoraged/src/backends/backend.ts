/**
 * What a pool type does on the host (libvirt's virStorageBackend): build, start, stop,
 * refresh, delete the pool; create, clone, delete, wipe, resize a volume. The driver holds
 * the pool's job lock around every call; a backend never sees RPC or the pool list.
 */
import type { FileHandle } from 'node:fs/promises';
import type { PoolDef, PoolType } from '../conf/pool-def.js';
import type { VolDef } from '../conf/vol-def.js';
import type { VolObj } from '../driver/pool-obj.js';
import type { Preallocation } from './qemu-img.js';

export interface BuildFlags {
  overwrite?: boolean | undefined;
  noOverwrite?: boolean | undefined;
}

export interface PoolSizes {
  capacity: number;
  allocation: number;
  available: number;
}

export interface RefreshResult extends PoolSizes {
  volumes: VolObj[];
}

export interface CreateVolOptions {
  /** Explicit preallocation (tsvirt's `preallocation`); otherwise chosen from allocation and the flag. */
  preallocation?: Preallocation | undefined;
  /** VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA. */
  preallocMetadata?: boolean | undefined;
}

export interface ResizeOptions {
  /** VIR_STORAGE_VOL_RESIZE_ALLOCATE: allocate the new space. */
  allocate?: boolean | undefined;
  /** The new capacity is smaller: VIR_STORAGE_VOL_RESIZE_SHRINK was given and checked. */
  shrink?: boolean | undefined;
}

export interface StorageBackend {
  readonly type: PoolType;
  /** Throws a clear error naming what is missing when the host lacks the tools this type needs. */
  checkTools(): Promise<void>;
  build(pool: PoolDef, flags: BuildFlags): Promise<void>;
  /** Makes the pool usable (a dir pool: checks its directory); throws when it cannot be. */
  start(pool: PoolDef): Promise<void>;
  stop(pool: PoolDef): Promise<void>;
  /**
   * After a daemon restart, checks that a pool the last daemon left active still is
   * (libvirt's checkPool); throws when it is not. Without it, `start` is called again.
   */
  resume?(pool: PoolDef): Promise<void>;
  /**
   * Lists the volumes from the storage itself, with their capacity, allocation and format.
   * `known` are the volumes as last seen: one whose file did not change keeps its format.
   */
  refresh(pool: PoolDef, known: ReadonlyMap<string, VolObj>): Promise<RefreshResult>;
  /** Removes the pool's underlying storage (a dir pool: its empty directory). */
  delete(pool: PoolDef): Promise<void>;
  createVol(pool: PoolDef, vol: VolDef, options: CreateVolOptions): Promise<VolObj>;
  createVolFrom(
    pool: PoolDef,
    vol: VolDef,
    source: { pool: PoolDef; vol: VolObj },
    options: CreateVolOptions,
  ): Promise<VolObj>;
  deleteVol(pool: PoolDef, vol: VolObj, options: { zeroed?: boolean | undefined }): Promise<void>;
  /** Overwrites the volume's data with zeros; an image keeps its format and capacity, now empty. */
  wipeVol(pool: PoolDef, vol: VolObj): Promise<VolObj>;
  resizeVol(pool: PoolDef, vol: VolObj, capacity: number, options: ResizeOptions): Promise<VolObj>;
  /** Opens a volume's data for upload or download; without it, the volume's file in the pool directory. */
  openVolume?(pool: PoolDef, vol: VolObj, mode: 'read' | 'write'): Promise<{ path: string; handle: FileHandle }>;
  /** Describes the volume again from its file (after an upload, say). */
  refreshVol(pool: PoolDef, vol: VolObj): Promise<VolObj>;
}
