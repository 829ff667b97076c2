/**
 * The NETWORK argument of the network commands, looked up as virsh-network.c's
 * virshCommandOptNetworkBy does (a uuid when it has a uuid's length, then a name), and
 * network errors printed with libvirt's message prefixes.
 */
import {
  ErrorCode,
  VirError,
  lookupNetworkByName,
  lookupNetworkByUUID,
  type Connection,
  type NetworkRef,
} from '@tsvirt/client';
import type { CommandContext, OptionDecl } from '../command.js';
import { CommandError } from '../errors.js';
import { describeStorageError } from './storage-format.js';

const UUID_LENGTH = 36;

export const NETWORK_OPTION: OptionDecl = {
  name: 'network',
  type: 'string',
  required: true,
  positional: true,
  help: 'network name or uuid',
};

/** The prefixes of the codes only network calls fail with; the others as the storage and domain commands know them. */
const NETWORK_CODE_PREFIX: Partial<Record<number, string>> = {
  [ErrorCode.NO_NETWORK]: 'Network not found: ',
  [ErrorCode.NO_NETWORK_PORT]: 'network port not found: ',
};

/** A network call's error as virsh prints it: with the prefix of its code, never twice. */
export function describeNetworkError(err: unknown): string {
  if (err instanceof VirError) {
    const prefix = NETWORK_CODE_PREFIX[err.code];
    if (prefix !== undefined) return err.message.startsWith(prefix) ? err.message : `${prefix}${err.message}`;
  }
  return describeStorageError(err);
}

/** `error: <first>` then `error: <the reason>`. */
export function networkFailure(first: string, err: unknown): CommandError {
  return new CommandError(first, describeNetworkError(err));
}

/** Only "not found" lets the lookup by name follow the one by uuid; anything else is reported at once. */
const isNotFound = (err: unknown): boolean =>
  err instanceof VirError && (err.code === ErrorCode.NO_NETWORK || err.code === ErrorCode.INVALID_ARG);

/**
 * virshCommandOptNetworkBy: `text` as a uuid, then as a name. When no lookup was tried
 * (net-name of something that is not uuid-long) the failure is the one line alone.
 */
export async function lookupNetworkArg(
  conn: Connection,
  text: string,
  by: { uuid: boolean; name: boolean } = { uuid: true, name: true },
): Promise<NetworkRef> {
  const first = `failed to get network '${text}'`;
  let last: unknown;
  if (by.uuid && text.length === UUID_LENGTH) {
    try {
      return await lookupNetworkByUUID(conn, text);
    } catch (err) {
      if (!isNotFound(err)) throw networkFailure(first, err);
      last = err;
    }
  }
  if (by.name) {
    try {
      return await lookupNetworkByName(conn, text);
    } catch (err) {
      last = err;
    }
  }
  throw last === undefined ? new CommandError(first) : networkFailure(first, last);
}

/** The required NETWORK option of the command, looked up; `text` is the argument as typed. */
export async function networkOption(
  ctx: CommandContext,
  by?: { uuid: boolean; name: boolean },
): Promise<{ conn: Connection; network: NetworkRef; text: string }> {
  const conn = await ctx.connection();
  const text = ctx.args.string('network') ?? '';
  return { conn, network: await lookupNetworkArg(conn, text, by), text };
}
