/**
 * The networks: define, undefine, autostart, start (create), createXML (transient), destroy,
 * live/config update, and the load at daemon start that finds active networks again. Every
 * change runs under one mutex and is saved before its event is emitted, so a client that
 * sees the event finds the change on disk and on the host.
 */
import type { Logger } from 'pino';
import { ErrorCode, ErrorDomain, Mutex, VirError, type EventDataOf, type EventDecl } from '@tsvirt/common';
import { NetworkEventType, networkLifecycle, type NetworkRef } from '@tsvirt/common/protocol';
import { applyNetworkUpdate, assertSafeNetworkName, networkDefFromXml, type NetworkUpdate } from '../conf/index.js';
import { runHostCommand, type CommandRunner } from '../host/command.js';
import { settleBridgeName } from './bridge-names.js';
import { managesBridge } from './host-plan.js';
import { NetworkList } from './network-list.js';
import { NetworkObj } from './network-obj.js';
import { NetworkRealizer, daemonNamespace, type OwnNamespace } from './network-realizer.js';
import { NetworkRuntime, type LiveDef } from './network-runtime.js';
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
  runtime: NetworkRuntime;
  events: EventSink;
  log: Logger;
  /** Host commands; the daemon runs them directly (tests start the daemon inside a namespace). */
  run?: CommandRunner;
  own?: OwnNamespace;
}

export interface UpdateTarget {
  live?: boolean;
  config?: boolean;
}

export function operationInvalid(message: string): VirError {
  return new VirError(ErrorCode.OPERATION_INVALID, ErrorDomain.NETWORK, message);
}

export class NetworkDriver {
  readonly list = new NetworkList();
  readonly mutex = new Mutex();
  readonly runtime: NetworkRuntime;
  private readonly realizer: NetworkRealizer;
  private readonly run: CommandRunner;
  private readonly own: OwnNamespace;

  constructor(private readonly options: NetworkDriverOptions) {
    this.run = options.run ?? runHostCommand;
    this.runtime = options.runtime;
    this.own = options.own ?? daemonNamespace;
    this.realizer = new NetworkRealizer(this.run, options.log, this.own);
  }

  /** Persistent configs, then the networks that were active (kept running), then autostart. */
  async load(): Promise<void> {
    for (const { def, autostart } of await this.options.store.load()) {
      this.list.add(new NetworkObj(def, true, autostart));
    }
    for (const live of await this.runtime.loadStatuses()) await this.recover(live);
    const active = this.list.list({ active: true }).length;
    this.options.log.info({ networks: this.list.list().length, active }, 'networks loaded');
    for (const net of this.list.list({ autostart: true, inactive: true })) {
      await this.create(net.uuid).catch((err: Error) =>
        this.options.log.error({ network: net.name, err: err.message }, 'cannot autostart network'),
      );
    }
  }

  private async recover(live: LiveDef): Promise<void> {
    const files = this.runtime.dnsmasqFiles(live.name);
    let net = this.list.findByName(live.name);
    const stillThere = await this.realizer.recover(live, files).catch((err: Error) => {
      this.options.log.error({ network: live.name, err: err.message }, 'cannot recover network');
      return false;
    });
    if (!stillThere) {
      this.options.log.warn({ network: live.name }, 'network is gone from the host: marking it inactive');
      await this.realizer.unrealize(live, files);
      if (net) this.runtime.removeStatus(live.name);
      else await this.runtime.removeAll(live.name);
      return;
    }
    if (!net) {
      net = new NetworkObj(live, false);
      this.list.add(net);
    }
    net.live = live;
    for (const port of await this.runtime.loadPorts(live.name)) net.ports.set(port.uuid, port);
  }

  defineXML(xml: string): Promise<NetworkRef> {
    return this.mutex.run(async () => {
      const parsed = this.parse(xml);
      const existing = this.list.assertAssignable(parsed.name, parsed.uuid);
      const def = await this.settleBridge(parsed, existing);
      await this.options.store.save(def);
      const net = existing ?? new NetworkObj(def);
      net.def = def;
      net.persistent = true;
      if (!existing) this.list.add(net);
      // libvirt reports a redefinition as DEFINED with detail 0 too.
      this.emitLifecycle(net, NetworkEventType.DEFINED);
      return net.ref();
    });
  }

  /** A transient network, or a defined inactive one started with this definition as its live one. */
  createXML(xml: string): Promise<NetworkRef> {
    return this.mutex.run(async () => {
      const parsed = this.parse(xml);
      const existing = this.list.assertAssignable(parsed.name, parsed.uuid);
      if (existing?.active) throw operationInvalid(`network '${existing.name}' is already active`);
      const def = await this.settleBridge(parsed, existing);
      const net = existing ?? new NetworkObj(def, false);
      if (!existing) this.list.add(net);
      try {
        await this.startNetwork(net, def);
      } catch (err) {
        if (!existing) this.list.remove(net);
        throw err;
      }
      return net.ref();
    });
  }

