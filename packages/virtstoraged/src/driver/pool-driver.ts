/**
 * The pool entry points. Each follows one skeleton: look the pool up, take its job lock,
 * check its state, act through the backend, persist, then emit the event, so an event
 * only ever describes a change already on disk. Changes to the list itself (define,
 * undefine, createXML) also run one at a time, which keeps events in order.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ErrorCode, ErrorDomain, VirError, type EventDataOf, type EventDecl } from '@tsvirt/common';
import {
  StoragePoolEventType,
  StoragePoolState,
  storagePoolLifecycle,
  storagePoolRefreshEvent,
  type StoragePoolRef,
} from '@tsvirt/common/protocol';
import { assertSafePoolName, formatPoolCapabilities, poolDefFromXml, type PoolDef } from '../conf/index.js';
import type { BuildFlags, StorageBackend } from '../backends/backend.js';
import type { BackendTable } from '../backends/registry.js';
import { DEFAULT_JOB_WAIT_MS, Mutex, withPoolJob } from './job-lock.js';
import { PoolList } from './pool-list.js';
import type { PoolObj } from './pool-obj.js';
import type { PoolStore } from './pool-store.js';
import { noPool, operationInvalid, poolNotActive } from './storage-errors.js';

/** Where events go: the daemon's EventBus, or a recorder in tests. */
export interface EventSink {
  emit<E extends EventDecl>(
    event: E,
    data: EventDataOf<E>,
    matches?: (filter: Readonly<Record<string, string>>) => boolean,
  ): number;
}

export interface PoolDriverOptions {
  store: PoolStore;
  events: EventSink;
  log: Logger;
  backends: BackendTable;
  jobWaitMs?: number | undefined;
}

/** Start flags: build first (VIR_STORAGE_POOL_CREATE_WITH_BUILD[_OVERWRITE|_NO_OVERWRITE]). */
export interface StartFlags extends BuildFlags {
  build?: boolean | undefined;
}

/** A copy of the definition without the sizes a refresh fills in: what is saved as config. */
function withoutSizes(def: PoolDef): PoolDef {
  const { capacity: _c, allocation: _a, available: _v, ...rest } = def;
  return rest;
}

export class PoolDriver {
  readonly list = new PoolList();
  readonly listLock = new Mutex();
  readonly jobWaitMs: number;

  constructor(readonly options: PoolDriverOptions) {
    this.jobWaitMs = options.jobWaitMs ?? DEFAULT_JOB_WAIT_MS;
  }

  get log(): Logger {
    return this.options.log;
  }

  backendFor(def: PoolDef): StorageBackend {
    const backend = this.options.backends.get(def.type);
    if (!backend) {
      throw new VirError(
        ErrorCode.NO_SUPPORT,
        ErrorDomain.STORAGE,
        `this function is not supported by the connection driver: storage pool type '${def.type}'`,
        { str1: def.type },
      );
    }
    return backend;
  }

  /** Loads the saved pools, marks active those the last daemon left active, then autostarts. */
  async load(): Promise<void> {
    const { store, log } = this.options;
    for (const { def, autostart } of await store.loadConfigs()) {
      try {
        this.list.add(def, { persistent: true, autostart });
      } catch (err) {
        log.error({ pool: def.name, err: (err as Error).message }, 'skipping saved pool');
      }
    }
    for (const live of await store.loadStates()) await this.recover(live);
    for (const pool of this.list.list({ autostart: true, inactive: true })) {
      try {
        await this.withJob(pool, 'start', () => this.startPool(pool, {}));
      } catch (err) {
        log.error({ pool: pool.name, err: (err as Error).message }, 'pool autostart failed');
      }
    }
    log.info({ pools: this.list.size, active: this.list.list({ active: true }).map((p) => p.name) }, 'pools loaded');
  }

  /** A pool that was active: it is active again if its storage is still there, else left inactive. */
  private async recover(live: PoolDef): Promise<void> {
    const { store, log } = this.options;
    let pool = this.list.findByUuid(live.uuid ?? '');
    try {
      if (pool && pool.name !== live.name) throw new Error(`its uuid belongs to pool '${pool.name}'`);
      if (!pool) pool = this.list.add(live, { persistent: false });
      else if (pool.def !== live) {
        // The saved config is the next start's definition; the run-state one is in force.
        pool.newDef = pool.def;
        pool.def = live;
      }
      const backend = this.backendFor(live);
      await (backend.resume ? backend.resume(live) : backend.start(live));
      await this.refreshVolumes(pool, backend);
      pool.active = true;
    } catch (err) {
      log.error({ pool: live.name, err: (err as Error).message }, 'pool left active by the last daemon cannot be used');
      await store.removeState(live.name);
      if (pool && !pool.persistent) this.list.remove(pool);
      else if (pool?.newDef) {
        pool.def = pool.newDef;
        pool.newDef = undefined;
      }
    }
  }

