/**
 * virNetworkGetDHCPLeases: what the network's dnsmasq handed out, read from its lease file,
 * as libvirt reports it (unexpired leases only, the prefix of the `<ip>` the address is in).
 */
import { readFile } from 'node:fs/promises';
import { IPAddrType, type NetworkDHCPLease } from '@tsvirt/common/protocol';
import { familyOf, inSubnet, type NetworkDef } from '../conf/index.js';
import { parseDnsmasqLeases } from '../host/dnsmasq-config.js';
import { bridgeNameOf } from './host-plan.js';

export async function readNetworkLeases(
  def: NetworkDef,
  leaseFile: string,
  mac: string | undefined,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<NetworkDHCPLease[]> {
  const text = await readFile(leaseFile, 'utf8').catch(() => '');
  const wanted = mac?.toLowerCase();
  const out: NetworkDHCPLease[] = [];
  for (const lease of parseDnsmasqLeases(text)) {
    if (lease.expiryTime !== 0 && lease.expiryTime < nowSeconds) continue;
    if (wanted !== undefined && lease.mac !== wanted) continue;
    const family = familyOf(lease.ip);
    const ip = def.ips.find((i) => i.family === family && inSubnet(lease.ip, i.address, i.prefix, i.family));
    if (!ip) continue;
    const entry: NetworkDHCPLease = {
      iface: bridgeNameOf(def),
      expirytime: lease.expiryTime,
      type: family === 'ipv6' ? IPAddrType.IPV6 : IPAddrType.IPV4,
      ipaddr: lease.ip,
      prefix: ip.prefix,
    };
    if (lease.mac !== undefined) entry.mac = lease.mac;
    if (lease.iaid !== undefined) entry.iaid = lease.iaid;
    if (lease.hostname !== undefined) entry.hostname = lease.hostname;
    if (lease.clientId !== undefined) entry.clientid = lease.clientId;
    out.push(entry);
  }
  return out;
}
