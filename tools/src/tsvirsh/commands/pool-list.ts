/**
 * `pool-list` as virsh-pool.c's cmdPoolList: active pools by default, the state,
 * persistence, autostart and type filters, `--name`/`--uuid` lines, and the plain and
 * `--details` tables (sizes only for running pools, `-` otherwise), sorted by name.
 */
import {
  STORAGE_POOL_TYPES,
  StoragePoolState,
  getPoolAutostart,
  getPoolInfo,
  isPoolPersistent,
  listAllPools,
  type StoragePoolListFlags,
} from '@tsvirt/client';
import type { CommandDecl } from '../command.js';
import { CommandError } from '../errors.js';
import { formatTable } from './domain.js';
import { isRunning, storageFailure } from './pool.js';
import type { PoolRef } from './storage-args.js';
import { poolStateName, prettyCapacity } from './storage-format.js';

/** One pool's row; `details` adds persistence and sizes. */
interface PoolRow {
  pool: PoolRef;
  state: string;
  autostart: string;
  persistent: string;
  capacity: string;
  allocation: string;
  available: string;
}

type PoolType = (typeof STORAGE_POOL_TYPES)[number];

/** --type's comma-separated list, each a pool type libvirt knows. */
function parseTypes(text: string): PoolType[] {
  const types: PoolType[] = [];
  for (const word of text.split(',')) {
    if (word === '') continue;
    if (!(STORAGE_POOL_TYPES as readonly string[]).includes(word)) {
      throw new CommandError(`Invalid pool type '${word}'`);
    }
    types.push(word as PoolType);
  }
  return types;
}

/** virsh's vshStrcasecmp order of names. */
const byNameIgnoringCase = (a: PoolRef, b: PoolRef): number => {
  const x = a.name.toLowerCase();
  const y = b.name.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
};

export const poolList: CommandDecl = {
  name: 'pool-list',
  group: 'pool',
  summary: 'list pools',
  description: 'Returns list of pools.',
  options: [
    { name: 'inactive', type: 'bool', help: 'list inactive pools' },
    { name: 'all', type: 'bool', help: 'list inactive & active pools' },
    { name: 'transient', type: 'bool', help: 'list transient pools' },
    { name: 'persistent', type: 'bool', help: 'list persistent pools' },
    { name: 'autostart', type: 'bool', help: 'list pools with autostart enabled' },
    { name: 'no-autostart', type: 'bool', help: 'list pools with autostart disabled' },
    { name: 'type', type: 'string', help: 'only list pool of specified type(s) (if supported)' },
    { name: 'details', type: 'bool', help: 'display extended details for pools' },
    { name: 'uuid', type: 'bool', help: 'list UUID of active pools only' },
    { name: 'name', type: 'bool', help: 'list name of active pools only' },
  ],
  async run({ args, out, connection }) {
    const inactive = args.bool('inactive');
    const all = args.bool('all');
    if (all && inactive) throw new CommandError('Options --all and --inactive are mutually exclusive');
    const details = args.bool('details');
    const byUuid = args.bool('uuid');
    const byName = args.bool('name');
    if (details && byUuid) throw new CommandError('Options --details and --uuid are mutually exclusive');
    if (details && byName) throw new CommandError('Options --details and --name are mutually exclusive');
    const flags: StoragePoolListFlags = {};
    if (!all) {
      if (inactive) flags.inactive = true;
      else flags.active = true;
    }
    if (args.bool('autostart')) flags.autostart = true;
    if (args.bool('no-autostart')) flags.noAutostart = true;
    if (args.bool('persistent')) flags.persistent = true;
    if (args.bool('transient')) flags.transient = true;
    const typeText = args.string('type');
    if (typeText !== undefined) flags.types = parseTypes(typeText);

    const conn = await connection();
    let pools: PoolRef[];
    try {
      pools = await listAllPools(conn, flags);
    } catch (err) {
      throw storageFailure('Failed to list pools', err);
    }
    pools = [...pools].sort(byNameIgnoringCase);

    if (!details && (byUuid || byName)) {
      // cmdPoolList's "%-36s%c" and "%-20s\n"
      for (const pool of pools) {
        let line = '';
        if (byUuid) line += `${pool.uuid.padEnd(36)}${byName ? ' ' : '\n'}`;
        if (byName) line += `${pool.name.padEnd(20)}\n`;
        out.print(line);
      }
      return;
    }

    const rows: PoolRow[] = await Promise.all(
      pools.map(async (pool): Promise<PoolRow> => {
        const [autostart, persistent, info] = await Promise.all([
          getPoolAutostart(conn, pool.uuid),
          isPoolPersistent(conn, pool.uuid),
          getPoolInfo(conn, pool.uuid),
        ]);
        const running = isRunning(info.state);
        const size = (bytes: number): string => (running ? prettyCapacity(bytes) : '-');
        return {
          pool,
          // without --details virsh only says whether the pool is active
          state: details ? poolStateName(info.state) : info.state === StoragePoolState.INACTIVE ? 'inactive' : 'active',
          autostart: autostart ? 'yes' : 'no',
          persistent: persistent ? 'yes' : 'no',
          capacity: size(info.capacity),
          allocation: size(info.allocation),
          available: size(info.available),
        };
      }),
    );
    const table = details
      ? formatTable(
          ['Name', 'State', 'Autostart', 'Persistent', 'Capacity', 'Allocation', 'Available'],
          rows.map((r) => [r.pool.name, r.state, r.autostart, r.persistent, r.capacity, r.allocation, r.available]),
        )
      : formatTable(
          ['Name', 'State', 'Autostart'],
          rows.map((r) => [r.pool.name, r.state, r.autostart]),
        );
    // -q drops the header, as vshPrintExtra does
    out.extra(table.head);
    out.print(table.body);
  },
};