  withJob<T>(pool: PoolObj, job: string, body: () => Promise<T>): Promise<T> {
    return withPoolJob(pool, job, body, this.jobWaitMs);
  }

  getByUuid(uuid: string): PoolObj {
    return this.list.getByUuid(uuid);
  }

  /** The active pool called `name`, for the volume calls. */
  activeByName(name: string): PoolObj {
    const pool = this.list.getByName(name);
    if (!pool.active) throw poolNotActive(name);
    return pool;
  }

  private parse(xml: string): PoolDef {
    const def = poolDefFromXml(xml);
    assertSafePoolName(def.name);
    def.uuid ??= randomUUID();
    this.backendFor(def);
    return def;
  }

  async defineXML(xml: string): Promise<StoragePoolRef> {
    const def = this.parse(xml);
    return this.listLock.run(async () => {
      const plan = this.list.planDefine(def);
      if (plan.kind === 'add') {
        await this.options.store.save(withoutSizes(def));
        const pool = this.list.add(def, { persistent: true });
        this.emitLifecycle(pool, StoragePoolEventType.DEFINED);
        return pool.ref();
      }
      const pool = plan.pool;
      return this.withJob(pool, 'modify', async () => {
        await this.options.store.save(withoutSizes(def));
        if (pool.active) pool.newDef = def;
        else pool.def = def;
        pool.persistent = true;
        this.emitLifecycle(pool, StoragePoolEventType.DEFINED);
        return pool.ref();
      });
    });
  }

  /** A transient pool, started at once; it is gone again if the start fails. */
  async createXML(xml: string, flags: StartFlags): Promise<StoragePoolRef> {
    const def = this.parse(xml);
    const pool = await this.listLock.run(async () => {
      const plan = this.list.planDefine(def);
      if (plan.kind === 'update') {
        throw operationInvalid(`storage pool '${def.name}' already exists`);
      }
      return this.list.add(def, { persistent: false });
    });
    try {
      await this.withJob(pool, 'start', () => this.startPool(pool, flags));
    } catch (err) {
      if (!pool.active) this.list.remove(pool);
      throw err;
    }
    return pool.ref();
  }

  async build(uuid: string, flags: BuildFlags): Promise<void> {
    const pool = this.getByUuid(uuid);
    await this.withJob(pool, 'build', async () => {
      if (pool.active) throw operationInvalid(`storage pool '${pool.name}' is already active`);
      await this.backendFor(pool.def).build(pool.def, flags);
      this.emitLifecycle(pool, StoragePoolEventType.CREATED);
    });
  }

  async create(uuid: string, flags: StartFlags): Promise<void> {
    const pool = this.getByUuid(uuid);
    await this.withJob(pool, 'start', () => this.startPool(pool, flags));
  }

  /** Starts a pool; the caller holds its job lock. */
  private async startPool(pool: PoolObj, flags: StartFlags): Promise<void> {
    if (pool.active) throw operationInvalid(`storage pool '${pool.name}' is already active`);
    if (pool.newDef) {
      pool.def = pool.newDef;
      pool.newDef = undefined;
    }
    const backend = this.backendFor(pool.def);
    await backend.checkTools();
    if (flags.build || flags.overwrite || flags.noOverwrite) await backend.build(pool.def, flags);
    await backend.start(pool.def);
    try {
      await this.refreshVolumes(pool, backend);
      await this.options.store.saveState(pool.def);
    } catch (err) {
      await backend.stop(pool.def).catch(() => undefined);
      pool.volumes.clear();
      throw err;
    }
    pool.active = true;
    this.emitLifecycle(pool, StoragePoolEventType.STARTED);
  }

  /** Lists the volumes and sizes again; the caller holds the job lock. */
  private async refreshVolumes(pool: PoolObj, backend: StorageBackend): Promise<void> {
    const result = await backend.refresh(pool.def, pool.volumes);
    pool.def = { ...pool.def, capacity: result.capacity, allocation: result.allocation, available: result.available };
    pool.volumes.clear();
    for (const vol of result.volumes) pool.volumes.set(vol.def.name, vol);
  }

  async destroy(uuid: string): Promise<void> {
    const pool = this.getByUuid(uuid);
    await this.withJob(pool, 'destroy', () => this.stopPool(pool));
  }

