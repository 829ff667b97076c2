/**
 * `<interface type='network'>` (libvirt's virDomainNetAllocateActualDevice and friends, in
 * small): at start, virtnetworkd is asked for a port on the named network, and its plug (a
 * bridge) is written into the live interface, whose tap domain-taps.ts then joins to it as
 * for `<interface type='bridge'>`. The port is deleted when QEMU ends, re-registered
 * (reclaim) by a restarted daemon that finds the guest running, and its leases answer
 * `domain.interfaceAddresses`. The ports are also written to `ports.json` in the runtime
 * dir before any is made, so that a daemon killed in the middle of a start still deletes them.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  createNetworkPort,
  deleteNetworkPort,
  getNetworkDHCPLeases,
  isNetworkActive,
  lookupNetworkByName,
  lookupNetworkPort,
  TransportError,
  type Connection,
} from '@tsvirt/client';
import { ErrorCode, ErrorDomain, VirError, atomicWriteFile } from '@tsvirt/common';
import type { DomainInterface } from '@tsvirt/common/protocol';
import type { DomainDef, NetDef } from '../conf/domain-def.js';
import { formatNetworkPortXml, networkPortPlugFromXml, type NetworkPortPlugType } from '../conf/network-port.js';
import { SiblingDaemonLink } from './sibling-daemon.js';

const PORTS_FILE = 'ports.json';

/** One port a running domain holds: its network's uuid and its own, and the kind of plug it got. */
export interface DomainNetworkPort {
  network: string;
  uuid: string;
  plug: NetworkPortPlugType;
}

type NetworkNet = NetDef & { type: 'network'; source: { network: string } };

function isNetworkNet(net: NetDef): net is NetworkNet {
  return net.type === 'network' && net.source?.network !== undefined;
}

function isPort(value: unknown): value is DomainNetworkPort {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.network === 'string' && typeof v.uuid === 'string' && (v.plug === 'network' || v.plug === 'bridge');
}

/** The ports a start recorded in `ports.json`, for the cleanup of an unfinished start. */
export async function readPendingPorts(runtimeDir: string): Promise<DomainNetworkPort[]> {
  try {
    const value: unknown = JSON.parse(await readFile(join(runtimeDir, PORTS_FILE), 'utf8'));
    return Array.isArray(value) ? value.filter(isPort) : [];
  } catch {
    return [];
  }
}

/** Keeps only valid records: the status file of a previous daemon is read back as untyped JSON. */
export function portsOf(value: unknown): DomainNetworkPort[] {
  return Array.isArray(value) ? value.filter(isPort) : [];
}

/** The network of `net`, which must be active (libvirt's check in virDomainNetAllocateActualDevice). */
async function activeNetwork(conn: Connection, net: NetworkNet): Promise<string> {
  const { uuid } = await lookupNetworkByName(conn, net.source.network);
  if (!(await isNetworkActive(conn, uuid))) {
    throw new VirError(
      ErrorCode.OPERATION_INVALID,
      ErrorDomain.NETWORK,
      `network '${net.source.network}' is not active`,
      { str1: net.source.network },
    );
  }
  return uuid;
}

export class DomainNetworkPorts {
  constructor(
    private readonly link: SiblingDaemonLink,
    private readonly log: Logger,
  ) {}

  /**
   * Makes a port for every `<interface type='network'>` of `liveDef` and records it there
   * (`<source portid bridge>`). On failure, deletes the ports it made and throws. A
   * definition without such interfaces never reaches virtnetworkd.
   */
  async allocate(liveDef: DomainDef, runtimeDir: string): Promise<DomainNetworkPort[]> {
    const nets = liveDef.devices.nets.filter(isNetworkNet);
    const ports: DomainNetworkPort[] = [];
    if (nets.length === 0) return ports;
    const record = (): Promise<void> =>
      atomicWriteFile(join(runtimeDir, PORTS_FILE), runtimeDir, `${JSON.stringify(ports)}\n`);
    let next = 0;
    try {
      // A retry after a dropped link goes on from the interface it was at.
      await this.link.use(async (conn) => {
        for (; next < nets.length; next++) await this.allocateOne(conn, liveDef, nets[next]!, ports, record);
      });
      return ports;
    } catch (err) {
      await this.release(ports);
      throw err;
    }
  }

