/** NetworkDef → XML as `virsh net-dumpxml` prints it (libvirt's virNetworkDefFormat order and attribute order). */
import { XmlWriter, yesNo } from '@tsvirt/common/xml';
import type { DhcpHost, DnsHost, NetworkDef, NetworkDns, NetworkForward, NetworkIp } from './network-def.js';

export interface NetworkFormatOptions {
  /** net-dumpxml --inactive: the persistent definition; tsvirt's model has no live-only fields yet. */
  inactive?: boolean;
}

function writeForward(w: XmlWriter, forward: NetworkForward): void {
  w.block(
    'forward',
    [
      ['dev', forward.dev],
      ['mode', forward.mode],
    ],
    () => {
      const nat = forward.nat;
      if (nat && (nat.addressStart !== undefined || nat.portStart !== undefined)) {
        w.block('nat', [], () => {
          if (nat.addressStart !== undefined)
            w.empty('address', [
              ['start', nat.addressStart],
              ['end', nat.addressEnd],
            ]);
          if (nat.portStart !== undefined)
            w.empty('port', [
              ['start', nat.portStart],
              ['end', nat.portEnd],
            ]);
        });
      }
      // libvirt lists the forward device again as the pool of usable interfaces.
      if (forward.dev !== undefined) w.empty('interface', [['dev', forward.dev]]);
    },
  );
}

/** libvirt prints stp/delay (defaults on/0) whenever it manages the bridge itself (every mode but 'bridge'). */
function writeBridge(w: XmlWriter, def: NetworkDef): void {
  const managed = def.forward?.mode !== 'bridge';
  if (!managed && def.bridge?.name === undefined) return;
  w.empty('bridge', [
    ['name', def.bridge?.name],
    ['stp', managed ? (def.bridge?.stp === false ? 'off' : 'on') : undefined],
    ['delay', managed ? (def.bridge?.delay ?? 0) : undefined],
  ]);
}

export function formatDnsHost(w: XmlWriter, host: DnsHost): void {
  w.block('host', [['ip', host.ip]], () => {
    for (const name of host.hostnames) w.text('hostname', name);
  });
}

function writeDns(w: XmlWriter, dns: NetworkDns): void {
  w.block('dns', [['enable', yesNo(dns.enable)]], () => {
    for (const f of dns.forwarders)
      w.empty('forwarder', [
        ['domain', f.domain],
        ['addr', f.addr],
      ]);
    for (const host of dns.hosts) formatDnsHost(w, host);
  });
}

export function formatDhcpHost(w: XmlWriter, host: DhcpHost): void {
  w.empty('host', [
    ['mac', host.mac],
    ['name', host.name],
    ['ip', host.ip],
  ]);
}

function writeIp(w: XmlWriter, ip: NetworkIp): void {
  const attrs: Array<[string, string | number | undefined]> = [
    ['family', ip.family === 'ipv6' ? 'ipv6' : undefined],
    ['address', ip.address],
  ];
  if (ip.netmask !== undefined) attrs.push(['netmask', ip.netmask]);
  else attrs.push(['prefix', ip.prefix]);
  // libvirt never collapses <ip> to a self-closing element, even without children.
  w.open('ip', attrs);
  const dhcp = ip.dhcp;
  if (dhcp) {
    w.block('dhcp', [], () => {
      for (const r of dhcp.ranges)
        w.empty('range', [
          ['start', r.start],
          ['end', r.end],
        ]);
      for (const host of dhcp.hosts) formatDhcpHost(w, host);
    });
  }
  w.close('ip');
}

export function formatNetworkDef(def: NetworkDef, _options: NetworkFormatOptions = {}): string {
  const w = new XmlWriter();
  w.open('network');
  w.text('name', def.name);
  if (def.uuid !== undefined) w.text('uuid', def.uuid);
  if (def.forward) writeForward(w, def.forward);
  writeBridge(w, def);
  if (def.mtu !== undefined) w.empty('mtu', [['size', def.mtu]]);
  if (def.mac !== undefined) w.empty('mac', [['address', def.mac]]);
  if (def.domain)
    w.empty('domain', [
      ['name', def.domain.name],
      ['localOnly', yesNo(def.domain.localOnly)],
    ]);
  if (def.dns) writeDns(w, def.dns);
  def.ips.forEach((ip) => writeIp(w, ip));
  w.close('network');
  return w.toString();
}
