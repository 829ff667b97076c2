/**
 * Persistent pool configs (common's XmlConfigStore) and pool run state:
 *
 *   <stateDir>/storage/<name>.xml             the inactive XML of a persistent pool (atomic write)
 *   <stateDir>/storage/autostart/<name>.xml   symlink to ../<name>.xml when autostarted
 *   <runStateDir>/storage/<name>.xml          the live XML of an active pool (persistent or transient)
 *
 * A run-state file exists exactly while the pool is active, so a restarted daemon finds
 * its active pools (and transient ones) again. Loading skips and logs anything it cannot
 * read: one bad file never stops the daemon.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  XmlConfigStore,
  atomicWriteFile,
  readXmlDefs,
  unlinkIfPresent,
  type AtomicWriteHooks,
  type XmlConfigCodec,
} from '@tsvirt/common';
import { assertSafePoolName } from '../conf/safe-names.js';
import { formatPoolDef, poolDefFromXml, type PoolDef } from '../conf/pool-def.js';

const POOL_CODEC: XmlConfigCodec<PoolDef> = {
  kind: 'pool',
  assertName: assertSafePoolName,
  parse: (xml) => poolDefFromXml(xml),
  format: (def) => formatPoolDef(def, { inactive: true }),
};

export interface LoadedPool {
  def: PoolDef;
  autostart: boolean;
}

export class PoolStore extends XmlConfigStore<PoolDef> {
  readonly runDir: string;

  constructor(
    stateDir: string,
    runStateDir: string,
    private readonly logger: Logger,
    private readonly writeHooks: AtomicWriteHooks = {},
  ) {
    super(join(stateDir, 'storage'), POOL_CODEC, logger, writeHooks);
    this.runDir = join(runStateDir, 'storage');
  }

  statePath(name: string): string {
    assertSafePoolName(name);
    return join(this.runDir, `${name}.xml`);
  }

  override async init(): Promise<void> {
    await super.init();
    await mkdir(this.runDir, { recursive: true, mode: 0o700 });
  }

  /** Records an active pool's live definition. */
  async saveState(def: PoolDef): Promise<void> {
    await this.init();
    await atomicWriteFile(this.statePath(def.name), this.runDir, formatPoolDef(def, {}), this.writeHooks);
  }

  async removeState(name: string): Promise<void> {
    unlinkIfPresent(this.statePath(name));
  }

  /** Every readable persistent config. */
  loadConfigs(): Promise<LoadedPool[]> {
    return this.load();
  }

  /** Every readable run-state file: the pools that were active when the last daemon ended. */
  async loadStates(): Promise<PoolDef[]> {
    await this.init();
    return readXmlDefs(this.runDir, POOL_CODEC, this.logger);
  }
}
