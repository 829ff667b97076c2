/**
 * Typed helpers for the `network.*` procedures: plain functions taking the Connection
 * first, one per libvirt call. Networks are named by their uuid once looked up (as a
 * virNetworkPtr would be), ports by `{ network, uuid }` (as a virNetworkPortPtr).
 * `lookupNetwork(conn, text)` resolves what a user typed the way virsh does.
 * Events: `conn.subscribe(networkLifecycle, cb, { uuid })`.
 */
import {
  ErrorCode,
  VirError,
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
  type NetworkDHCPLease,
  type NetworkListFlags,
  type NetworkPortRef,
  type NetworkRef,
  type NetworkUpdateCommandName,
  type NetworkUpdateSectionName,
} from '@tsvirt/common/client';
import type { Connection } from './connection.js';
import { canonicalUuid } from './domain.js';

export type { NetworkDHCPLease, NetworkListFlags, NetworkPortRef, NetworkRef };

/** One virNetworkUpdate: which element of which section, where, and in which definition(s). */
export interface NetworkUpdate {
  command: NetworkUpdateCommandName;
  section: NetworkUpdateSectionName;
  /** The XML of the one element to add, delete or modify, e.g. `<host mac=... ip=.../>`. */
  xml: string;
  /** Which `<ip>` the element belongs to (ip-dhcp-*), in document order; -1 or absent: the first that fits. */
  parentIndex?: number;
  /** VIR_NETWORK_UPDATE_AFFECT_LIVE: change the running network. */
  live?: boolean;
  /** VIR_NETWORK_UPDATE_AFFECT_CONFIG: change the saved definition. Neither: whichever the network has. */
  config?: boolean;
}

/** A port just created: its identity and its XML, which carries the plug result (bridge, tap). */
export interface CreatedNetworkPort extends NetworkPortRef {
  xml: string;
}

/** Only the flags that are set, so the args stay minimal on the wire. */
function setFlags<T extends object>(flags: T): Partial<T> {
  return Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined && v !== false)) as Partial<T>;
}

// ---- networks ----

/** Defines (or updates) a persistent network from its XML. */
export function defineNetwork(conn: Connection, xml: string): Promise<NetworkRef> {
  return conn.call(networkDefineXML, { xml });
}

/** Creates and starts a transient network (virNetworkCreateXML). */
export function createNetworkXML(conn: Connection, xml: string): Promise<NetworkRef> {
  return conn.call(networkCreateXML, { xml });
}

/** Removes a network's saved config; an active network keeps running, as transient. */
export async function undefineNetwork(conn: Connection, uuid: string): Promise<void> {
  await conn.call(networkUndefine, { uuid });
}

/** Starts a defined network (virNetworkCreate). */
export async function startNetwork(conn: Connection, uuid: string): Promise<void> {
  await conn.call(networkCreate, { uuid });
}

/** Stops an active network; a transient one disappears. */
export async function destroyNetwork(conn: Connection, uuid: string): Promise<void> {
  await conn.call(networkDestroy, { uuid });
}

export function lookupNetworkByName(conn: Connection, name: string): Promise<NetworkRef> {
  return conn.call(networkLookupByName, { name });
}

export function lookupNetworkByUUID(conn: Connection, uuid: string): Promise<NetworkRef> {
  return conn.call(networkLookupByUUID, { uuid });
}

/** Resolves a network as virsh does: a uuid first, then a name; a miss is the lookup-by-name error. */
export async function lookupNetwork(conn: Connection, text: string): Promise<NetworkRef> {
  const uuid = canonicalUuid(text);
  if (uuid) {
    try {
      return await lookupNetworkByUUID(conn, uuid);
    } catch (err) {
      if (!(err instanceof VirError && err.code === ErrorCode.NO_NETWORK)) throw err;
    }
  }
  return lookupNetworkByName(conn, text);
}

/** virConnectListAllNetworks: with no flags, every network, sorted by name. */
export async function listAllNetworks(conn: Connection, flags: NetworkListFlags = {}): Promise<NetworkRef[]> {
  return (await conn.call(networkListAll, { flags })).networks;
}

/** The network XML as running, or with `inactive` its saved definition. */
export async function getNetworkXML(
  conn: Connection,
  uuid: string,
  options: { inactive?: boolean } = {},
): Promise<string> {
  return (await conn.call(networkGetXMLDesc, { uuid, ...setFlags(options) })).xml;
}

export async function isNetworkActive(conn: Connection, uuid: string): Promise<boolean> {
  return (await conn.call(networkIsActive, { uuid })).active;
}

export async function isNetworkPersistent(conn: Connection, uuid: string): Promise<boolean> {
  return (await conn.call(networkIsPersistent, { uuid })).persistent;
}

/** The network's bridge device name (virNetworkGetBridgeName). */
export async function getNetworkBridgeName(conn: Connection, uuid: string): Promise<string> {
  return (await conn.call(networkGetBridgeName, { uuid })).bridge;
}

export async function setNetworkAutostart(conn: Connection, uuid: string, autostart: boolean): Promise<void> {
  await conn.call(networkSetAutostart, { uuid, autostart });
}

export async function getNetworkAutostart(conn: Connection, uuid: string): Promise<boolean> {
  return (await conn.call(networkGetAutostart, { uuid })).autostart;
}

/** virNetworkUpdate: adds, deletes or modifies one element of a section (`virsh net-update`). */
export async function updateNetwork(conn: Connection, uuid: string, update: NetworkUpdate): Promise<void> {
  const { command, section, xml, parentIndex, ...flags } = update;
  await conn.call(networkUpdate, {
    uuid,
    command,
    section,
    xml,
    ...(parentIndex === undefined ? {} : { parentIndex }),
    ...setFlags(flags),
  });
}

/** The network's unexpired DHCP leases (virNetworkGetDHCPLeases), optionally of one MAC only. */
export async function getNetworkDHCPLeases(conn: Connection, uuid: string, mac?: string): Promise<NetworkDHCPLease[]> {
  return (await conn.call(networkGetDHCPLeases, { uuid, ...(mac === undefined ? {} : { mac }) })).leases;
}

// ---- ports ----

/**
 * Creates and plugs a port on an active network (virNetworkPortCreateXML); `reclaim`
 * re-registers the port of a guest that is already running (VIR_NETWORK_PORT_CREATE_RECLAIM).
 */
export function createNetworkPort(
  conn: Connection,
  network: string,
  xml: string,
  options: { reclaim?: boolean } = {},
): Promise<CreatedNetworkPort> {
  return conn.call(networkPortCreateXML, { network, xml, ...setFlags(options) });
}

/** Unplugs and forgets a port. */
export async function deleteNetworkPort(conn: Connection, port: NetworkPortRef): Promise<void> {
  await conn.call(networkPortDelete, { network: port.network, uuid: port.uuid });
}

export function lookupNetworkPort(conn: Connection, network: string, uuid: string): Promise<NetworkPortRef> {
  return conn.call(networkPortLookupByUUID, { network, uuid });
}

/** The port XML: owner domain, MAC, and the plug result (bridge and tap names). */
export async function getNetworkPortXML(conn: Connection, port: NetworkPortRef): Promise<string> {
  return (await conn.call(networkPortGetXMLDesc, { network: port.network, uuid: port.uuid })).xml;
}

/** virNetworkListAllPorts: every port of the network. */
export async function listAllNetworkPorts(conn: Connection, network: string): Promise<NetworkPortRef[]> {
  return (await conn.call(networkListAllPorts, { network })).ports;
}
