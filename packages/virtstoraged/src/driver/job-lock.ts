/** The per-pool job lock: common's JobLock, with NO_STORAGE_POOL for a pool undefined while a job waited. */
import { DEFAULT_JOB_WAIT_MS, Mutex, withObjectJob, type Lockable } from '@tsvirt/common';
import { noPool } from './storage-errors.js';

export { DEFAULT_JOB_WAIT_MS, Mutex };

/** Runs `body` holding the pool's lock, released whatever happens. */
export function withPoolJob<T>(
  pool: Lockable & { readonly name: string },
  job: string,
  body: () => Promise<T>,
  waitMs: number,
): Promise<T> {
  return withObjectJob(pool, job, body, () => noPool('name', pool.name), waitMs);
}
