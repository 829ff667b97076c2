/**
 * Pure `net-update` for the sections ip-dhcp-host and dns-host: a new NetworkDef from the old one
 * and one XML fragment, with libvirt's matching rules and error wording (network_conf.c).
 */
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import { attr, childElements, parseXmlSafe, type XmlElement } from '@tsvirt/common/xml';
import { familyOf } from './ip-address.js';
import type { DhcpHost, DnsHost, NetworkDef, NetworkIp } from './network-def.js';
import { networkOperationInvalid, networkXmlError } from './network-errors.js';
import { readAddress } from './network-parse.js';
import { assertValidNetworkDef } from './network-validate.js';

export type NetworkUpdateCommand = 'add-last' | 'add-first' | 'delete' | 'modify';
export type NetworkUpdateSection = 'ip-dhcp-host' | 'dns-host';

export interface NetworkUpdate {
  command: NetworkUpdateCommand;
  section: NetworkUpdateSection;
  /** The element to add, delete or modify: <host .../> in both sections. */
  xml: string;
  /** Index of the <ip> for ip-dhcp-host; absent or negative means "the one with <dhcp>". */
  parentIndex?: number;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

function operationUnsupported(message: string): VirError {
  return new VirError(ErrorCode.OPERATION_UNSUPPORTED, ErrorDomain.NETWORK, message);
}

function xmlDetailError(message: string): VirError {
  return new VirError(ErrorCode.XML_DETAIL, ErrorDomain.NETWORK, message);
}

function fragmentRoot(def: NetworkDef, xml: string, expected: string): XmlElement {
  const el = parseXmlSafe(xml, 'network_update_xml', ErrorDomain.NETWORK).root() as XmlElement;
  if (el.name() !== expected) {
    throw networkXmlError(
      `unexpected element <${el.name()}>, expecting <${expected}>, while updating network '${def.name}'`,
    );
  }
  return el;
}

/** A dhcp <host>; `partial` (delete) lets any attribute be absent, as libvirt's partialOkay. */
function readDhcpHost(def: NetworkDef, el: XmlElement, partial: boolean): Partial<DhcpHost> {
  const host: Partial<DhcpHost> = {};
  const mac = attr(el, 'mac');
  if (mac !== undefined) {
    if (!MAC.test(mac)) throw networkXmlError(`Cannot parse MAC address '${mac}' in network '${def.name}'`);
    host.mac = mac;
  }
  const name = attr(el, 'name');
  if (name !== undefined) host.name = name;
  const ip = attr(el, 'ip');
  if (ip !== undefined) host.ip = readAddress(ip, 'dhcp host');
  else if (!partial) throw networkXmlError(`Missing IP address in static host definition for network '${def.name}'`);
  return host;
}

function readDnsHost(def: NetworkDef, el: XmlElement, partial: boolean): Partial<DnsHost> {
  const host: Partial<DnsHost> = { hostnames: childElements(el, 'hostname').map((h) => h.text()) };
  const ip = attr(el, 'ip');
  if (ip !== undefined) host.ip = readAddress(ip, 'dns host');
  // libvirt reports these two as XML_DETAIL (printed without an "XML error:" prefix).
  if (!partial && ip === undefined) throw xmlDetailError(`Missing IP address in network '${def.name}' DNS HOST record`);
  if (!partial && host.hostnames?.length === 0) {
    throw xmlDetailError(`Missing hostname in network '${def.name}' DNS HOST record`);
  }
  return host;
}

/** libvirt's virNetworkIPDefByIndex: an explicit index, else the <ip> already serving DHCP, else the first IPv4/IPv6. */
function targetIp(def: NetworkDef, parentIndex: number | undefined): NetworkIp {
  if (parentIndex !== undefined && parentIndex >= 0) {
    const ip = def.ips[parentIndex];
    if (!ip) {
      throw networkOperationInvalid(
        `couldn't update dhcp host entry - no <ip> element found at index ${parentIndex} in network '${def.name}'`,
      );
    }
    return ip;
  }
  const ip =
    def.ips.find((i) => (i.dhcp?.ranges.length ?? 0) + (i.dhcp?.hosts.length ?? 0) > 0) ??
    def.ips.find((i) => i.family === 'ipv4') ??
    def.ips.find((i) => i.family === 'ipv6');
  if (!ip) {
    throw networkOperationInvalid(`couldn't update dhcp host entry - no <ip> element found in network '${def.name}'`);
  }
  return ip;
}

const sameMac = (a: string | undefined, b: string | undefined): boolean =>
  a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();

/** How libvirt's messages print a host: C's "(null)" for a missing name, "unknown" for a missing MAC or IP. */
function hostFields(host: Partial<DhcpHost>): { mac: string; name: string; ip: string } {
  return { mac: host.mac ?? 'unknown', name: host.name ?? '(null)', ip: host.ip ?? 'unknown' };
}

function updateDhcpHost(def: NetworkDef, update: NetworkUpdate): void {
  const ip = targetIp(def, update.parentIndex);
  const isDelete = update.command === 'delete';
  const host = readDhcpHost(def, fragmentRoot(def, update.xml, 'host'), isDelete);
  if (!isDelete && familyOf(host.ip ?? '') !== ip.family) {
    throw networkOperationInvalid(
      "the address family of a host entry IP must match the address family of the dhcp element's parent",
    );
  }
  const hosts = ip.dhcp?.hosts ?? [];
  const matchesAny = (h: DhcpHost): boolean =>
    sameMac(host.mac, h.mac) ||
    (host.ip !== undefined && host.ip === h.ip) ||
    (host.name !== undefined && host.name === h.name);
  if (update.command === 'modify') {
    const i = hosts.findIndex(matchesAny);
    if (i < 0) {
      const { mac, name, ip: addr } = hostFields(host);
      throw networkOperationInvalid(
        `couldn't locate an existing dhcp host entry with "mac='${mac}'" "name='${name}'" "ip='${addr}'" in network '${def.name}'`,
      );
    }
    hosts[i] = host as DhcpHost;
  } else if (isDelete) {
    const i = hosts.findIndex(
      (h) =>
        (host.mac === undefined || h.mac === undefined || sameMac(host.mac, h.mac)) &&
        (host.name === undefined || host.name === h.name) &&
        (host.ip === undefined || host.ip === h.ip),
    );
    if (i < 0) throw networkOperationInvalid(`couldn't locate a matching dhcp host entry in network '${def.name}'`);
    hosts.splice(i, 1);
  } else {
    const other = def.ips.find((o) => o !== ip && o.family === ip.family && o.dhcp);
    if (other) {
      throw networkOperationInvalid(
        `dhcp is supported only for a single ${ip.family === 'ipv4' ? 'IPv4' : 'IPv6'} address on each network`,
      );
    }
    if (hosts.some(matchesAny)) {
      const { mac, name, ip: addr } = hostFields(host);
      throw networkOperationInvalid(
        `there is an existing dhcp host entry in network '${def.name}' that matches "<host mac='${mac}' name='${name}' ip='${addr}'/>"`,
      );
    }
    ip.dhcp ??= { ranges: [], hosts };
    if (update.command === 'add-first') ip.dhcp.hosts.unshift(host as DhcpHost);
    else ip.dhcp.hosts.push(host as DhcpHost);
  }
}

function updateDnsHost(def: NetworkDef, update: NetworkUpdate): void {
  if (update.command === 'modify') {
    throw operationUnsupported('DNS HOST records cannot be modified, only added or deleted');
  }
  const isAdd = update.command !== 'delete';
  const host = readDnsHost(def, fragmentRoot(def, update.xml, 'host'), !isAdd);
  const hosts = def.dns?.hosts ?? [];
  // Adding only refuses a second record for one address: one name on several addresses is legitimate.
  const found = hosts
    .map((h, i) => ({ h, i }))
    .filter(
      ({ h }) =>
        (host.ip !== undefined && h.ip === host.ip) ||
        (!isAdd && (host.hostnames ?? []).some((n) => h.hostnames.includes(n))),
    );
  if (isAdd) {
    if (found.length > 0) {
      throw networkOperationInvalid(
        `there is already at least one DNS HOST record with a matching field in network ${def.name}`,
      );
    }
    def.dns ??= { forwarders: [], hosts };
    if (update.command === 'add-first') def.dns.hosts.unshift(host as DnsHost);
    else def.dns.hosts.push(host as DnsHost);
    return;
  }
  if (found.length === 0)
    throw networkOperationInvalid(`couldn't locate a matching DNS HOST record in network ${def.name}`);
  if (found.length > 1) {
    throw networkOperationInvalid(`multiple matching DNS HOST records were found in network ${def.name}`);
  }
  hosts.splice(found[0]?.i ?? 0, 1);
}

/** Applies one net-update to a copy of `def`; the result passes the same checks as a fresh definition. */
export function applyNetworkUpdate(def: NetworkDef, update: NetworkUpdate): NetworkDef {
  const next = structuredClone(def);
  if (update.section === 'ip-dhcp-host') updateDhcpHost(next, update);
  else if (update.section === 'dns-host') updateDnsHost(next, update);
  else throw operationUnsupported(`can't update '${String(update.section)}' section of network '${def.name}'`);
  assertValidNetworkDef(next);
  return next;
}
