/**
 * `net-list` as virsh-network.c's cmdNetworkList: active networks by default (`--all` wins
 * over `--inactive`), the persistence and autostart filters, one of `--table` (the default),
 * `--name` or `--uuid`, sorted by name.
 */
import {
  getNetworkAutostart,
  isNetworkActive,
  isNetworkPersistent,
  listAllNetworks,
  type NetworkListFlags,
  type NetworkRef,
} from '@tsvirt/client';
import type { CommandDecl } from '../command.js';
import { CommandError } from '../errors.js';
import { formatTable } from './domain.js';
import { networkFailure } from './network-args.js';

/** virsh's vshStrcasecmp order of names. */
const byNameIgnoringCase = (a: NetworkRef, b: NetworkRef): number => {
  const x = a.name.toLowerCase();
  const y = b.name.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
};

export const networkList: CommandDecl = {
  name: 'net-list',
  group: 'network',
  summary: 'list networks',
  description: 'Returns list of networks.',
  options: [
    { name: 'inactive', type: 'bool', help: 'list inactive networks' },
    { name: 'all', type: 'bool', help: 'list inactive & active networks' },
    { name: 'persistent', type: 'bool', help: 'list persistent networks' },
    { name: 'transient', type: 'bool', help: 'list transient networks' },
    { name: 'autostart', type: 'bool', help: 'list networks with autostart enabled' },
    { name: 'no-autostart', type: 'bool', help: 'list networks with autostart disabled' },
    { name: 'uuid', type: 'bool', help: "list uuid's only" },
    { name: 'name', type: 'bool', help: 'list network names only' },
    { name: 'table', type: 'bool', help: 'list table (default)' },
  ],
  async run({ args, out, connection }) {
    const byName = args.bool('name');
    const byUuid = args.bool('uuid');
    if (Number(args.bool('table')) + Number(byName) + Number(byUuid) > 1) {
      throw new CommandError('Only one argument from --table, --name and --uuid may be specified.');
    }
    const flags: NetworkListFlags = {};
    if (!args.bool('all')) {
      if (args.bool('inactive')) flags.inactive = true;
      else flags.active = true;
    }
    if (args.bool('persistent')) flags.persistent = true;
    if (args.bool('transient')) flags.transient = true;
    if (args.bool('autostart')) flags.autostart = true;
    if (args.bool('no-autostart')) flags.noAutostart = true;

    const conn = await connection();
    let networks: NetworkRef[];
    try {
      networks = await listAllNetworks(conn, flags);
    } catch (err) {
      throw networkFailure('Failed to list networks', err);
    }
    networks = [...networks].sort(byNameIgnoringCase);

    if (byUuid || byName) {
      out.print(networks.map((n) => `${byUuid ? n.uuid : n.name}\n`).join(''));
      return;
    }
    const rows = await Promise.all(
      networks.map(async (n): Promise<string[]> => {
        const [active, persistent, autostart] = await Promise.all([
          isNetworkActive(conn, n.uuid),
          isNetworkPersistent(conn, n.uuid),
          getNetworkAutostart(conn, n.uuid).then(
            (yes) => (yes ? 'yes' : 'no'),
            () => 'no autostart',
          ),
        ]);
        return [n.name, active ? 'active' : 'inactive', autostart, persistent ? 'yes' : 'no'];
      }),
    );
    const table = formatTable(['Name', 'State', 'Autostart', 'Persistent'], rows);
    // -q drops the header, as vshTablePrintToStdout does
    out.extra(table.head);
    out.print(table.body);
  },
};
