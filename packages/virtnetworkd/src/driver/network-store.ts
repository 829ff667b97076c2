/**
 * Persistent network configs:
 *
 *   <stateDir>/networks/<name>.xml             the XML of a persistent network (atomic write)
 *   <stateDir>/networks/autostart/<name>.xml   symlink to ../<name>.xml when autostarted
 *
 * Loading skips and logs anything it cannot read: one bad file never stops the daemon.
 */
import { lstat, mkdir, readdir, readFile, rm, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { TEMP_PREFIX, atomicWriteFile, syncDir, unlinkIfPresent, type AtomicWriteHooks } from '@tsvirt/common';
import { assertSafeNetworkName, formatNetworkDef, networkDefFromXml, type NetworkDef } from '../conf/index.js';

export interface LoadedNetwork {
  def: NetworkDef & { uuid: string };
  autostart: boolean;
}

export class NetworkStore {
  readonly configDir: string;
  readonly autostartDir: string;

  constructor(
    stateDir: string,
    private readonly log: Logger,
    private readonly hooks: AtomicWriteHooks = {},
  ) {
    this.configDir = join(stateDir, 'networks');
    this.autostartDir = join(this.configDir, 'autostart');
  }

  configPath(name: string): string {
    assertSafeNetworkName(name);
    return join(this.configDir, `${name}.xml`);
  }

  autostartPath(name: string): string {
    assertSafeNetworkName(name);
    return join(this.autostartDir, `${name}.xml`);
  }

  async init(): Promise<void> {
    await mkdir(this.autostartDir, { recursive: true, mode: 0o700 });
  }

  async save(def: NetworkDef): Promise<void> {
    const path = this.configPath(def.name);
    await this.init();
    await atomicWriteFile(path, this.configDir, formatNetworkDef(def), this.hooks);
  }

  /** The autostart link first, so a crash never leaves a link a new network of that name would inherit. */
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

  /** Every readable config, in name order. */
  async load(): Promise<LoadedNetwork[]> {
    await this.init();
    const loaded: LoadedNetwork[] = [];
    for (const entry of (await readdir(this.configDir)).sort()) {
      const path = join(this.configDir, entry);
      if (entry.startsWith(TEMP_PREFIX)) {
        await unlink(path).catch(() => undefined);
        continue;
      }
      if (!entry.endsWith('.xml')) continue;
      try {
        if (!(await lstat(path)).isFile()) continue;
        const def = networkDefFromXml(await readFile(path, 'utf8'));
        if (`${def.name}.xml` !== entry) throw new Error(`it defines network '${def.name}'`);
        if (def.uuid === undefined) throw new Error('it has no uuid');
        loaded.push({ def: { ...def, uuid: def.uuid.toLowerCase() }, autostart: await this.hasAutostart(def.name) });
      } catch (err) {
        this.log.error({ file: path, err: (err as Error).message }, 'skipping unreadable network file');
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
