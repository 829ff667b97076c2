/**
 * The volume entry points. A volume call names an active pool and a volume; the name is
 * checked before anything else (INVALID_ARG), then the volume is marked in use for the
 * time of the operation instead of holding the pool's job lock, so that a long clone or
 * transfer does not block the pool's other volumes. A pool with volumes in use cannot be
 * stopped, refreshed or removed.
 */
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import { StorageVolType, StorageVolWipeAlgorithm, type StorageVolRef } from '@tsvirt/common/protocol';
import { assertSafeVolumeName, formatVolDef, volDefFromXml, type VolDef } from '../conf/index.js';
import type { CreateVolOptions } from '../backends/backend.js';
import type { PoolDriver } from './pool-driver.js';
import type { PoolObj, VolObj } from './pool-obj.js';
import { invalidArg, noVolume, volumeExists } from './storage-errors.js';

export interface ResizeFlags {
  allocate?: boolean | undefined;
  delta?: boolean | undefined;
  shrink?: boolean | undefined;
  /** Allow a capacity below the current allocation (data beyond it is lost). */
  force?: boolean | undefined;
}

const VOL_TYPE_NUMBERS: Record<string, number> = {
  file: StorageVolType.FILE,
  block: StorageVolType.BLOCK,
  dir: StorageVolType.DIR,
  network: StorageVolType.NETWORK,
  netdir: StorageVolType.NETDIR,
  ploop: StorageVolType.PLOOP,
};

export function volRef(pool: PoolObj, vol: VolObj): StorageVolRef {
  return { pool: pool.name, name: vol.def.name, key: vol.def.key ?? '' };
}

export class VolDriver {
  constructor(private readonly pools: PoolDriver) {}

  /** The active pool and the volume `name` in it; the name is refused first if it could leave the pool. */
  resolve(poolName: string, name: string): { pool: PoolObj; vol: VolObj } {
    assertSafeVolumeName(name);
    const pool = this.pools.activeByName(poolName);
    const vol = pool.volumes.get(name);
    if (!vol) throw noVolume('name', name);
    return { pool, vol };
  }

  /** Runs `body` with the volume marked in use. */
  async withVolume<T>(pool: PoolObj, name: string, mode: 'read' | 'write', body: () => Promise<T>): Promise<T> {
    const release = pool.useVolume(name, mode);
    try {
      return await body();
    } finally {
      release();
    }
  }

  list(poolName: string): StorageVolRef[] {
    const pool = this.pools.activeByName(poolName);
    return pool.sortedVolumes().map((vol) => volRef(pool, vol));
  }

  private parseNew(pool: PoolObj, xml: string, capacityOptional: boolean): VolDef {
    const def = volDefFromXml(xml, pool.def, { capacityOptional });
    assertSafeVolumeName(def.name);
    if (pool.volumes.has(def.name) || pool.inUse.has(def.name)) throw volumeExists(def.name);
    return def;
  }

  async createXML(poolName: string, xml: string, options: CreateVolOptions): Promise<StorageVolRef> {
    const pool = this.pools.activeByName(poolName);
    const def = this.parseNew(pool, xml, false);
    this.fillBackingFormat(def);
    return this.withVolume(pool, def.name, 'write', async () => {
      const vol = await this.pools.backendFor(pool.def).createVol(pool.def, def, options);
      pool.volumes.set(def.name, vol);
      return volRef(pool, vol);
    });
  }

  async createXMLFrom(
    poolName: string,
    xml: string,
    from: { pool: string; name: string },
    options: CreateVolOptions,
  ): Promise<StorageVolRef> {
    const source = this.resolve(from.pool, from.name);
    const pool = this.pools.activeByName(poolName);
    const def = this.parseNew(pool, xml, true);
    return this.withVolume(source.pool, source.vol.def.name, 'read', () =>
      this.withVolume(pool, def.name, 'write', async () => {
        const vol = await this.pools
          .backendFor(pool.def)
          .createVolFrom(pool.def, def, { pool: source.pool.def, vol: source.vol }, options);
        pool.volumes.set(def.name, vol);
        return volRef(pool, vol);
      }),
    );
  }

