/**
 * The persistent-network `network.*` procedures; the RPC layer has already checked the args
 * and refused writes on read-only connections. create/createXML/destroy/update/leases/ports
 * stay unregistered (unknown procedure) until realization lands.
 */
import type { ProcedureTable } from '@tsvirt/common';
import {
  networkDefineXML,
  networkGetAutostart,
  networkGetXMLDesc,
  networkIsActive,
  networkIsPersistent,
  networkListAll,
  networkLookupByName,
  networkLookupByUUID,
  networkSetAutostart,
  networkUndefine,
} from '@tsvirt/common/protocol';
import { formatNetworkDef } from '../conf/index.js';
import type { NetworkDriver } from './network-driver.js';

const done = async (work: Promise<void>): Promise<Record<string, never>> => {
  await work;
  return {};
};

export function registerNetworkProcedures(table: ProcedureTable, networks: NetworkDriver): void {
  table.register(networkDefineXML, (args) => networks.defineXML(args.xml));
  table.register(networkUndefine, (args) => done(networks.undefine(args.uuid)));
  table.register(networkLookupByName, (args) => networks.list.getByName(args.name).ref());
  table.register(networkLookupByUUID, (args) => networks.list.getByUuid(args.uuid).ref());
  table.register(networkListAll, (args) => ({ networks: networks.list.list(args.flags).map((n) => n.ref()) }));
  table.register(networkGetXMLDesc, (args) => ({ xml: formatNetworkDef(networks.list.getByUuid(args.uuid).def) }));
  table.register(networkIsActive, (args) => ({ active: networks.list.getByUuid(args.uuid).active }));
  table.register(networkIsPersistent, (args) => ({ persistent: networks.list.getByUuid(args.uuid).persistent }));
  table.register(networkSetAutostart, (args) => done(networks.setAutostart(args.uuid, args.autostart)));
  table.register(networkGetAutostart, (args) => ({ autostart: networks.list.getByUuid(args.uuid).autostart }));
}
