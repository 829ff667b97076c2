/**
 * The `network.*` procedures; the RPC layer has already checked the args and refused writes
 * on read-only connections.
 */
import { ErrorCode, ErrorDomain, VirError, type ProcedureTable } from '@tsvirt/common';
import {
  networkCreate,
  networkCreateXML,
  networkDefineXML,
  networkDestroy,
  networkGetAutostart,
  networkGetBridgeName,
  networkGetDHCPLeases,
  networkGetXMLDesc,
  networkIsActive,
  networkIsPersistent,
  networkListAll,
  networkListAllPorts,
  networkLookupByName,
  networkLookupByUUID,
  networkPortCreateXML,
  networkPortDelete,
  networkPortGetXMLDesc,
  networkPortLookupByUUID,
  networkSetAutostart,
  networkUndefine,
  networkUpdate,
} from '@tsvirt/common/protocol';
import { formatNetworkDef, type NetworkUpdateSection } from '../conf/index.js';
import { readNetworkLeases } from './network-leases.js';
import type { NetworkDriver } from './network-driver.js';
import { NetworkPorts } from './network-ports.js';

const done = async (work: Promise<void>): Promise<Record<string, never>> => {
  await work;
  return {};
};

export function registerNetworkProcedures(table: ProcedureTable, networks: NetworkDriver): void {
  const list = networks.list;
  const ports = new NetworkPorts(networks);
  table.register(networkDefineXML, (args) => networks.defineXML(args.xml));
  table.register(networkCreateXML, (args) => networks.createXML(args.xml));
  table.register(networkUndefine, (args) => done(networks.undefine(args.uuid)));
  table.register(networkCreate, (args) => done(networks.create(args.uuid)));
  table.register(networkDestroy, (args) => done(networks.destroy(args.uuid)));
  table.register(networkLookupByName, (args) => list.getByName(args.name).ref());
  table.register(networkLookupByUUID, (args) => list.getByUuid(args.uuid).ref());
  table.register(networkListAll, (args) => ({ networks: list.list(args.flags).map((n) => n.ref()) }));
  table.register(networkGetXMLDesc, (args) => {
    const net = list.getByUuid(args.uuid);
    return { xml: formatNetworkDef(args.inactive && net.persistent ? net.def : net.current()) };
  });
  table.register(networkIsActive, (args) => ({ active: list.getByUuid(args.uuid).active }));
  table.register(networkIsPersistent, (args) => ({ persistent: list.getByUuid(args.uuid).persistent }));
  table.register(networkGetBridgeName, (args) => {
    const net = list.getByUuid(args.uuid);
    const bridge = net.current().bridge?.name;
    if (bridge === undefined) {
      throw new VirError(
        ErrorCode.INTERNAL_ERROR,
        ErrorDomain.NETWORK,
        `network '${net.name}' does not have a bridge name.`,
      );
    }
    return { bridge };
  });
  table.register(networkSetAutostart, (args) => done(networks.setAutostart(args.uuid, args.autostart)));
  table.register(networkGetAutostart, (args) => ({ autostart: list.getByUuid(args.uuid).autostart }));
  table.register(networkUpdate, (args) => {
    const update = {
      command: args.command,
      // Sections tsvirt does not update are refused by applyNetworkUpdate with libvirt's wording.
      section: args.section as NetworkUpdateSection,
      xml: args.xml,
      ...(args.parentIndex !== undefined ? { parentIndex: args.parentIndex } : {}),
    };
    return done(networks.update(args.uuid, update, { live: args.live, config: args.config }));
  });
  table.register(networkGetDHCPLeases, async (args) => {
    const net = list.getByUuid(args.uuid);
    if (!net.live) return { leases: [] };
    return { leases: await readNetworkLeases(net.live, networks.runtime.dnsmasqFiles(net.name).leaseFile, args.mac) };
  });
  table.register(networkPortCreateXML, (args) => ports.create(args.network, args.xml, args.reclaim === true));
  table.register(networkPortDelete, (args) => done(ports.delete(args.network, args.uuid)));
  table.register(networkPortLookupByUUID, (args) => ports.lookup(args.network, args.uuid));
  table.register(networkPortGetXMLDesc, (args) => ({ xml: ports.xml(args.network, args.uuid) }));
  table.register(networkListAllPorts, (args) => ({ ports: ports.list(args.network) }));
}
