/** Network XML → NetworkDef: safe parse, own schema, libvirt's post-parse defaults, then the semantic checks. */
import { randomBytes, randomUUID } from 'node:crypto';
import { ErrorDomain } from '@tsvirt/common';
import {
  attr,
  childElement,
  childElements,
  childText,
  optUint,
  parseXmlSafe,
  validateRng,
  type XmlElement,
} from '@tsvirt/common/xml';
import { canonicalAddress, classfulPrefix, familyOf, netmaskToPrefix } from './ip-address.js';
import type {
  DhcpHost,
  DnsHost,
  ForwardMode,
  NetworkDef,
  NetworkDhcp,
  NetworkDns,
  NetworkForward,
  NetworkIp,
} from './network-def.js';
import { networkXmlError } from './network-errors.js';
import { assertValidNetworkDef } from './network-validate.js';
import { networkSchemaPath } from './schema-path.js';

const NETWORK = ErrorDomain.NETWORK;

export interface NetworkParseOptions {
  /** UUID for a definition without one (tests pass a fixed one); random v4 otherwise. */
  generateUuid?: () => string;
  /** Bridge MAC for a definition without one (tests pass a fixed one); random 52:54:00:xx:xx:xx otherwise. */
  generateMac?: () => string;
}

/** Parses, validates against `schemas/network.rng` and returns the root <network> element. */
export function parseNetworkXmlRoot(xml: string, what = 'network_definition'): XmlElement {
  const doc = parseXmlSafe(xml, what, NETWORK);
  const root = doc.root() as XmlElement;
  if (root.name() !== 'network') {
    throw networkXmlError(`expecting root element of 'network', not '${root.name()}'`);
  }
  validateRng(doc, xml, networkSchemaPath(), what, NETWORK);
  return root;
}

const UUID_DIGITS = /^[0-9a-f]{32}$/;