  private async stopPool(pool: PoolObj): Promise<void> {
    if (!pool.active) throw poolNotActive(pool.name);
    if (pool.hasVolumeJobs) throw operationInvalid(`storage pool '${pool.name}' has asynchronous jobs running.`);
    pool.active = false;
    await this.backendFor(pool.def).stop(pool.def);
    await this.options.store.removeState(pool.name);
    pool.volumes.clear();
    pool.def = withoutSizes(pool.def);
    if (pool.newDef) {
      pool.def = pool.newDef;
      pool.newDef = undefined;
    }
    this.emitLifecycle(pool, StoragePoolEventType.STOPPED);
    if (!pool.persistent) this.list.remove(pool);
  }

  async delete(uuid: string): Promise<void> {
    const pool = this.getByUuid(uuid);
    await this.withJob(pool, 'delete', async () => {
      if (pool.active) throw operationInvalid(`storage pool '${pool.name}' is still active`);
      await this.backendFor(pool.def).delete(pool.def);
      this.emitLifecycle(pool, StoragePoolEventType.DELETED);
    });
  }

  async undefine(uuid: string): Promise<void> {
    const pool = this.getByUuid(uuid);
    await this.listLock.run(() =>
      this.withJob(pool, 'undefine', async () => {
        if (pool.active) throw operationInvalid(`storage pool '${pool.name}' is still active`);
        if (!pool.persistent) throw operationInvalid('cannot undefine transient storage pool');
        await this.options.store.remove(pool.name);
        this.list.remove(pool);
        this.emitLifecycle(pool, StoragePoolEventType.UNDEFINED);
      }),
    );
  }

  /** Lists the volumes again; a pool whose storage is gone is stopped, as libvirt does. */
  async refresh(uuid: string): Promise<void> {
    const pool = this.getByUuid(uuid);
    await this.withJob(pool, 'refresh', async () => {
      if (!pool.active) throw poolNotActive(pool.name);
      if (pool.hasVolumeJobs) throw operationInvalid(`storage pool '${pool.name}' has asynchronous jobs running.`);
      const backend = this.backendFor(pool.def);
      try {
        await this.refreshVolumes(pool, backend);
      } catch (err) {
        await this.stopPool(pool).catch(() => undefined);
        throw err;
      }
      this.emit(storagePoolRefreshEvent, { name: pool.name, uuid: pool.uuid }, pool);
    });
  }

  async setAutostart(uuid: string, autostart: boolean): Promise<void> {
    const pool = this.getByUuid(uuid);
    await this.withJob(pool, 'modify', async () => {
      if (!pool.persistent) throw operationInvalid('cannot set autostart for transient pool');
      if (pool.autostart === autostart) return;
      await this.options.store.setAutostart(pool.name, autostart);
      pool.autostart = autostart;
    });
  }

  info(uuid: string): { state: number; capacity: number; allocation: number; available: number } {
    const pool = this.getByUuid(uuid);
    const { def } = pool;
    return pool.active
      ? {
          state: StoragePoolState.RUNNING,
          capacity: def.capacity ?? 0,
          allocation: def.allocation ?? 0,
          available: def.available ?? 0,
        }
      : { state: StoragePoolState.INACTIVE, capacity: 0, allocation: 0, available: 0 };
  }

  /** The pool that holds the volume with this key. */
  lookupByVolumeKey(key: string): PoolObj {
    for (const pool of this.list.list({ active: true })) {
      for (const vol of pool.volumes.values()) if (vol.def.key === key) return pool;
    }
    throw noPool('key', key);
  }

  /** Pool capabilities: a type is supported when its backend exists and its tools are there. */
  async capabilities(): Promise<string> {
    const support = await Promise.all(
      [...this.options.backends.values()].map(async (backend) => ({
        type: backend.type,
        supported: await backend.checkTools().then(
          () => true,
          () => false,
        ),
      })),
    );
    return formatPoolCapabilities(support);
  }

  private emitLifecycle(pool: PoolObj, event: number): void {
    this.emit(storagePoolLifecycle, { name: pool.name, uuid: pool.uuid, event, detail: 0 }, pool);
  }

  private emit<E extends EventDecl>(event: E, data: EventDataOf<E>, pool: PoolObj): void {
    const { name, uuid } = pool;
    this.options.events.emit(event, data, (filter) =>
      Object.entries(filter).every(
        ([key, value]) => (key === 'uuid' && value === uuid) || (key === 'name' && value === name),
      ),
    );
  }
}
