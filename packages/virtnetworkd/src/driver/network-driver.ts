/**
 * Persistent networks: define, undefine, autostart, and the load at daemon start. Every change
 * runs under one mutex and is saved before its event is emitted, so a client that sees the
 * event finds the change on disk. No network is ever active until realization lands.
 */
import type { Logger } from 'pino';
import { Mutex, type EventDataOf, type EventDecl } from '@tsvirt/common';
import { NetworkEventType, networkLifecycle, type NetworkRef } from '@tsvirt/common/protocol';
import { assertSafeNetworkName, networkDefFromXml } from '../conf/index.js';
import { NetworkList } from './network-list.js';
import { NetworkObj } from './network-obj.js';
import type { NetworkStore } from './network-store.js';

/** Where events go: the daemon's EventBus, or a recorder in tests. */
export interface EventSink {
  emit<E extends EventDecl>(
    event: E,
    data: EventDataOf<E>,
    matches?: (filter: Readonly<Record<string, string>>) => boolean,
  ): number;
}

export interface NetworkDriverOptions {
  store: NetworkStore;
  events: EventSink;
  log: Logger;
}

export class NetworkDriver {
  readonly list = new NetworkList();
  private readonly mutex = new Mutex();

  constructor(private readonly options: NetworkDriverOptions) {}

  async load(): Promise<void> {
    for (const { def, autostart } of await this.options.store.load()) {
      this.list.add(new NetworkObj(def, autostart));
    }
    this.options.log.info({ networks: this.list.list().length }, 'networks loaded');
  }

  defineXML(xml: string): Promise<NetworkRef> {
    return this.mutex.run(async () => {
      const parsed = networkDefFromXml(xml);
      assertSafeNetworkName(parsed.name);
      const def = { ...parsed, uuid: (parsed.uuid ?? '').toLowerCase() };
      const existing = this.list.assertAssignable(def.name, def.uuid);
      await this.options.store.save(def);
      const net = existing ?? new NetworkObj(def);
      net.def = def;
      if (!existing) this.list.add(net);
      // libvirt reports a redefinition as DEFINED with detail 0 too.
      this.emitLifecycle(net, NetworkEventType.DEFINED);
      return net.ref();
    });
  }

  undefine(uuid: string): Promise<void> {
    return this.mutex.run(async () => {
      const net = this.list.getByUuid(uuid);
      await this.options.store.remove(net.name);
      this.list.remove(net);
      this.emitLifecycle(net, NetworkEventType.UNDEFINED);
    });
  }

  setAutostart(uuid: string, autostart: boolean): Promise<void> {
    return this.mutex.run(async () => {
      const net = this.list.getByUuid(uuid);
      if (net.autostart === autostart) return;
      await this.options.store.setAutostart(net.name, autostart);
      net.autostart = autostart;
    });
  }

  private emitLifecycle(net: NetworkObj, event: number): void {
    const { name, uuid } = net;
    this.options.events.emit(networkLifecycle, { name, uuid, event, detail: 0 }, (filter) =>
      Object.entries(filter).every(
        ([key, value]) => (key === 'uuid' && value === uuid) || (key === 'name' && value === name),
      ),
    );
  }
}
