/**
 * The per-pool job lock: one state change at a time on a pool (define, start, build,
 * volume create...). A second job waits a short while, then gives up with
 * OPERATION_INVALID naming the job that holds it. The list's own changes (define,
 * undefine) run one at a time under a plain mutex. Same approach as virtqemud's job lock.
 */
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import { noPool } from './storage-errors.js';

/** How long a job waits for the one holding the lock by default. */
export const DEFAULT_JOB_WAIT_MS = 3000;

interface Waiter {
  job: string;
  grant: () => void;
}

export class JobLock {
  private holder: string | undefined;
  private readonly waiters: Waiter[] = [];

  get owner(): string | undefined {
    return this.holder;
  }

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
            ErrorDomain.STORAGE,
            `cannot acquire state change lock (held by job '${this.holder ?? 'none'}')`,
            { str1: this.holder ?? 'none', str2: job },
          ),
        );
      }, waitMs);
      this.waiters.push(waiter);
    });
  }

  release(): void {
    const next = this.waiters.shift();
    this.holder = next?.job;
    next?.grant();
  }
}

export interface Lockable {
  readonly job: JobLock;
  readonly removed: boolean;
  readonly name: string;
}

/** Runs `body` holding the pool's lock; a pool undefined while this job waited is reported as gone. */
export async function withPoolJob<T>(pool: Lockable, job: string, body: () => Promise<T>, waitMs: number): Promise<T> {
  await pool.job.acquire(job, waitMs);
  try {
    if (pool.removed) throw noPool('name', pool.name);
    return await body();
  } finally {
    pool.job.release();
  }
}

/** A FIFO mutex for changes to the pool list itself. */
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
