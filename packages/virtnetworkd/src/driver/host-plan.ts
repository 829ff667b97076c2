/**
 * What a network definition asks of the host, as plain data for the host modules: the bridge,
 * the firewall chains, dnsmasq's configuration, and whether IP forwarding is needed. Pure, so
 * the mapping of every forward mode is checked without touching the host.
 */
import { FAMILY_BITS, addressToBigInt, type NetworkDef, type NetworkIp } from '../conf/index.js';
import type { BridgeSpec } from '../host/bridge.js';
import { dhcpRangeSize, type DnsmasqNetwork } from '../host/dnsmasq-config.js';
import type { FirewallNetwork } from '../host/nftables.js';

/** Where one network's dnsmasq keeps its files. */
export interface DnsmasqFiles {
  confFile: string;
  pidFile: string;
  leaseFile: string;
}

/** A network of mode 'bridge' plugs guests into a host bridge it does not manage. */
export function managesBridge(def: NetworkDef): boolean {
  return def.forward?.mode !== 'bridge';
}

/** The bridge name of a realized or realizable network; set by the driver before start. */
export function bridgeNameOf(def: NetworkDef): string {
  const name = def.bridge?.name;
  if (name === undefined) throw new Error(`network '${def.name}' has no bridge name`);
  return name;
}

/** The subnet of an `<ip>` as `network/prefix`, in the family's canonical text. */
export function subnetOf(ip: NetworkIp): string {
  const bits = FAMILY_BITS[ip.family];
  const mask = ((1n << BigInt(ip.prefix)) - 1n) << BigInt(bits - ip.prefix);
  const value = addressToBigInt(ip.address) & mask;
  if (ip.family === 'ipv4') {
    return `${[24n, 16n, 8n, 0n].map((s) => (value >> s) & 255n).join('.')}/${ip.prefix}`;
  }
  const groups = [...Array(8).keys()].map((i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  return `${groups.join(':')}/${ip.prefix}`;
}

function netmaskOf(prefix: number): string {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [mask >>> 24, (mask >>> 16) & 255, (mask >>> 8) & 255, mask & 255].join('.');
}

export function bridgeSpecOf(def: NetworkDef): BridgeSpec {
  const spec: BridgeSpec = {
    name: bridgeNameOf(def),
    stp: def.bridge?.stp !== false,
    forwardDelay: def.bridge?.delay ?? 0,
    addresses: def.ips.map((ip) => ({ address: ip.address, prefix: ip.prefix })),
  };
  if (def.mtu !== undefined) spec.mtu = def.mtu;
  if (def.mac !== undefined) spec.mac = def.mac;
  return spec;
}

export function firewallOf(def: NetworkDef): FirewallNetwork {
  const mode = def.forward?.mode;
  const net: FirewallNetwork = {
    bridge: bridgeNameOf(def),
    mode: mode === 'nat' || mode === 'route' || mode === 'open' ? mode : 'isolated',
    ipv4Subnets: def.ips.filter((ip) => ip.family === 'ipv4').map(subnetOf),
    ipv6Subnets: def.ips.filter((ip) => ip.family === 'ipv6').map(subnetOf),
    dhcpDns: def.ips.length > 0,
  };
  if (def.forward?.dev !== undefined) net.forwardDev = def.forward.dev;
  if (def.forward?.nat) net.nat = { ...def.forward.nat };
  return net;
}

/** IP forwarding: only a network that forwards needs it; IPv6 forwarding only with an IPv6 address. */
export function forwardingOf(def: NetworkDef): { ipv4: boolean; ipv6: boolean } {
  const mode = def.forward?.mode;
  const forwards = mode === 'nat' || mode === 'route' || mode === 'open';
  return { ipv4: forwards, ipv6: forwards && def.ips.some((ip) => ip.family === 'ipv6') };
}

/** libvirt starts dnsmasq for any managed network with an address (DNS even without DHCP). */
export function needsDnsmasq(def: NetworkDef): boolean {
  return managesBridge(def) && def.ips.length > 0;
}

export function dnsmasqOf(def: NetworkDef, files: DnsmasqFiles): DnsmasqNetwork {
  const v4 = def.ips.find((ip) => ip.family === 'ipv4');
  const withDhcp = def.ips.filter((ip) => ip.dhcp);
  const v4Dhcp = withDhcp.find((ip) => ip.family === 'ipv4')?.dhcp;
  const net: DnsmasqNetwork = {
    name: def.name,
    bridge: bridgeNameOf(def),
    netmask: netmaskOf(v4?.prefix ?? 24),
    pidFile: files.pidFile,
    leaseFile: files.leaseFile,
    ranges: withDhcp.flatMap((ip) =>
      (ip.dhcp?.ranges ?? []).map((r) => (ip.family === 'ipv6' ? { ...r, prefix: ip.prefix } : { ...r })),
    ),
    dhcpHosts: withDhcp.flatMap((ip) => ip.dhcp?.hosts ?? []),
    dnsHosts: def.dns?.hosts ?? [],
    forwarders: (def.dns?.forwarders ?? []).flatMap((f) =>
      f.addr !== undefined
        ? [f.domain !== undefined ? `/${f.domain}/${f.addr}` : f.addr]
        : f.domain !== undefined
          ? [`/${f.domain}/`]
          : [],
    ),
  };
  // As libvirt: the range sizes plus the static hosts bound how many leases dnsmasq hands out.
  if (v4Dhcp) net.leaseMax = v4Dhcp.ranges.reduce((n, r) => n + dhcpRangeSize(r), 0) + v4Dhcp.hosts.length;
  if (def.domain) {
    net.domain = def.domain.name;
    if (def.domain.localOnly) net.localOnly = true;
  }
  if (def.dns?.enable === false) net.dnsDisabled = true;
  return net;
}
