/**
 * The per-domain job lock (libvirt's "state change lock"): one job at a time on a
 * domain. A second job waits a short while for the first to finish, then gives up with
 * OPERATION_INVALID naming the job that holds it; jobs never interleave.
 */
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';

/** How long a job waits for the one holding the lock by default. */
export const DEFAULT_JOB_WAIT_MS = 3000;

interface Waiter {
  job: string;
  grant: () => void;
}

export class JobLock {
  private holder: string | undefined;
  private readonly waiters: Waiter[] = [];

  /** The job holding the lock, if any. */
  get owner(): string | undefined {
    return this.holder;
  }

  /** Resolves once `job` holds the lock; rejects after `waitMs` if it is still held by another job. */
  acquire(job: string, waitMs: number): Promise<void> {
    if (this.holder === undefined) {
      this.holder = job;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        job,
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(
          new VirError(
            ErrorCode.OPERATION_INVALID,
            ErrorDomain.QEMU,
            `cannot acquire state change lock (held by job '${this.holder ?? 'none'}')`,
            { str1: this.holder ?? 'none', str2: job },
          ),
        );
      }, waitMs);
      this.waiters.push(waiter);
    });
  }

  /** Hands the lock to the first waiter, in arrival order, or frees it. */
  release(): void {
    const next = this.waiters.shift();
    this.holder = next?.job;
    next?.grant();
  }
}

/** What withDomainJob needs of a domain: its lock, and whether it still exists. */
export interface Lockable {
  readonly job: JobLock;
  readonly removed: boolean;
  readonly name: string;
}

/**
 * Runs `body` holding `dom`'s job lock, released whatever happens. A domain undefined
 * while this job waited is reported as gone (NO_DOMAIN), like a failed lookup.
 */
export async function withDomainJob<T>(
  dom: Lockable,
  job: string,
  body: () => Promise<T>,
  waitMs = DEFAULT_JOB_WAIT_MS,
): Promise<T> {
  await dom.job.acquire(job, waitMs);
  try {
    if (dom.removed) {
      throw new VirError(ErrorCode.NO_DOMAIN, ErrorDomain.QEMU, `no domain with matching name '${dom.name}'`, {
        str1: dom.name,
      });
    }
    return await body();
  } finally {
    dom.job.release();
  }
}

/** A plain FIFO mutex, for changes to the domain list itself (define, undefine). */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(body: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise((resolve) => (release = resolve));
    await previous;
    try {
      return await body();
    } finally {
      release();
    }
  }
}
