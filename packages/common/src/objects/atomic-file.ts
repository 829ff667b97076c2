/**
 * Crash-safe config files for every driver: a write goes to a temp file in the same
 * directory, is fsynced and renamed over the old file, so a crash leaves the old or the
 * new file, never half of one. The rename is made durable by a directory fsync, awaited
 * or left to a BackgroundDirSync that groups those of a burst of changes.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, unlinkSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Temp files start with this; a loader removes the ones a crash left behind. */
export const TEMP_PREFIX = '.tmp-';

/** Test hooks to simulate a crash at a given point of an atomic write. */
export interface AtomicWriteHooks {
  /** Called after the temp file is written and fsynced, before the rename. */
  beforeRename?: (tempPath: string) => void | Promise<void>;
}

/**
 * Writes `content` to `path` so that `path` holds either the old or the new content, never a
 * mix. The directory is fsynced before returning, unless `syncDirLater` is given: it is then
 * called to have the rename made durable in the background.
 */
export async function atomicWriteFile(
  path: string,
  dir: string,
  content: string,
  hooks: AtomicWriteHooks = {},
  syncDirLater?: () => void,
): Promise<void> {
  const temp = join(dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
  let renamed = false;
  try {
    const file = await open(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
    try {
      await file.writeFile(content, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await hooks.beforeRename?.(temp);
    await rename(temp, path);
    renamed = true;
    if (syncDirLater) syncDirLater();
    else await syncDir(dir);
  } finally {
    if (!renamed) await rm(temp, { force: true });
  }
}

export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes `path`; one that is already gone is fine. One syscall, where `rm` makes two. */
export function unlinkIfPresent(path: string): void {
  // Synchronous on purpose: an unlink takes microseconds, a trip through the thread pool far longer here.
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Directory fsyncs nobody waits for, grouped: a request joins the sync that has not started
 * yet, which starts `delayMs` after the first such request and after the previous sync, so
 * it covers every change made before the request.
 */
export class BackgroundDirSync {
  /** Requested, not started yet: later requests join it. */
  private next: Promise<void> | undefined;
  /** The latest sync started; never rejects. */
  private current: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly onError: (err: Error) => void,
    private readonly delayMs = 0,
  ) {}

  /** Joins (or schedules) the next fsync of the directory; never rejects. */
  request(): Promise<void> {
    this.next ??= (async () => {
      await Promise.all([this.current, this.delayMs > 0 ? sleep(this.delayMs) : undefined]);
      // From here on a change may come after our fsync has read the directory: it needs the next one.
      this.next = undefined;
      this.current = this.run();
      await this.current;
    })();
    return this.next;
  }

  /** Resolves once every fsync requested so far has landed. */
  async settled(): Promise<void> {
    while (this.next) await this.next;
    await this.current;
  }

  private async run(): Promise<void> {
    try {
      await syncDir(this.dir);
    } catch (err) {
      this.onError(err as Error);
    }
  }
}
