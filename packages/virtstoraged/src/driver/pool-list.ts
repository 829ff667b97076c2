/**
 * Every pool the driver knows, by uuid and name (libvirt's virStoragePoolObjList). It
 * enforces unique names, uuids and targets, and decides whether a define adds or updates;
 * it does no I/O.
 */
import type { StoragePoolListFlags } from '@tsvirt/common/protocol';
import type { PoolDef } from '../conf/pool-def.js';
import { PoolObj } from './pool-obj.js';
import { noPool, operationFailed } from './storage-errors.js';

export type DefinePlan = { kind: 'add' } | { kind: 'update'; pool: PoolObj };

export class PoolList {
  private readonly byUuid = new Map<string, PoolObj>();
  private readonly byName = new Map<string, PoolObj>();

  get size(): number {
    return this.byUuid.size;
  }

  findByUuid(uuid: string): PoolObj | undefined {
    return this.byUuid.get(uuid);
  }

  findByName(name: string): PoolObj | undefined {
    return this.byName.get(name);
  }

  getByUuid(uuid: string): PoolObj {
    const pool = this.byUuid.get(uuid);
    if (!pool) throw noPool('uuid', uuid);
    return pool;
  }

  getByName(name: string): PoolObj {
    const pool = this.byName.get(name);
    if (!pool) throw noPool('name', name);
    return pool;
  }

  /**
   * As libvirt's virStoragePoolObjListAdd and its duplicate-source check: the same uuid
   * under another name, the same name under another uuid, or another pool on the same
   * target path is refused.
   */
  planDefine(def: PoolDef): DefinePlan {
    const uuid = def.uuid ?? '';
    const sameUuid = this.byUuid.get(uuid);
    if (sameUuid && sameUuid.name !== def.name) {
      throw operationFailed(`pool '${sameUuid.name}' is already defined with uuid ${uuid}`);
    }
    const sameName = this.byName.get(def.name);
    if (!sameUuid && sameName) {
      throw operationFailed(`pool '${def.name}' already exists with uuid ${sameName.uuid}`);
    }
    const target = def.target.path;
    if (target !== undefined) {
      for (const other of this.byUuid.values()) {
        if (other.uuid !== uuid && other.def.target.path === target && other.def.type === def.type) {
          throw operationFailed(`Storage source conflict with pool: '${other.name}'`);
        }
      }
    }
    return sameUuid ? { kind: 'update', pool: sameUuid } : { kind: 'add' };
  }

  add(def: PoolDef, options: { persistent: boolean; autostart?: boolean }): PoolObj {
    if (this.planDefine(def).kind !== 'add') throw new Error(`pool ${def.name} is already listed`);
    const pool = new PoolObj(def, options);
    this.byUuid.set(pool.uuid, pool);
    this.byName.set(pool.name, pool);
    return pool;
  }

  remove(pool: PoolObj): void {
    if (this.byUuid.get(pool.uuid) !== pool) return;
    this.byUuid.delete(pool.uuid);
    this.byName.delete(pool.name);
    pool.removed = true;
  }

  /** The pools matching libvirt's listAllStoragePools filters, sorted by name. */
  list(flags: StoragePoolListFlags = {}): PoolObj[] {
    const pass = (yes: boolean | undefined, no: boolean | undefined, value: boolean): boolean =>
      (!yes && !no) || (value ? (yes ?? false) : (no ?? false));
    const types = flags.types && flags.types.length > 0 ? new Set<string>(flags.types) : undefined;
    return [...this.byUuid.values()]
      .filter(
        (pool) =>
          pass(flags.active, flags.inactive, pool.active) &&
          pass(flags.persistent, flags.transient, pool.persistent) &&
          pass(flags.autostart, flags.noAutostart, pool.autostart) &&
          (!types || types.has(pool.def.type)),
      )
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
