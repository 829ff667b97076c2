/**
 * The POOL and VOL arguments of the storage commands, looked up as virsh does it
 * (virshCommandOptPoolBy, virshCommandOptVolBy): a pool by uuid then name; a volume by name
 * in `--pool`, then as a key, then as a path, each failure with virsh's `error:` lines.
 */
import {
  ErrorCode,
  VirError,
  isPoolActive,
  lookupPoolByName,
  lookupPoolByUUID,
  lookupVolumeByKey,
  lookupVolumeByName,
  lookupVolumeByPath,
  type Connection,
  type StoragePoolRef,
  type StorageVolRef,
} from '@tsvirt/client';
import type { CommandContext, OptionDecl } from '../command.js';
import { CommandError } from '../errors.js';
import { describeStorageError } from './storage-format.js';

export type PoolRef = StoragePoolRef;
export type VolRef = StorageVolRef;

const UUID_LENGTH = 36;

export const POOL_OPTION: OptionDecl = {
  name: 'pool',
  type: 'string',
  required: true,
  positional: true,
  help: 'pool name or uuid',
};

/** `--pool` where it only narrows a VOL lookup (vol-info, vol-delete, ...). */
export const OPTIONAL_POOL_OPTION: OptionDecl = { name: 'pool', type: 'string', help: 'pool name or uuid' };

export const VOL_OPTION: OptionDecl = {
  name: 'vol',
  type: 'string',
  required: true,
  positional: true,
  help: 'vol name, key or path',
};

/** `failed to get ...` alone, or followed by the error of the last lookup, as virsh prints them. */
function lookupFailure(first: string, err: unknown): CommandError {
  return err === undefined ? new CommandError(first) : new CommandError(first, describeStorageError(err));
}

/** Only "not found" errors let the next way of looking up be tried; anything else is reported at once. */
function isNotFound(err: unknown): boolean {
  return (
    err instanceof VirError &&
    (err.code === ErrorCode.NO_STORAGE_POOL ||
      err.code === ErrorCode.NO_STORAGE_VOL ||
      err.code === ErrorCode.INVALID_ARG)
  );
}

/** virshCommandOptPoolBy: `text` as a uuid (when it has a uuid's length), then as a name. */
export async function lookupPool(
  conn: Connection,
  text: string,
  by: { uuid: boolean; name: boolean } = { uuid: true, name: true },
): Promise<PoolRef> {
  let last: unknown;
  if (by.uuid && text.length === UUID_LENGTH) {
    try {
      return await lookupPoolByUUID(conn, text);
    } catch (err) {
      if (!isNotFound(err)) throw lookupFailure(`failed to get pool '${text}'`, err);
      last = err;
    }
  }
  if (by.name) {
    try {
      return await lookupPoolByName(conn, text);
    } catch (err) {
      last = err;
    }
  }
  throw lookupFailure(`failed to get pool '${text}'`, last);
}

/** The required POOL option of the command, looked up. */
export async function poolOption(
  ctx: CommandContext,
  by?: { uuid: boolean; name: boolean },
): Promise<{ conn: Connection; pool: PoolRef; text: string }> {
  const conn = await ctx.connection();
  const text = ctx.args.string('pool') ?? '';
  return { conn, pool: await lookupPool(conn, text, by), text };
}

/**
 * virshCommandOptVolBy: with a pool, the name in that (active) pool first; then `text` as a
 * key and as a path in any pool. A volume found by key or path in another pool than the
 * one given is refused.
 */
export async function lookupVol(
  conn: Connection,
  text: string,
  poolText: string | undefined,
  options: { byName: boolean; poolOption: string | undefined } = { byName: true, poolOption: 'pool' },
): Promise<VolRef> {
  let pool: PoolRef | undefined;
  if (poolText !== undefined) {
    pool = await lookupPool(conn, poolText);
    if (!(await isPoolActive(conn, pool.uuid))) throw new CommandError(`pool '${poolText}' is not active`);
  }
  let vol: VolRef | undefined;
  let last: unknown;
  const attempts: Array<() => Promise<VolRef>> = [];
  if (pool && options.byName) {
    const poolName = pool.name;
    attempts.push(() => lookupVolumeByName(conn, poolName, text));
  }
  attempts.push(() => lookupVolumeByKey(conn, text));
  attempts.push(() => lookupVolumeByPath(conn, text));
  for (const attempt of attempts) {
    try {
      vol = await attempt();
      break;
    } catch (err) {
      if (!isNotFound(err)) throw lookupFailure(`failed to get vol '${text}'`, err);
      last = err;
    }
  }
  if (!vol) {
    const first =
      pool || options.poolOption === undefined
        ? `failed to get vol '${text}'`
        : `failed to get vol '${text}', specifying --${options.poolOption} might help`;
    throw lookupFailure(first, last);
  }
  if (pool && vol.pool !== pool.name)
    throw new CommandError(`Requested volume '${text}' is not in pool '${pool.name}'`);
  return vol;
}

/** The VOL option of the command (and its optional --pool), looked up. */
export async function volOption(ctx: CommandContext): Promise<{ conn: Connection; vol: VolRef; text: string }> {
  const conn = await ctx.connection();
  const text = ctx.args.string('vol') ?? '';
  return { conn, vol: await lookupVol(conn, text, ctx.args.string('pool')), text };
}
