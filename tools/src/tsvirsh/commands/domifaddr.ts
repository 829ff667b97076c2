/**
 * `domifaddr`: the IP addresses of a running domain's interfaces (virDomainInterfaceAddresses),
 * printed as virsh's cmdDomIfAddr prints them: a header and a dashes line (left out with -q),
 * then one row per address, the name and MAC shown on an interface's first row only unless
 * `--full`, and N/A for an interface without addresses.
 */
import { getDomainInterfaceAddresses, type DomainInterface, type DomainInterfaceAddressSource } from '@tsvirt/client';
import type { CommandDecl } from '../command.js';
import { CommandError } from '../errors.js';
import { describeError, domainArg } from './domain.js';

const SOURCES: readonly DomainInterfaceAddressSource[] = ['lease', 'agent', 'arp'];

/** virsh's header, `%-10s %-20s %-8s     %s` then 79 dashes. */
export const DOMIFADDR_HEADER = ` ${'Name'.padEnd(10)} ${'MAC address'.padEnd(20)} ${'Protocol'.padEnd(8)}     Address\n${'-'.repeat(79)}\n`;

/** The rows (no header) of the interfaces named `only` (all if undefined). */
export function formatInterfaceRows(
  interfaces: readonly DomainInterface[],
  options: { only?: string | undefined; full?: boolean } = {},
): string {
  let text = '';
  for (const iface of interfaces) {
    if (options.only !== undefined && options.only !== iface.name) continue;
    if (iface.addrs.length === 0) {
      text += ` ${iface.name.padEnd(10)} ${(iface.hwaddr ?? 'N/A').padEnd(17)}    ${'N/A'.padEnd(12)} N/A\n`;
      continue;
    }
    iface.addrs.forEach((a, i) => {
      const address = `${(a.type === 1 ? 'ipv6' : 'ipv4').padEnd(12)} ${a.addr}/${a.prefix}`;
      const [name, mac] = options.full || i === 0 ? [iface.name, iface.hwaddr ?? ''] : ['-', '-'];
      text += ` ${name.padEnd(10)} ${mac.padEnd(17)}    ${address}\n`;
    });
  }
  return text;
}

export const domifaddrCommand: CommandDecl = {
  name: 'domifaddr',
  group: 'monitor',
  summary: "Get network interfaces' addresses for a running domain",
  description: "Get network interfaces' addresses for a running domain",
  options: [
    { name: 'domain', type: 'string', required: true, positional: true, help: 'domain name, id or uuid' },
    { name: 'interface', type: 'string', positional: true, help: 'network interface name' },
    { name: 'full', type: 'bool', help: 'always display names and MACs of interfaces' },
    { name: 'source', type: 'string', help: "address source: 'lease', 'agent', or 'arp'" },
  ],
  async run({ args, out, connection }) {
    const conn = await connection();
    const dom = await domainArg(conn, args.string('domain') ?? '');
    const given = args.string('source');
    const source = given === undefined ? 'lease' : SOURCES.find((s) => s === given);
    if (source === undefined) throw new CommandError(`Unknown data source '${given}'`);
    let interfaces: DomainInterface[];
    try {
      interfaces = await getDomainInterfaceAddresses(conn, dom.uuid, source);
    } catch (err) {
      throw new CommandError('Failed to query for interfaces addresses', describeError(err));
    }
    out.extra(DOMIFADDR_HEADER);
    out.print(formatInterfaceRows(interfaces, { only: args.string('interface'), full: args.bool('full') }));
  },
};