  private async allocateOne(
    conn: Connection,
    liveDef: DomainDef,
    net: NetworkNet,
    ports: DomainNetworkPort[],
    record: () => Promise<void>,
  ): Promise<void> {
    const network = await activeNetwork(conn, net);
    // The uuid is ours, not the network's: recorded before the call, so a crash between the two still finds it.
    const port: DomainNetworkPort = { network, uuid: randomUUID(), plug: 'network' };
    ports.push(port);
    await record();
    const xml = formatNetworkPortXml({
      uuid: port.uuid,
      owner: { name: liveDef.name, uuid: liveDef.uuid ?? '' },
      mac: net.mac ?? '',
    });
    let created;
    try {
      created = await createNetworkPort(conn, network, xml);
    } catch (err) {
      // A port whose answer was lost may exist: it stays recorded, to be deleted with the others.
      if (err instanceof TransportError) throw err;
      ports.pop();
      await record();
      throw err;
    }
    const plug = networkPortPlugFromXml(created.xml);
    port.plug = plug.type;
    await record();
    net.source = { network: net.source.network, portid: port.uuid, bridge: plug.bridge };
  }

  /** Deletes `ports` (already gone is fine); failures are logged, never thrown. */
  async release(ports: readonly DomainNetworkPort[]): Promise<void> {
    if (ports.length === 0) return;
    try {
      await this.link.use(async (conn) => {
        for (const port of ports) {
          try {
            await deleteNetworkPort(conn, port);
          } catch (err) {
            // A dropped link is the link's to retry; a port or network already gone is what we wanted.
            if (err instanceof TransportError) throw err;
            if (
              err instanceof VirError &&
              (err.code === ErrorCode.NO_NETWORK_PORT || err.code === ErrorCode.NO_NETWORK)
            ) {
              continue;
            }
            this.log.error({ port: port.uuid, err: (err as Error).message }, 'cannot delete network port');
          }
        }
      });
    } catch (err) {
      this.log.error({ ports: ports.map((p) => p.uuid), err: (err as Error).message }, 'cannot delete network ports');
    }
  }

  /**
   * A recovered guest's ports, made known again to a virtnetworkd that lost them (libvirt's
   * virDomainNetNotifyActualDevice with VIR_NETWORK_PORT_CREATE_RECLAIM); a port it still
   * has is left alone. Failures are logged: the guest keeps running on its tap.
   */
  async reclaim(def: DomainDef, ports: readonly DomainNetworkPort[]): Promise<void> {
    const byUuid = new Map(ports.map((p) => [p.uuid, p]));
    const owned = def.devices.nets.filter(isNetworkNet).filter((n) => n.source.portid !== undefined);
    if (owned.length === 0) return;
    try {
      await this.link.use(async (conn) => {
        for (const net of owned) {
          const port = byUuid.get(net.source.portid!);
          if (!port || net.source.bridge === undefined) continue;
          try {
            await this.reclaimOne(conn, def, net, port, net.source.bridge);
          } catch (err) {
            if (err instanceof TransportError) throw err;
            this.log.error(
              { domain: def.name, port: port.uuid, err: (err as Error).message },
              'cannot reclaim network port',
            );
          }
        }
      });
    } catch (err) {
      this.log.error({ domain: def.name, err: (err as Error).message }, 'cannot reclaim network ports');
    }
  }

  private async reclaimOne(
    conn: Connection,
    def: DomainDef,
    net: NetworkNet,
    port: DomainNetworkPort,
    bridge: string,
  ): Promise<void> {
    try {
      await lookupNetworkPort(conn, port.network, port.uuid);
      return;
    } catch (err) {
      if (!(err instanceof VirError && err.code === ErrorCode.NO_NETWORK_PORT)) throw err;
    }
    const xml = formatNetworkPortXml({
      uuid: port.uuid,
      owner: { name: def.name, uuid: def.uuid ?? '' },
      mac: net.mac ?? '',
      plug: { type: port.plug, bridge },
    });
    await createNetworkPort(conn, port.network, xml, { reclaim: true });
    this.log.info({ domain: def.name, port: port.uuid }, 'network port reclaimed');
  }

  /**
   * libvirt's qemuDomainGetDHCPInterfaces: for each `<interface type='network'>`, the leases
   * its network's DHCP server gave the interface's MAC; an interface without any is left out.
   */
  async leaseAddresses(def: DomainDef): Promise<DomainInterface[]> {
    const nets = def.devices.nets.filter(isNetworkNet);
    if (nets.length === 0) return [];
    return this.link.use(async (conn) => {
      const interfaces: DomainInterface[] = [];
      for (const net of nets) {
        const { uuid } = await lookupNetworkByName(conn, net.source.network);
        const leases = await getNetworkDHCPLeases(conn, uuid, net.mac);
        if (leases.length === 0) continue;
        interfaces.push({
          name: net.targetDev ?? '',
          ...(net.mac !== undefined ? { hwaddr: net.mac } : {}),
          addrs: leases.map((l) => ({ type: l.type, addr: l.ipaddr, prefix: l.prefix })),
        });
      }
      return interfaces;
    });
  }

  close(): Promise<void> {
    return this.link.close();
  }
}