  async delete(poolName: string, name: string, zeroed: boolean): Promise<void> {
    const { pool, vol } = this.resolve(poolName, name);
    await this.withVolume(pool, name, 'write', async () => {
      await this.pools.backendFor(pool.def).deleteVol(pool.def, vol, { zeroed });
      pool.volumes.delete(name);
    });
  }

  async wipe(poolName: string, name: string, algorithm: number): Promise<void> {
    const { pool, vol } = this.resolve(poolName, name);
    if (algorithm !== StorageVolWipeAlgorithm.ZERO) {
      throw new VirError(
        ErrorCode.ARGUMENT_UNSUPPORTED,
        ErrorDomain.STORAGE,
        `unsupported flags (wipe algorithm ${algorithm}): only zero is implemented`,
      );
    }
    await this.withVolume(pool, name, 'write', async () => {
      pool.volumes.set(name, await this.pools.backendFor(pool.def).wipeVol(pool.def, vol));
    });
  }

  /**
   * libvirt's checks: the new capacity is absolute or a delta (a negative one with
   * `shrink`); smaller than now needs `shrink`; below the allocation needs `force` too.
   */
  async resize(poolName: string, name: string, capacity: number, flags: ResizeFlags): Promise<void> {
    const { pool, vol } = this.resolve(poolName, name);
    const current = vol.def.capacity;
    let target = capacity;
    if (flags.delta) target = flags.shrink ? current - capacity : current + capacity;
    if (target < 0) throw invalidArg("can't shrink capacity below 0");
    if (target < current && !flags.shrink) {
      throw invalidArg("Can't shrink capacity below current capacity unless shrink flag explicitly specified");
    }
    if (target < (vol.def.allocation ?? 0) && !flags.force) {
      throw invalidArg("can't shrink capacity below existing allocation");
    }
    if (flags.shrink && flags.allocate && target < current) {
      throw invalidArg('preallocating storage is not supported while shrinking a volume');
    }
    await this.withVolume(pool, name, 'write', async () => {
      const resized = await this.pools
        .backendFor(pool.def)
        .resizeVol(pool.def, vol, target, { allocate: flags.allocate, shrink: target < current });
      pool.volumes.set(name, resized);
    });
  }

  info(poolName: string, name: string): { type: number; capacity: number; allocation: number; physical: number } {
    const { vol } = this.resolve(poolName, name);
    const { def } = vol;
    return {
      type: VOL_TYPE_NUMBERS[def.type ?? 'file'] ?? StorageVolType.FILE,
      capacity: def.capacity,
      allocation: def.allocation ?? 0,
      physical: def.physical ?? def.allocation ?? 0,
    };
  }

  xml(poolName: string, name: string): string {
    const { pool, vol } = this.resolve(poolName, name);
    return formatVolDef(vol.def, pool.def);
  }

  path(poolName: string, name: string): string {
    return this.resolve(poolName, name).vol.def.target.path ?? '';
  }

  lookupByName(poolName: string, name: string): StorageVolRef {
    const { pool, vol } = this.resolve(poolName, name);
    return volRef(pool, vol);
  }

  lookupByKey(key: string): StorageVolRef {
    for (const pool of this.pools.list.list({ active: true })) {
      for (const vol of pool.volumes.values()) if (vol.def.key === key) return volRef(pool, vol);
    }
    throw noVolume('key', key);
  }

  /** By path as given, then as the pools' real target directories would spell it. */
  lookupByPath(path: string): StorageVolRef {
    for (const pool of this.pools.list.list({ active: true })) {
      for (const vol of pool.volumes.values()) if (vol.def.target.path === path) return volRef(pool, vol);
    }
    for (const pool of this.pools.list.list({ active: true })) {
      const dir = pool.def.target.path;
      if (dir && path.startsWith(`${dir}/`)) {
        const vol = pool.volumes.get(path.slice(dir.length + 1));
        if (vol) return volRef(pool, vol);
      }
    }
    throw noVolume('path', path);
  }

  /** A backing store given without a format gets the one of the volume at that path, when it is one. */
  private fillBackingFormat(def: VolDef): void {
    const store = def.backingStore;
    if (!store || store.format) return;
    for (const pool of this.pools.list.list({ active: true })) {
      for (const vol of pool.volumes.values()) {
        if (vol.def.target.path === store.path && vol.def.target.format) {
          store.format = { type: vol.def.target.format.type };
          return;
        }
      }
    }
  }
}
