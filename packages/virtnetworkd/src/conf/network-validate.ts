/** The semantic checks libvirt applies after parsing a network: addresses, subnets, duplicates, mode rules. */
import { addressToBigInt, FAMILY_BITS, familyOf, inSubnet } from './ip-address.js';
import type { NetworkDef, NetworkIp } from './network-def.js';
import { networkInternalError, networkUnsupported, networkXmlError } from './network-errors.js';
import { assertSafeNetworkName, assertValidBridgeName } from './safe-names.js';

function assertFamily(address: string, ip: NetworkIp, what: string): void {
  if (familyOf(address) !== ip.family) {
    throw networkXmlError(`${what} address '${address}' is not of family '${ip.family}' of network ip '${ip.address}'`);
  }
}

function assertInSubnet(address: string, ip: NetworkIp, what: string): void {
  assertFamily(address, ip, what);
  if (!inSubnet(address, ip.address, ip.prefix, ip.family)) {
    throw networkXmlError(`${what} address '${address}' is not within network ${ip.address}/${ip.prefix}`);
  }
}

/** libvirt's virSocketAddrGetRange wording (an internal error there). */
function assertRange(start: string, end: string, ip: NetworkIp): void {
  const within = (a: string): boolean => familyOf(a) === ip.family && inSubnet(a, ip.address, ip.prefix, ip.family);
  if (!within(start) || !within(end)) {
    throw networkInternalError(`range ${start} - ${end} is not entirely within network ${ip.address}/${ip.prefix}`);
  }
  if (addressToBigInt(start) > addressToBigInt(end)) throw networkInternalError(`range ${start} - ${end} is reversed`);
}

function assertIp(ip: NetworkIp, network: string): void {
  if (familyOf(ip.address) !== ip.family) {
    throw networkXmlError(`Invalid address '${ip.address}' in network '${network}'`);
  }
  const bits = FAMILY_BITS[ip.family];
  if (!Number.isInteger(ip.prefix) || ip.prefix < 1 || ip.prefix > bits) {
    const label = ip.family === 'ipv4' ? 'IPv4' : 'IPv6';
    throw networkUnsupported(
      `unsupported configuration: Invalid ${label} prefix '${ip.prefix}' in network '${network}'`,
    );
  }
  if (!ip.dhcp) return;
  for (const range of ip.dhcp.ranges) assertRange(range.start, range.end, ip);
  assertUniqueHosts(ip);
}

/** libvirt's dnsmasq would refuse (or silently shadow) two reservations for one MAC, IP or name. */
function assertUniqueHosts(ip: NetworkIp): void {
  const seen = { mac: new Set<string>(), ip: new Set<string>(), name: new Set<string>() };
  for (const host of ip.dhcp?.hosts ?? []) {
    assertInSubnet(host.ip, ip, 'dhcp host');
    if (ip.family === 'ipv4' && host.mac === undefined) {
      throw networkXmlError(`static host definition in IPv4 network '${ip.address}' must have mac attribute`);
    }
    if (ip.family === 'ipv6' && host.name === undefined) {
      throw networkXmlError(`static host definition in IPv6 network '${ip.address}' must have name attribute`);
    }
    const keys: Array<['mac' | 'ip' | 'name', string | undefined]> = [
      ['mac', host.mac?.toLowerCase()],
      ['ip', host.ip],
      ['name', host.name],
    ];
    for (const [kind, value] of keys) {
      if (value === undefined) continue;
      if (seen[kind].has(value))
        throw networkXmlError(`duplicate dhcp host ${kind} '${value}' in network ip '${ip.address}'`);
      seen[kind].add(value);
    }
  }
}

function assertDhcpPerFamily(ips: NetworkIp[]): void {
  for (const family of ['ipv4', 'ipv6'] as const) {
    const withDhcp = ips.filter((ip) => ip.family === family && ip.dhcp);
    if (withDhcp.length > 1) {
      const label = family === 'ipv4' ? 'IPv4' : 'IPv6';
      throw networkUnsupported(
        `unsupported configuration: Multiple ${label} dhcp sections found -- dhcp is supported only for a single ${label} address on each network`,
      );
    }
  }
}

/** Everything networkDefFromXml checks after the schema; also run on net-update results. */
export function assertValidNetworkDef(def: NetworkDef): void {
  assertSafeNetworkName(def.name);
  if (def.bridge?.name !== undefined) assertValidBridgeName(def.bridge.name);
  const mode = def.forward?.mode;
  if (mode === 'bridge') {
    const present = [
      ['ip', def.ips.length > 0],
      ['dns', def.dns !== undefined],
      ['domain', def.domain !== undefined],
      ['mac', def.mac !== undefined],
      ['mtu', def.mtu !== undefined],
    ] as const;
    for (const [element, found] of present) {
      if (found) {
        throw networkUnsupported(
          `unsupported configuration: Unsupported <${element}> element in network ${def.name} with forward mode='bridge'`,
        );
      }
    }
    if (!def.bridge?.name && !def.forward?.dev) {
      throw networkXmlError(`network '${def.name}' with forward mode='bridge' needs a <bridge name='...'/>`);
    }
  }
  if (def.mtu !== undefined && (def.mtu < 68 || def.mtu > 65535)) {
    throw networkXmlError(`invalid mtu ${def.mtu} of network '${def.name}'`);
  }
  for (const ip of def.ips) assertIp(ip, def.name);
  assertDhcpPerFamily(def.ips);
  const nat = def.forward?.nat;
  if (nat?.portStart !== undefined && nat.portEnd !== undefined && nat.portStart > nat.portEnd) {
    throw networkXmlError(`nat port range ${nat.portStart}-${nat.portEnd} has start > end`);
  }
  for (const host of def.dns?.hosts ?? []) {
    if (host.hostnames.length === 0) throw networkXmlError(`dns host '${host.ip}' needs at least one hostname`);
  }
}
