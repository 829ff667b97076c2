/**
 * Persistent domain configs under the daemon's state directory:
 *
 *   <stateDir>/domains/<name>.xml     the inactive XML, written atomically
 *   <stateDir>/autostart/<name>.xml   symlink to ../domains/<name>.xml when autostarted
 *
 * A write goes to a temp file in the same directory, is fsynced and renamed over the old
 * file, so a crash leaves the old or the new file, never half of one: the content of a
 * define that returned is on disk. The rename, and a removal's unlinks, are made durable
 * by a directory fsync that the call does not wait for, shared by the changes of the next
 * 10 ms (libvirt never syncs the directory at all): a power cut before it lands brings
 * back the config as it was before the call, never a broken one. Loading skips (and logs)
 * anything it cannot read; one bad file never stops the daemon.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, unlinkSync } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, rename, rm, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import { domainDefFromXml, formatDomainDef, type DomainDef } from '../conf/domain-xml.js';

/** Bytes a name may take: NAME_MAX (255) less room for `.xml` and a temp suffix. */
export const MAX_NAME_BYTES = 200;

/** Test hooks to simulate a crash at a given point of an atomic write. */
export interface AtomicWriteHooks {
  /** Called after the temp file is written and fsynced, before the rename. */
  beforeRename?: (tempPath: string) => void | Promise<void>;
}

/** Refuses a name that could leave the directory or break the layout, whatever the conf layer said. */
export function assertSafeFileName(name: string): void {
  const bad =
    name === '' ||
    name === '.' ||
    name === '..' ||
    name.startsWith('.') ||
    /[/\x00-\x1f\x7f]/.test(name) ||
    Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES;
  if (bad) {
    throw new VirError(
      ErrorCode.INVALID_ARG,
      ErrorDomain.QEMU,
      `domain name '${name.replace(/[\x00-\x1f\x7f]/g, '?')}' cannot be used as a file name`,
    );
  }
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
  const temp = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
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

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes `path`; one that is already gone is fine. One syscall, where `rm` makes two. */
function unlinkIfPresent(path: string): void {
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

/**
 * How long a directory fsync waits, so that a burst of defines or undefines shares one: a
 * journal commit each would cost every call a few milliseconds on a disk like this one.
 */
const DIR_SYNC_DELAY_MS = 10;

export interface LoadedDomain {
  def: DomainDef;
  autostart: boolean;
}

export class DomainStore {
  readonly domainsDir: string;
  readonly autostartDir: string;
  /** Set once both directories exist, so that a save does not ask again each time. */
  private dirsReady: Promise<void> | undefined;
  private readonly dirSyncs: BackgroundDirSync;

  constructor(
    stateDir: string,
    private readonly log: Logger,
    private readonly hooks: AtomicWriteHooks = {},
  ) {
    this.domainsDir = join(stateDir, 'domains');
    this.autostartDir = join(stateDir, 'autostart');
    this.dirSyncs = new BackgroundDirSync(
      this.domainsDir,
      (err) => this.log.error({ dir: this.domainsDir, err: err.message }, 'cannot sync the domains directory'),
      DIR_SYNC_DELAY_MS,
    );
  }

  configPath(name: string): string {
    assertSafeFileName(name);
    return join(this.domainsDir, `${name}.xml`);
  }

  autostartPath(name: string): string {
    assertSafeFileName(name);
    return join(this.autostartDir, `${name}.xml`);
  }

  async init(): Promise<void> {
    await mkdir(this.domainsDir, { recursive: true, mode: 0o700 });
    await mkdir(this.autostartDir, { recursive: true, mode: 0o700 });
  }

  /** init() once; again after a failure, or after someone removed a directory (see save). */
  private ensureDirs(): Promise<void> {
    this.dirsReady ??= this.init().catch((err: unknown) => {
      this.dirsReady = undefined;
      throw err;
    });
    return this.dirsReady;
  }

  /** Saves the inactive XML of `def` as `domains/<name>.xml`. */
  async save(def: DomainDef): Promise<void> {
    const path = this.configPath(def.name);
    const xml = formatDomainDef(def, { inactive: true });
    await this.ensureDirs();
    try {
      await atomicWriteFile(path, this.domainsDir, xml, this.hooks, this.syncDomainsDirLater);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // The directory went away under us: make it again, as a save always did.
      this.dirsReady = undefined;
      await this.ensureDirs();
      await atomicWriteFile(path, this.domainsDir, xml, this.hooks, this.syncDomainsDirLater);
    }
  }

  /**
   * Removes the autostart link, then the config of `name` (in that order, so a crash never
   * leaves a link that a new domain of the same name would inherit); missing files are
   * fine. The directory fsync is asked for, not awaited (see the top of this file).
   */
  async remove(name: string): Promise<void> {
    unlinkIfPresent(this.autostartPath(name));
    unlinkIfPresent(this.configPath(name));
    this.syncDomainsDirLater();
  }

  /** Resolves once the directory fsyncs that saves and removals started have landed. */
  settled(): Promise<void> {
    return this.dirSyncs.settled();
  }

  private readonly syncDomainsDirLater = (): void => {
    void this.dirSyncs.request();
  };

  async setAutostart(name: string, autostart: boolean): Promise<void> {
    const link = this.autostartPath(name);
    await this.ensureDirs();
    if (!autostart) {
      await rm(link, { force: true });
      return;
    }
    try {
      await symlink(`../domains/${name}.xml`, link);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    await syncDir(this.autostartDir);
  }

  /** Every readable config; a file that fails to parse, or whose name does not match, is logged and skipped. */
  async loadAll(): Promise<LoadedDomain[]> {
    await this.init();
    const loaded: LoadedDomain[] = [];
    const uuids = new Set<string>();
    const entries = (await readdir(this.domainsDir)).sort();
    for (const entry of entries) {
      if (entry.startsWith('.')) {
        // A temp file left by a crash in the middle of a write: the old config is intact.
        if (entry.startsWith('.tmp-')) await unlink(join(this.domainsDir, entry)).catch(() => undefined);
        continue;
      }
      if (!entry.endsWith('.xml')) continue;
      const path = join(this.domainsDir, entry);
      try {
        const def = domainDefFromXml(await readFile(path, 'utf8'));
        if (`${def.name}.xml` !== entry) throw new Error(`it defines domain '${def.name}'`);
        if (uuids.has(def.uuid ?? '')) throw new Error(`uuid ${def.uuid} is already used by another file`);
        uuids.add(def.uuid ?? '');
        loaded.push({ def, autostart: await this.hasAutostart(def.name) });
      } catch (err) {
        this.log.error({ file: path, err: (err as Error).message }, 'skipping unreadable domain config');
      }
    }
    return loaded;
  }

  private async hasAutostart(name: string): Promise<boolean> {
    try {
      return (await lstat(this.autostartPath(name))).isSymbolicLink();
    } catch {
      return false;
    }
  }
}
