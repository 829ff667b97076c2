/** The storage driver as plugged into the daemon skeleton: the pool store, the backends, the pool and volume procedures. */
import { TSVIRT_VERSION, encodeVersion, type Driver } from '@tsvirt/common';
import { storagePoolLifecycle, storagePoolRefreshEvent } from '@tsvirt/common/protocol';
import { createBackends, type BackendTable } from './backends/registry.js';
import type { AtomicWriteHooks } from '@tsvirt/common';
import { PoolDriver } from './driver/pool-driver.js';
import { PoolStore } from './driver/pool-store.js';
import { registerPoolProcedures, registerVolumeProcedures } from './driver/register.js';
import { VolDriver } from './driver/vol-driver.js';

export interface StorageDriverOptions {
  /** How long a job waits for another one on the same pool. */
  jobWaitMs?: number;
  /** Test hooks into the atomic writes of the pool store. */
  storeHooks?: AtomicWriteHooks;
  /** Replaces the backends (tests). */
  backends?: BackendTable;
}

export function createStorageDriver(options: StorageDriverOptions = {}): Driver & { pools(): PoolDriver | undefined } {
  let pools: PoolDriver | undefined;
  return {
    type: 'storage',
    features: [],
    events: [storagePoolLifecycle, storagePoolRefreshEvent],
    hypervisorVersion: () => Promise.resolve(encodeVersion(TSVIRT_VERSION)),
    async start(context) {
      const log = context.logs.module('storage');
      pools = new PoolDriver({
        store: new PoolStore(context.paths.stateDir, context.paths.runStateDir, log, options.storeHooks),
        events: context.events,
        log,
        backends: options.backends ?? createBackends(log),
        jobWaitMs: options.jobWaitMs,
      });
      await pools.load();
      const vols = new VolDriver(pools);
      registerPoolProcedures(context.procedures, pools);
      registerVolumeProcedures(context.procedures, vols, pools, log);
    },
    // A transfer under way keeps the daemon from idling out; active pools do not (their state is on disk).
    hasActiveWork: () => (pools ? pools.list.list({ active: true }).some((p) => p.hasVolumeJobs) : false),
    pools: () => pools,
  };
}
