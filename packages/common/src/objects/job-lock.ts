/**
 * The per-object job lock of every driver (libvirt's "state change lock"): one job at a
 * time on a domain, a pool, a network... A second job waits a short while for the
 * first to finish, then gives up with OPERATION_INVALID naming the job that holds it;
 * jobs never interleave. The list's own changes (define, undefine) take a plain Mutex.
 */
import { ErrorCode, type ErrorDomain } from '../errors/error-codes.js';
import { VirError } from '../errors/vir-error.js';

/** How long a job waits for the one holding the lock by default. */
export const DEFAULT_JOB_WAIT_MS = 3000;

interface Waiter {
  job: string;
  grant: () => void;
}

export class JobLock {
  private holder: string | undefined;
  private readonly waiters: Waiter[] = [];

  /** `domain`: the error domain a timed-out wait is reported in (the driver's own). */
  constructor(private readonly domain: ErrorDomain) {}

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
            this.domain,
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

/** What withObjectJob needs of an object: its lock, and whether it still exists. */
export interface Lockable {
  readonly job: JobLock;
  readonly removed: boolean;
}

/**
 * Runs `body` holding `obj`'s job lock, released whatever happens. An object removed
 * while this job waited is reported with `gone()` (the driver's "no such object" error),
 * like a failed lookup.
 */
export async function withObjectJob<T>(
  obj: Lockable,
  job: string,
  body: () => Promise<T>,
  gone: () => VirError,
  waitMs = DEFAULT_JOB_WAIT_MS,
): Promise<T> {
  await obj.job.acquire(job, waitMs);
  try {
    if (obj.removed) throw gone();
    return await body();
  } finally {
    obj.job.release();
  }
}

/** A plain FIFO mutex, for changes to an object list itself (define, undefine). */
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
