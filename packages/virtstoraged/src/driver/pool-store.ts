/**
 * Persistent pool configs and pool run state:
 *
 *   <stateDir>/storage/<name>.xml             the inactive XML of a persistent pool (atomic write)
 *   <stateDir>/storage/autostart/<name>.xml   symlink to ../<name>.xml when autostarted
 *   <runStateDir>/storage/<name>.xml          the live XML of an active pool (persistent or transient)
 *
 * A run-state file exists exactly while the pool is active, so a restarted daemon finds
 * its active pools (and transient ones) again. Loading skips and logs anything it cannot
 * read: one bad file never stops the daemon.
 */
import { lstat, mkdir, readdir, readFile, rm, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { assertSafePoolName } from '../conf/safe-names.js';
import { formatPoolDef, poolDefFromXml, type PoolDef } from '../conf/pool-def.js';
import { TEMP_PREFIX, atomicWriteFile, syncDir, unlinkIfPresent, type AtomicWriteHooks } from '@tsvirt/common';

export interface LoadedPool {
  def: PoolDef;
  autostart: boolean;
}

export class PoolStore {
  readonly configDir: string;
  readonly autostartDir: string;
  readonly runDir: string;

  constructor(
    stateDir: string,
    runStateDir: string,
    private readonly log: Logger,
    private readonly hooks: AtomicWriteHooks = {},
  ) {
    this.configDir = join(stateDir, 'storage');
    this.autostartDir = join(this.configDir, 'autostart');
    this.runDir = join(runStateDir, 'storage');
  }

  configPath(name: string): string {
    assertSafePoolName(name);
    return join(this.configDir, `${name}.xml`);
  }

  autostartPath(name: string): string {
    assertSafePoolName(name);
    return join(this.autostartDir, `${name}.xml`);
  }

  statePath(name: string): string {
    assertSafePoolName(name);
    return join(this.runDir, `${name}.xml`);
  }

  async init(): Promise<void> {
    await mkdir(this.autostartDir, { recursive: true, mode: 0o700 });
    await mkdir(this.runDir, { recursive: true, mode: 0o700 });
  }

  async save(def: PoolDef): Promise<void> {
    await this.init();
    await atomicWriteFile(
      this.configPath(def.name),
      this.configDir,
      formatPoolDef(def, { inactive: true }),
      this.hooks,
    );
  }

  /** The autostart link first, so a crash never leaves a link a new pool of that name would inherit. */
  async remove(name: string): Promise<void> {
    unlinkIfPresent(this.autostartPath(name));
    unlinkIfPresent(this.configPath(name));
    await syncDir(this.configDir);
  }

  async setAutostart(name: string, autostart: boolean): Promise<void> {
    const link = this.autostartPath(name);
    await this.init();
    if (!autostart) {
      await rm(link, { force: true });
    } else {
      try {
        await symlink(`../${name}.xml`, link);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    await syncDir(this.autostartDir);
  }

  /** Records an active pool's live definition. */
  async saveState(def: PoolDef): Promise<void> {
    await this.init();
    await atomicWriteFile(this.statePath(def.name), this.runDir, formatPoolDef(def, {}), this.hooks);
  }

  async removeState(name: string): Promise<void> {
    unlinkIfPresent(this.statePath(name));
  }

  /** Every readable persistent config. */
  async loadConfigs(): Promise<LoadedPool[]> {
    await this.init();
    const loaded: LoadedPool[] = [];
    for (const def of await this.readDefs(this.configDir)) {
      loaded.push({ def, autostart: await this.hasAutostart(def.name) });
    }
    return loaded;
  }

  /** Every readable run-state file: the pools that were active when the last daemon ended. */
  async loadStates(): Promise<PoolDef[]> {
    await this.init();
    return this.readDefs(this.runDir);
  }

  private async readDefs(dir: string): Promise<PoolDef[]> {
    const defs: PoolDef[] = [];
    for (const entry of (await readdir(dir)).sort()) {
      if (entry.startsWith(TEMP_PREFIX)) {
        await unlink(join(dir, entry)).catch(() => undefined);
        continue;
      }
      if (!entry.endsWith('.xml')) continue;
      const path = join(dir, entry);
      try {
        if (!(await lstat(path)).isFile()) continue;
        const def = poolDefFromXml(await readFile(path, 'utf8'));
        if (`${def.name}.xml` !== entry) throw new Error(`it defines pool '${def.name}'`);
        defs.push(def);
      } catch (err) {
        this.log.error({ file: path, err: (err as Error).message }, 'skipping unreadable pool file');
      }
    }
    return defs;
  }

  private async hasAutostart(name: string): Promise<boolean> {
    try {
      return (await lstat(this.autostartPath(name))).isSymbolicLink();
    } catch {
      return false;
    }
  }
}
