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
import { lstat, mkdir, readdir, readFile, rm, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  BackgroundDirSync,
  ErrorCode,
  ErrorDomain,
  TEMP_PREFIX,
  VirError,
  atomicWriteFile,
  syncDir,
  unlinkIfPresent,
  type AtomicWriteHooks,
} from '@tsvirt/common';
import { domainDefFromXml, formatDomainDef, type DomainDef } from '../conf/domain-xml.js';

/** Bytes a name may take: NAME_MAX (255) less room for `.xml` and a temp suffix. */
export const MAX_NAME_BYTES = 200;

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
        if (entry.startsWith(TEMP_PREFIX)) await unlink(join(this.domainsDir, entry)).catch(() => undefined);
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
