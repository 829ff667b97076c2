/**
 * Typed helpers for the `domain.*` procedures: plain functions taking the Connection
 * first, one per libvirt call (`defineDomain(conn, xml)`, `lookupDomainByName(conn,
 * name)`, `listAllDomains(conn, flags)`, `getDomainXML(conn, uuid, { inactive })`...).
 * Domains are named by their uuid once looked up, as a virDomainPtr would be.
 * `lookupDomain(conn, text)` resolves a name, uuid or id the way virsh does.
 * Lifecycle events: `conn.subscribe(domainLifecycle, cb, { uuid })`.
 */
import {
  ErrorCode,
  VirError,
  domainCreate,
  domainCreateXML,
  domainDefineXML,
  domainDestroy,
  domainReboot,
  domainReset,
  domainResume,
  domainSetMemory,
  domainShutdown,
  domainSuspend,
  domainGetAutostart,
  domainGetInfo,
  domainGetOSType,
  domainGetState,
  domainGetStats,
  domainGetXMLDesc,
  domainIsActive,
  domainIsPersistent,
  domainListAll,
  domainLookupByID,
  domainLookupByName,
  domainLookupByUUID,
  domainOpenConsole,
  domainInterfaceAddresses,
  domainSetAutostart,
  domainUndefine,
  type DomainInterface,
  type DomainInterfaceAddressSource,
  type DomainListFlags,
  type DomainRef,
  type DomainStatsGroup,
  type DomainStatsRecord,
  type DomainStatsStateFilter,
  type ResultOf,
  type RpcStream,
} from '@tsvirt/common/client';
import type { Connection } from './connection.js';

export type DomainInfo = ResultOf<typeof domainGetInfo>;
export type DomainStateInfo = ResultOf<typeof domainGetState>;
export type {
  DomainInterface,
  DomainInterfaceAddressSource,
  DomainListFlags,
  DomainRef,
  DomainStatsGroup,
  DomainStatsRecord,
  DomainStatsStateFilter,
};

/** Defines (or updates) a persistent domain; returns its name and uuid. */
export function defineDomain(conn: Connection, xml: string): Promise<{ name: string; uuid: string }> {
  return conn.call(domainDefineXML, { xml });
}

/** `flags`: what to do with a UEFI vars file (virsh undefine --nvram / --keep-nvram); without one, such a domain is refused. */
export async function undefineDomain(
  conn: Connection,
  uuid: string,
  flags: { nvram?: boolean; keepNvram?: boolean } = {},
): Promise<void> {
  await conn.call(domainUndefine, {
    uuid,
    ...(flags.nvram ? { nvram: true } : {}),
    ...(flags.keepNvram ? { keepNvram: true } : {}),
  });
}

export function lookupDomainByName(conn: Connection, name: string): Promise<DomainRef> {
  return conn.call(domainLookupByName, { name });
}

export function lookupDomainByUUID(conn: Connection, uuid: string): Promise<DomainRef> {
  return conn.call(domainLookupByUUID, { uuid });
}

export function lookupDomainByID(conn: Connection, id: number): Promise<DomainRef> {
  return conn.call(domainLookupByID, { id });
}

/** `3E3FCE45-4F53-4FA7-BB32-11F34168B82B`, or 32 hex digits → the canonical form; undefined if not a uuid. */
export function canonicalUuid(text: string): string | undefined {
  const hex = text.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex) || (text.includes('-') && text.length !== 36)) return undefined;
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Resolves `text` as virsh does: an id if it is a number, then a uuid, then a name.
 * A miss is the NO_DOMAIN error of the last attempt (by name).
 */
export async function lookupDomain(conn: Connection, text: string): Promise<DomainRef> {
  const notFound = (err: unknown): boolean => err instanceof VirError && err.code === ErrorCode.NO_DOMAIN;
  if (/^\d+$/.test(text) && Number(text) <= 0x7fffffff) {
    try {
      return await lookupDomainByID(conn, Number(text));
    } catch (err) {
      if (!notFound(err)) throw err;
    }
  }
  const uuid = canonicalUuid(text);
  if (uuid) {
    try {
      return await lookupDomainByUUID(conn, uuid);
    } catch (err) {
      if (!notFound(err)) throw err;
    }
  }
  return lookupDomainByName(conn, text);
}

/** libvirt's listAllDomains: with no flags, every domain. */
export async function listAllDomains(conn: Connection, flags: DomainListFlags = {}): Promise<DomainRef[]> {
  return (await conn.call(domainListAll, { flags })).domains;
}

/** listAllDomains with each domain's `<title>` ('' when it has none), for `virsh list --title`. */
export async function listAllDomainsWithTitles(
  conn: Connection,
  flags: DomainListFlags = {},
): Promise<Array<DomainRef & { title: string }>> {
  return (await conn.call(domainListAll, { flags, withTitle: true })).domains.map((d) => ({
    name: d.name,
    uuid: d.uuid,
    id: d.id,
    title: d.title ?? '',
  }));
}

export async function getDomainXML(
  conn: Connection,
  uuid: string,
  options: { inactive?: boolean } = {},
): Promise<string> {
  return (await conn.call(domainGetXMLDesc, { uuid, ...(options.inactive ? { inactive: true } : {}) })).xml;
}