  create(uuid: string): Promise<void> {
    return this.mutex.run(async () => {
      const net = this.list.getByUuid(uuid);
      if (net.active) throw operationInvalid(`network '${net.name}' is already active`);
      await this.startNetwork(net, structuredClone(net.def));
    });
  }

  destroy(uuid: string): Promise<void> {
    return this.mutex.run(async () => {
      const net = this.list.getByUuid(uuid);
      const live = net.live;
      if (!live) throw operationInvalid(`network '${net.name}' is not active`);
      await this.realizer.unrealize(live, this.runtime.dnsmasqFiles(net.name));
      net.live = undefined;
      if (net.persistent) {
        this.runtime.removeStatus(net.name);
      } else {
        // A transient network is forgotten, ports and all.
        await this.runtime.removeAll(net.name);
        this.list.remove(net);
      }
      this.emitLifecycle(net, NetworkEventType.STOPPED);
    });
  }

  /** An active network only loses its persistent config: it runs on as a transient one. */
  undefine(uuid: string): Promise<void> {
    return this.mutex.run(async () => {
      const net = this.list.getByUuid(uuid);
      if (!net.persistent) throw operationInvalid(`network '${net.name}' is not persistent`);
      await this.options.store.remove(net.name);
      if (net.live) {
        net.persistent = false;
        net.autostart = false;
        net.def = net.live;
      } else {
        this.list.remove(net);
      }
      this.emitLifecycle(net, NetworkEventType.UNDEFINED);
    });
  }

  setAutostart(uuid: string, autostart: boolean): Promise<void> {
    return this.mutex.run(async () => {
      const net = this.list.getByUuid(uuid);
      if (!net.persistent) throw operationInvalid(`cannot set autostart for transient network`);
      if (net.autostart === autostart) return;
      await this.options.store.setAutostart(net.name, autostart);
      net.autostart = autostart;
    });
  }

  /**
   * virNetworkUpdate: neither flag means the live network when active, else the config. Both
   * results are computed (and checked) before anything is saved or applied.
   */
  update(uuid: string, update: NetworkUpdate, target: UpdateTarget): Promise<void> {
    return this.mutex.run(async () => {
      const net = this.list.getByUuid(uuid);
      const current = target.live === undefined && target.config === undefined;
      const live = current ? net.active : target.live === true;
      const config = current ? !net.active : target.config === true;
      if (live && !net.live) throw operationInvalid('network is not running');
      if (config && !net.persistent) throw operationInvalid('cannot change persistent config of a transient network');
      const nextConfig = config ? { ...applyNetworkUpdate(net.def, update), uuid: net.uuid } : undefined;
      const nextLive = live && net.live ? { ...applyNetworkUpdate(net.live, update), uuid: net.uuid } : undefined;
      if (nextConfig) {
        await this.options.store.save(nextConfig);
        net.def = nextConfig;
      }
      if (nextLive) {
        await this.runtime.saveStatus(nextLive);
        net.live = nextLive;
        await this.realizer.restartDnsmasq(nextLive, this.runtime.dnsmasqFiles(net.name));
      }
    });
  }

  private parse(xml: string): LiveDef {
    const parsed = networkDefFromXml(xml);
    assertSafeNetworkName(parsed.name);
    return { ...parsed, uuid: (parsed.uuid ?? '').toLowerCase() };
  }

  /**
   * The bridges of every network but `self` are taken. A redefinition that names no bridge
   * keeps the one its network already had, rather than moving to a new one.
   */
  private settleBridge(def: LiveDef, self: NetworkObj | undefined): Promise<LiveDef> {
    const used = new Set<string>();
    for (const other of this.list.list()) if (other !== self) for (const b of other.bridgeNames()) used.add(b);
    const kept = self?.def.bridge?.name;
    const keep = managesBridge(def) && def.bridge?.name === undefined && kept !== undefined;
    const wanted = keep ? { ...def, bridge: { ...def.bridge, name: kept } } : def;
    return settleBridgeName(wanted, used, () => this.own.linkNames());
  }

  /** Status first (a daemon killed mid-start then finds and removes what it made), then the host. */
  private async startNetwork(net: NetworkObj, def: LiveDef): Promise<void> {
    await this.checkOtherNetworks(net, def);
    await this.realizer.checkHost(def);
    await this.runtime.prepare(net.name);
    await this.runtime.saveStatus(def);
    try {
      await this.realizer.realize(def, this.runtime.dnsmasqFiles(net.name));
    } catch (err) {
      this.runtime.removeStatus(net.name);
      throw err;
    }
    net.live = def;
    this.emitLifecycle(net, NetworkEventType.STARTED);
  }

  /** Another active network with the same bridge: caught here even before the host would refuse it. */
  private async checkOtherNetworks(net: NetworkObj, def: LiveDef): Promise<void> {
    const bridge = def.bridge?.name;
    for (const other of this.list.list({ active: true })) {
      if (other !== net && bridge !== undefined && other.live?.bridge?.name === bridge) {
        throw new VirError(
          ErrorCode.INTERNAL_ERROR,
          ErrorDomain.NETWORK,
          `bridge name '${bridge}' already in use by network '${other.name}'.`,
        );
      }
    }
    return Promise.resolve();
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
