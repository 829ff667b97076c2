/**
 * `net-dhcp-leases` as virsh-network.c's cmdNetworkDHCPLeases: the network's leases sorted
 * by MAC, each with its expiry in local time, its address with the prefix, and `-` for what
 * the lease does not have.
 */
import { IPAddrType, getNetworkDHCPLeases, type NetworkDHCPLease } from '@tsvirt/client';
import type { CommandDecl } from '../command.js';
import { formatTable } from './domain.js';
import { NETWORK_OPTION, networkFailure, networkOption } from './network-args.js';

const two = (n: number): string => String(n).padStart(2, '0');

/** g_date_time_format(g_date_time_new_from_unix_local(t), "%Y-%m-%d %H:%M:%S"). */
export function localExpiryTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  return (
    `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
  );
}

/** virshNetworkDHCPLeaseSorter: vshStrcasecmp of the MACs. */
const byMacIgnoringCase = (a: NetworkDHCPLease, b: NetworkDHCPLease): number => {
  const x = (a.mac ?? '').toLowerCase();
  const y = (b.mac ?? '').toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
};

const PROTOCOL: Record<number, string> = { [IPAddrType.IPV4]: 'ipv4', [IPAddrType.IPV6]: 'ipv6' };

/** One table row, as the command prints it. */
export function leaseRow(lease: NetworkDHCPLease): string[] {
  return [
    localExpiryTime(lease.expirytime),
    lease.mac ?? '-',
    PROTOCOL[lease.type] ?? '-',
    `${lease.ipaddr}/${lease.prefix}`,
    lease.hostname ?? '-',
    lease.clientid ?? '-',
  ];
}

export const networkDhcpLeases: CommandDecl = {
  name: 'net-dhcp-leases',
  group: 'network',
  summary: 'print lease info for a given network',
  description: 'Print lease info for a given network',
  options: [NETWORK_OPTION, { name: 'mac', type: 'string', help: 'MAC address' }],
  async run(ctx) {
    const { conn, network, text } = await networkOption(ctx);
    let leases: NetworkDHCPLease[];
    try {
      leases = await getNetworkDHCPLeases(conn, network.uuid, ctx.args.string('mac'));
    } catch (err) {
      throw networkFailure(`Failed to get leases info for ${text}`, err);
    }
    const table = formatTable(
      ['Expiry Time', 'MAC address', 'Protocol', 'IP address', 'Hostname', 'Client ID or DUID'],
      [...leases].sort(byMacIgnoringCase).map(leaseRow),
    );
    // -q drops the header, as vshTablePrintToStdout does
    ctx.out.extra(table.head);
    ctx.out.print(table.body);
  },
};
