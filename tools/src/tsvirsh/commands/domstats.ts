/**
 * `domstats`: the statistics of some or all domains in one call (virConnectGetAllDomainStats),
 * printed as virsh prints them: `Domain: 'NAME'`, then one `  key=value` line per
 * parameter, records separated by a blank line.
 */
import {
  getAllDomainStats,
  type DomainListFlags,
  type DomainStatsGroup,
  type DomainStatsRecord,
  type DomainStatsStateFilter,
} from '@tsvirt/client';
import type { CommandDecl, OptionDecl } from '../command.js';
import { CommandError } from '../errors.js';
import { describeError, domainArg } from './domain.js';

/** The group options, in virsh's order, with the group each asks for. */
const GROUP_OPTIONS: ReadonlyArray<{ name: DomainStatsGroup; help: string }> = [
  { name: 'state', help: 'report domain state' },
  { name: 'cpu-total', help: 'report domain physical cpu usage' },
  { name: 'balloon', help: 'report domain balloon statistics' },
  { name: 'vcpu', help: 'report domain virtual cpu information' },
  { name: 'interface', help: 'report domain network interface information' },
  { name: 'block', help: 'report domain block device statistics' },
];

const LIST_FLAG_OPTIONS: ReadonlyArray<{ name: string; flag: keyof DomainListFlags; help: string }> = [
  { name: 'list-active', flag: 'active', help: 'list only active domains' },
  { name: 'list-inactive', flag: 'inactive', help: 'list only inactive domains' },
  { name: 'list-persistent', flag: 'persistent', help: 'list only persistent domains' },
  { name: 'list-transient', flag: 'transient', help: 'list only transient domains' },
];

const STATE_OPTIONS: ReadonlyArray<{ name: string; state: DomainStatsStateFilter; help: string }> = [
  { name: 'list-running', state: 'running', help: 'list only running domains' },
  { name: 'list-paused', state: 'paused', help: 'list only paused domains' },
  { name: 'list-shutoff', state: 'shutoff', help: 'list only shutoff domains' },
  { name: 'list-other', state: 'other', help: 'list only domains in other states' },
];

const bool = (name: string, help: string): OptionDecl => ({ name, type: 'bool', help });

/** One record as virsh prints it, values as virTypedParameterToString gives them. */
export function formatStatsRecord(record: DomainStatsRecord): string {
  const lines = Object.entries(record.params).map(([key, value]) => {
    const text = typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value);
    return `  ${key}=${text}\n`;
  });
  return `Domain: '${record.domain.name}'\n${lines.join('')}`;
}

/** virsh separates records with a blank line; the one after the last is the usual one after a command (not with -q). */
export function formatStatsRecords(records: readonly DomainStatsRecord[]): string {
  return records.map(formatStatsRecord).join('\n');
}

const domstats: CommandDecl = {
  name: 'domstats',
  group: 'monitor',
  summary: 'get statistics about one or multiple domains',
  description: 'Gets statistics about one or more (or all) domains',
  options: [
    ...GROUP_OPTIONS.map((g) => bool(g.name, g.help)),
    ...LIST_FLAG_OPTIONS.map((o) => bool(o.name, o.help)),
    ...STATE_OPTIONS.map((o) => bool(o.name, o.help)),
    bool('raw', 'do not pretty-print the fields'),
    // Every group this daemon offers is supported, so enforcing changes nothing.
    bool('enforce', 'enforce requested stats parameters'),
    // Disks have no backing chain here (none is ever opened), so there is nothing to add.
    bool('backing', 'add backing chain information to block stats'),
    // Nothing here waits on a busy job: every stat is read at once already.
    bool('nowait', 'report only stats that are accessible instantly'),
    { name: 'domain', type: 'string', positional: true, variadic: true, help: 'list of domains to get stats for' },
  ],
  async run({ args, out, connection }) {
    const groups = GROUP_OPTIONS.filter((g) => args.bool(g.name)).map((g) => g.name);
    const flags: DomainListFlags = {};
    for (const option of LIST_FLAG_OPTIONS) if (args.bool(option.name)) flags[option.flag] = true;
    const states = STATE_OPTIONS.filter((o) => args.bool(o.name)).map((o) => o.state);
    const conn = await connection();
    const uuids: string[] = [];
    for (const text of args.list('domain')) uuids.push((await domainArg(conn, text)).uuid);
    let records: DomainStatsRecord[];
    try {
      records = await getAllDomainStats(conn, {
        ...(uuids.length > 0 ? { uuids } : {}),
        ...(groups.length > 0 ? { groups } : {}),
        ...(Object.keys(flags).length > 0 ? { flags } : {}),
        ...(states.length > 0 ? { states } : {}),
      });
    } catch (err) {
      throw new CommandError(describeError(err));
    }
    out.print(formatStatsRecords(records));
  },
};

export const domstatsCommands: CommandDecl[] = [domstats];
