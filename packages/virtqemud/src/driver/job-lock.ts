/** The per-domain job lock: common's JobLock, with NO_DOMAIN for a domain undefined while a job waited. */
import { DEFAULT_JOB_WAIT_MS, Mutex, withObjectJob, type Lockable } from '@tsvirt/common';
import { noDomain } from './domain-list.js';

export { DEFAULT_JOB_WAIT_MS, Mutex };

/** Runs `body` holding `dom`'s job lock, released whatever happens. */
export function withDomainJob<T>(
  dom: Lockable & { readonly name: string },
  job: string,
  body: () => Promise<T>,
  waitMs = DEFAULT_JOB_WAIT_MS,
): Promise<T> {
  return withObjectJob(dom, job, body, () => noDomain('name', dom.name), waitMs);
}
