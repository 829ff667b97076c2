/**
 * What dnsmasq is given for one network, as libvirt writes it (networkDnsmasqConfContents):
 * the conf file, the static-host file (`MAC,IP,name`) and the addn-hosts file. One
 * difference: libvirt tracks leases with its leaseshelper script; we let dnsmasq keep its
 * own lease file (dhcp-leasefile=) in a directory the daemon owns and read that.
 */

export interface DhcpRange {
  start: string;
  end: string;
  /** IPv6 ranges carry their prefix length; IPv4 ones use the network's netmask. */
  prefix?: number;
}

export interface DhcpHost {
  mac?: string;
  ip: string;
  name?: string;
}

export interface DnsHost {
  ip: string;
  hostnames: readonly string[];
}

export interface DnsmasqNetwork {
  /** Network name: only used in the header, as libvirt does. */
  name: string;
  bridge: string;
  /** The bridge's IPv4 address and netmask (dotted), for dhcp-range's mask. */
  netmask: string;
  pidFile: string;
  leaseFile: string;
  /**
   * Static hosts and DNS hosts go either in files dnsmasq rereads on SIGHUP (hostsFile,
   * addnHostsFile: they must then be readable once dnsmasq has dropped to its own user) or,
   * when no file is named, into the conf itself, which dnsmasq reads while still root.
   */
  hostsFile?: string;
  addnHostsFile?: string;
  dhcpHosts?: readonly DhcpHost[];
  dnsHosts?: readonly DnsHost[];
  ranges?: readonly DhcpRange[];
  /** Size of the ranges: dhcp-lease-max, counted by the caller (libvirt adds static hosts). */
  leaseMax?: number;
  domain?: string;
  /** <domain localOnly='yes'/>: answer the domain ourselves, never forward it. */
  localOnly?: boolean;
  /** <dns><forwarder addr=.../></dns>: when given, the host's resolv.conf is not used. */
  forwarders?: readonly string[];
  /** <dns enable='no'/>: DHCP only (port=0). */
  dnsDisabled?: boolean;
}

export function dnsmasqConfContents(net: DnsmasqNetwork): string {
  const lines = [
    '##WARNING:  THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE',
    '##OVERWRITTEN AND LOST.  Changes to this configuration should be made using:',
    `##    virsh net-edit ${net.name}`,
    '## or other application using the libvirt API.',
    '##',
    '## dnsmasq conf file created by tsvirt',
    'strict-order',
  ];
  if (net.dnsDisabled) lines.push('port=0');
  const forwarders = net.forwarders ?? [];
  if (forwarders.length > 0) {
    lines.push('no-resolv');
    for (const server of forwarders) lines.push(`server=${server}`);
  }
  if (net.domain !== undefined) {
    if (net.localOnly) lines.push(`local=/${net.domain}/`);
    lines.push(`domain=${net.domain}`, 'expand-hosts');
  }
  lines.push(`pid-file=${net.pidFile}`, 'except-interface=lo', 'bind-dynamic', `interface=${net.bridge}`);
  const ranges = net.ranges ?? [];
  for (const r of ranges) lines.push(`dhcp-range=${r.start},${r.end},${r.prefix ?? net.netmask}`);
  if (ranges.length > 0) {
    lines.push('dhcp-no-override', 'dhcp-authoritative');
    if (net.leaseMax !== undefined) lines.push(`dhcp-lease-max=${net.leaseMax}`);
    lines.push(`dhcp-leasefile=${net.leaseFile}`);
    if (net.hostsFile !== undefined) lines.push(`dhcp-hostsfile=${net.hostsFile}`);
    for (const h of net.dhcpHosts ?? []) lines.push(`dhcp-host=${dhcpHostFields(h)}`);
  }
  // Router advertisements, so that IPv6 guests find the prefix and their gateway.
  if (ranges.some((r) => r.prefix !== undefined)) lines.push('enable-ra');
  if (net.addnHostsFile !== undefined) lines.push(`addn-hosts=${net.addnHostsFile}`);
  // host-record names are not expanded by expand-hosts, so the domain's long names are listed too.
  const expand = (name: string): string[] =>
    net.domain !== undefined && !name.includes('.') ? [name, `${name}.${net.domain}`] : [name];
  for (const h of net.dnsHosts ?? []) lines.push(`host-record=${[...h.hostnames.flatMap(expand), h.ip].join(',')}`);
  return lines.join('\n') + '\n';
}

/** dnsmasq's dhcp-hostsfile: `MAC,IP,name` (libvirt leaves out what is not given). */
export function dnsmasqHostsFileContents(hosts: readonly DhcpHost[]): string {
  return hosts.map((h) => dhcpHostFields(h) + '\n').join('');
}

/** `MAC,IP,name` without the parts not given; an IPv6 address goes in brackets, as dnsmasq wants. */
function dhcpHostFields(h: DhcpHost): string {
  const ip = h.ip.includes(':') ? `[${h.ip}]` : h.ip;
  return [h.mac, ip, h.name].filter((f) => f !== undefined).join(',');
}

/** addn-hosts: /etc/hosts format, one IP per line with all its names. */
export function dnsmasqAddnHostsContents(hosts: readonly DnsHost[]): string {
  return hosts.map((h) => `${h.ip}\t${h.hostnames.join('\t')}\n`).join('');
}

/** Number of addresses in a range, both ends included (for dhcp-lease-max). */
export function dhcpRangeSize(range: DhcpRange): number {
  const toInt = (ip: string): number => ip.split('.').reduce((n, p) => n * 256 + Number(p), 0);
  return toInt(range.end) - toInt(range.start) + 1;
}

export interface DnsmasqLease {
  /** Seconds since the epoch; 0 means an infinite lease. */
  expiryTime: number;
  /** IPv4 leases: the client's MAC. */
  mac?: string;
  /** IPv6 leases: the identity association the client asked with, in place of a MAC. */
  iaid?: string;
  ip: string;
  /** Absent when the client sent none (dnsmasq writes `*`). */
  hostname?: string;
  /** IPv4: the client id; IPv6: the client's DUID. */
  clientId?: string;
}

/**
 * dnsmasq's lease file: `expiry mac ip hostname clientid` lines for IPv4, and after the
 * `duid <server duid>` line, `expiry iaid ip hostname duid` lines for IPv6.
 */
export function parseDnsmasqLeases(text: string): DnsmasqLease[] {
  const leases: DnsmasqLease[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[0] === 'duid') continue;
    const lease: DnsmasqLease = { expiryTime: Number(f[0]), ip: f[2]! };
    if (f[2]!.includes(':')) lease.iaid = f[1];
    else lease.mac = f[1]!.toLowerCase();
    if (f[3] !== '*') lease.hostname = f[3];
    if (f[4] !== undefined && f[4] !== '*') lease.clientId = f[4];
    leases.push(lease);
  }
  return leases;
}
