/**
 * Persistent network configs, in common's XmlConfigStore:
 *
 *   <stateDir>/networks/<name>.xml             the XML of a persistent network (atomic write)
 *   <stateDir>/networks/autostart/<name>.xml   symlink to ../<name>.xml when autostarted
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { XmlConfigStore, type AtomicWriteHooks } from '@tsvirt/common';
import { assertSafeNetworkName, formatNetworkDef, networkDefFromXml, type NetworkDef } from '../conf/index.js';

export interface LoadedNetwork {
  def: NetworkDef & { uuid: string };
  autostart: boolean;
}

/** A network the daemon wrote itself: it always has a uuid. */
export function parseSavedNetworkDef(xml: string): NetworkDef & { uuid: string } {
  const def = networkDefFromXml(xml);
  if (def.uuid === undefined) throw new Error('it has no uuid');
  return { ...def, uuid: def.uuid.toLowerCase() };
}

export class NetworkStore extends XmlConfigStore<NetworkDef> {
  constructor(stateDir: string, log: Logger, hooks: AtomicWriteHooks = {}) {
    super(
      join(stateDir, 'networks'),
      {
        kind: 'network',
        assertName: assertSafeNetworkName,
        parse: parseSavedNetworkDef,
        format: (def) => formatNetworkDef(def),
      },
      log,
      hooks,
    );
  }

  /** Every readable config, in name order. */
  override async load(): Promise<LoadedNetwork[]> {
    return (await super.load()) as LoadedNetwork[];
  }
}
