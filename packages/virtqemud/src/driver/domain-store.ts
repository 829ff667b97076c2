/**
 * Persistent domain configs under the daemon's state directory:
 *
 *   <stateDir>/domains/<name>.xml     the inactive XML, written atomically
 *   <stateDir>/autostart/<name>.xml   symlink to ../domains/<name>.xml when autostarted
 *
 * A write goes to a temp file in the same directory, is fsynced, renamed over the old
 * file and the directory fsynced, so a crash leaves the old or the new file, never half
 * of one. Loading skips (and logs) anything it cannot read; one bad file never stops
 * the daemon.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, rename, rm, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
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

/** Writes `content` to `path` so that `path` holds either the old or the new content, never a mix. */
export async function atomicWriteFile(
  path: string,
  dir: string,
  content: string,
  hooks: AtomicWriteHooks = {},
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
    await syncDir(dir);
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

export interface LoadedDomain {
  def: DomainDef;
  autostart: boolean;
}

export class DomainStore {
  readonly domainsDir: string;
  readonly autostartDir: string;

  constructor(
    stateDir: string,
    private readonly log: Logger,
    private readonly hooks: AtomicWriteHooks = {},
  ) {
    this.domainsDir = join(stateDir, 'domains');
    this.autostartDir = join(stateDir, 'autostart');
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

  /** Saves the inactive XML of `def` as `domains/<name>.xml`. */
  async save(def: DomainDef): Promise<void> {
    const path = this.configPath(def.name);
    await this.init();
    await atomicWriteFile(path, this.domainsDir, formatDomainDef(def, { inactive: true }), this.hooks);
  }

  /** Removes the config and the autostart link of `name`; missing files are fine. */
  async remove(name: string): Promise<void> {
    await rm(this.autostartPath(name), { force: true });
    await rm(this.configPath(name), { force: true });
    await syncDir(this.domainsDir).catch(() => undefined);
  }

  async setAutostart(name: string, autostart: boolean): Promise<void> {
    const link = this.autostartPath(name);
    await this.init();
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