export function normalizeUuid(text: string): string {
  const hex = text.trim().toLowerCase().replace(/-/g, '');
  if (!UUID_DIGITS.test(hex)) throw networkXmlError(`malformed uuid element`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** An address attribute that must be a literal of some family; returned in libvirt's canonical form. */
export function readAddress(value: string | undefined, what: string): string {
  if (value === undefined || familyOf(value) === undefined) {
    throw networkXmlError(`Invalid address '${value ?? ''}' in ${what}`);
  }
  return canonicalAddress(value);
}

/** One <host> of <dhcp>: libvirt keeps the MAC as written (only its syntax is checked). */
export function parseDhcpHost(el: XmlElement): DhcpHost {
  const host: DhcpHost = { ip: readAddress(attr(el, 'ip'), 'dhcp host') };
  const mac = attr(el, 'mac');
  if (mac !== undefined) host.mac = mac;
  const name = attr(el, 'name');
  if (name !== undefined) host.name = name;
  return host;
}

export function parseDnsHost(el: XmlElement): DnsHost {
  return {
    ip: readAddress(attr(el, 'ip'), 'dns host'),
    hostnames: childElements(el, 'hostname').map((h) => h.text()),
  };
}

function parseDhcp(el: XmlElement | undefined): NetworkDhcp | undefined {
  if (!el) return undefined;
  return {
    ranges: childElements(el, 'range').map((r) => ({
      start: readAddress(attr(r, 'start'), 'dhcp range'),
      end: readAddress(attr(r, 'end'), 'dhcp range'),
    })),
    hosts: childElements(el, 'host').map(parseDhcpHost),
  };
}

function parseIp(el: XmlElement, network: string): NetworkIp {
  const address = readAddress(attr(el, 'address'), `network '${network}'`);
  const family = attr(el, 'family') === 'ipv6' || familyOf(address) === 'ipv6' ? 'ipv6' : 'ipv4';
  const netmask = attr(el, 'netmask');
  let prefix = optUint(el, 'prefix', 'network ip prefix', NETWORK);
  if (netmask !== undefined) {
    if (family !== 'ipv4') throw networkXmlError(`netmask not supported for address '${address}' of family 'ipv6'`);
    prefix = netmaskToPrefix(netmask);
    if (prefix === undefined) throw networkXmlError(`invalid netmask '${netmask}' of network ip '${address}'`);
  }
  const ip: NetworkIp = { family, address, prefix: prefix ?? (family === 'ipv4' ? classfulPrefix(address) : 64) };
  if (netmask !== undefined) ip.netmask = netmask;
  const dhcp = parseDhcp(childElement(el, 'dhcp'));
  if (dhcp) ip.dhcp = dhcp;
  return ip;
}

function parseForward(el: XmlElement | undefined): NetworkForward | undefined {
  if (!el) return undefined;
  const forward: NetworkForward = { mode: (attr(el, 'mode') ?? 'nat') as ForwardMode };
  // libvirt prints the forward device again as <interface dev=.../>; either spelling names it.
  const dev = attr(el, 'dev');
  const iface = attr(childElement(el, 'interface'), 'dev');
  if (dev !== undefined && iface !== undefined && dev !== iface) {
    throw networkXmlError(`forward dev '${dev}' must match first interface element dev '${iface}'`);
  }
  if (dev !== undefined || iface !== undefined) forward.dev = dev ?? iface;
  const nat = childElement(el, 'nat');
  if (nat) {
    const address = childElement(nat, 'address');
    const port = childElement(nat, 'port');
    forward.nat = {};
    if (address) {
      forward.nat.addressStart = readAddress(attr(address, 'start'), 'nat address range');
      forward.nat.addressEnd = readAddress(attr(address, 'end'), 'nat address range');
    }
    if (port) {
      forward.nat.portStart = optUint(port, 'start', 'nat port start', NETWORK);
      forward.nat.portEnd = optUint(port, 'end', 'nat port end', NETWORK);
    }
  }
  return forward;
}

function parseDns(el: XmlElement | undefined): NetworkDns | undefined {
  if (!el) return undefined;
  const enable = attr(el, 'enable');
  const dns: NetworkDns = {
    forwarders: childElements(el, 'forwarder').map((f) => {
      const addr = attr(f, 'addr');
      const domain = attr(f, 'domain');
      return {
        ...(domain !== undefined ? { domain } : {}),
        ...(addr !== undefined ? { addr: readAddress(addr, 'dns forwarder') } : {}),
      };
    }),
    hosts: childElements(el, 'host').map(parseDnsHost),
  };
  if (enable !== undefined) dns.enable = enable === 'yes';
  return dns;
}

/** The document as written, without defaults (no UUID or MAC generated). Most callers want networkDefFromXml. */
export function parseNetworkDef(xml: string): NetworkDef {
  const root = parseNetworkXmlRoot(xml);
  const name = childText(root, 'name') ?? '';
  const def: NetworkDef = { name, ips: childElements(root, 'ip').map((ip) => parseIp(ip, name)) };
  const uuid = childText(root, 'uuid');
  if (uuid !== undefined) def.uuid = normalizeUuid(uuid);
  const forward = parseForward(childElement(root, 'forward'));
  if (forward) def.forward = forward;
  const bridge = childElement(root, 'bridge');
  if (bridge) {
    def.bridge = {};
    const name = attr(bridge, 'name');
    if (name !== undefined) def.bridge.name = name;
    const stp = attr(bridge, 'stp');
    if (stp !== undefined) def.bridge.stp = stp === 'on';
    const delay = optUint(bridge, 'delay', 'bridge delay', NETWORK);
    if (delay !== undefined) def.bridge.delay = delay;
  }
  const mac = attr(childElement(root, 'mac'), 'address');
  if (mac !== undefined) def.mac = mac.toLowerCase();
  const mtu = optUint(childElement(root, 'mtu'), 'size', 'network mtu', NETWORK);
  if (mtu !== undefined) def.mtu = mtu;
  const domain = childElement(root, 'domain');
  if (domain) {
    def.domain = { name: attr(domain, 'name') ?? '' };
    const localOnly = attr(domain, 'localOnly');
    if (localOnly !== undefined) def.domain.localOnly = localOnly === 'yes';
  }
  const dns = parseDns(childElement(root, 'dns'));
  if (dns) def.dns = dns;
  return def;
}

/** A locally administered MAC in QEMU's 52:54:00 prefix, as libvirt gives a network bridge. */
export function randomBridgeMac(): string {
  const tail = [...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':');
  return `52:54:00:${tail}`;
}

/** libvirt's post-parse defaults: a UUID, and a bridge MAC unless the network uses an existing host bridge. */
export function applyNetworkDefaults(def: NetworkDef, options: NetworkParseOptions = {}): NetworkDef {
  if (def.uuid === undefined) def.uuid = (options.generateUuid ?? randomUUID)();
  if (def.mac === undefined && def.forward?.mode !== 'bridge') def.mac = (options.generateMac ?? randomBridgeMac)();
  return def;
}

/** Parse → defaults → semantic checks: the definition net-define and net-create accept. */
export function networkDefFromXml(xml: string, options: NetworkParseOptions = {}): NetworkDef {
  const def = applyNetworkDefaults(parseNetworkDef(xml), options);
  assertValidNetworkDef(def);
  return def;
}