export function getDomainInfo(conn: Connection, uuid: string): Promise<DomainInfo> {
  return conn.call(domainGetInfo, { uuid });
}

export function getDomainState(conn: Connection, uuid: string): Promise<DomainStateInfo> {
  return conn.call(domainGetState, { uuid });
}

export async function setDomainAutostart(conn: Connection, uuid: string, autostart: boolean): Promise<void> {
  await conn.call(domainSetAutostart, { uuid, autostart });
}

export async function getDomainAutostart(conn: Connection, uuid: string): Promise<boolean> {
  return (await conn.call(domainGetAutostart, { uuid })).autostart;
}

export async function isDomainActive(conn: Connection, uuid: string): Promise<boolean> {
  return (await conn.call(domainIsActive, { uuid })).active;
}

export async function isDomainPersistent(conn: Connection, uuid: string): Promise<boolean> {
  return (await conn.call(domainIsPersistent, { uuid })).persistent;
}

export async function getDomainOSType(conn: Connection, uuid: string): Promise<string> {
  return (await conn.call(domainGetOSType, { uuid })).osType;
}

/** Starts a defined domain (virDomainCreateWithFlags); with `paused`, its vCPUs stay stopped. */
export function startDomain(conn: Connection, uuid: string, options: { paused?: boolean } = {}): Promise<DomainRef> {
  return conn.call(domainCreate, { uuid, ...(options.paused ? { paused: true } : {}) });
}

/** Creates and starts a transient domain from its XML (virDomainCreateXML). */
export function createDomainXML(conn: Connection, xml: string, options: { paused?: boolean } = {}): Promise<DomainRef> {
  return conn.call(domainCreateXML, { xml, ...(options.paused ? { paused: true } : {}) });
}

/** Kills the domain's QEMU; resolves once it is shut off. */
export async function destroyDomain(conn: Connection, uuid: string): Promise<void> {
  await conn.call(domainDestroy, { uuid });
}

/** Asks the guest to power off (ACPI); resolves at once, waiting for the stop is the caller's. */
export async function shutdownDomain(conn: Connection, uuid: string): Promise<void> {
  await conn.call(domainShutdown, { uuid });
}

export async function resetDomain(conn: Connection, uuid: string): Promise<void> {
  await conn.call(domainReset, { uuid });
}

export async function suspendDomain(conn: Connection, uuid: string): Promise<void> {
  await conn.call(domainSuspend, { uuid });
}

export async function resumeDomain(conn: Connection, uuid: string): Promise<void> {
  await conn.call(domainResume, { uuid });
}

/** Asks the guest to reboot (ACPI; a reset once it powers off); the QEMU stays. */
export async function rebootDomain(conn: Connection, uuid: string): Promise<void> {
  await conn.call(domainReboot, { uuid });
}

/** virDomainSetMemory: the balloon target of a running domain, in KiB. */
export async function setDomainMemory(conn: Connection, uuid: string, kib: number): Promise<void> {
  await conn.call(domainSetMemory, { uuid, kib });
}

export interface DomainStatsQuery {
  /** These domains, in this order; absent: every domain matching the filters, by name. */
  uuids?: string[];
  /** The stats groups (`state`, `cpu-total`, `balloon`, `vcpu`, `interface`, `block`); absent or empty: all. */
  groups?: DomainStatsGroup[];
  flags?: DomainListFlags;
  states?: DomainStatsStateFilter[];
}

/**
 * virConnectGetAllDomainStats / virDomainListGetStats in one call: each domain's stats as
 * libvirt's typed parameters (`state.state`, `cpu.time`, `block.0.rd.bytes`...), in order.
 * Allowed on read-only connections.
 */
export async function getAllDomainStats(conn: Connection, query: DomainStatsQuery = {}): Promise<DomainStatsRecord[]> {
  const { records } = await conn.call(domainGetStats, query);
  return records;
}

/**
 * virDomainOpenConsole: a Duplex joined to the running guest's console (its first one, or
 * `device`, e.g. `serial0`): what it reads is the guest's output, what is written to it is
 * the guest's input. It ends when the guest stops, or when another client forces its way in;
 * `end()` it to leave. Refused on a read-only connection.
 */
export async function openDomainConsole(
  conn: Connection,
  uuid: string,
  options: { device?: string; force?: boolean } = {},
): Promise<RpcStream> {
  const { stream } = await conn.callWithStream(domainOpenConsole, {
    uuid,
    ...(options.device !== undefined ? { device: options.device } : {}),
    ...(options.force ? { force: true } : {}),
  });
  return stream;
}

/**
 * virDomainInterfaceAddresses: the IP addresses of a running domain's interfaces, by tap
 * name and MAC. `lease` (the default): the DHCP leases of the virtual networks its
 * `<interface type='network'>` are on; `agent` and `arp` are refused as unsupported.
 * Allowed on read-only connections.
 */
export async function getDomainInterfaceAddresses(
  conn: Connection,
  uuid: string,
  source: DomainInterfaceAddressSource = 'lease',
): Promise<DomainInterface[]> {
  return (await conn.call(domainInterfaceAddresses, { uuid, source })).interfaces;
}
