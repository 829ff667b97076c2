/**
 * The daemon's listening unix sockets: taken from systemd when activated, otherwise
 * created with the configured permissions. Created sockets are made under a tight
 * umask and only then opened up, so there is no moment when a 0600 socket is wider.
 */
import { chmodSync, chownSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname } from 'node:path';
import { ErrorCode, ErrorDomain } from '../errors/error-codes.js';
import { VirError } from '../errors/vir-error.js';
import type { SocketKind } from '../server/server-client.js';
import { listen } from './listen.js';

export interface SocketSpec {
  kind: SocketKind;
  path: string;
  /** Octal permission string from the config, e.g. "0666". */
  perms: string;
  group?: string;
}

export interface ListeningSocket {
  kind: SocketKind;
  server: Server;
  /** Path we created and must remove on exit; undefined for a socket systemd owns. */
  createdPath: string | undefined;
}

function groupId(name: string): number {
  const line = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .find((entry) => entry.split(':')[0] === name);
  const gid = line ? Number(line.split(':')[2]) : NaN;
  if (!Number.isInteger(gid)) {
    throw new VirError(ErrorCode.CONF_SYNTAX, ErrorDomain.CONF, `unix_sock_group: no group named '${name}'`);
  }
  return gid;
}

export async function adoptActivatedSocket(kind: SocketKind, fd: number): Promise<ListeningSocket> {
  const server = createServer();
  await listen(server, { fd });
  return { kind, server, createdPath: undefined };
}

/** Creates a socket at `spec.path`, replacing a leftover file: the caller holds the instance lock. */
export async function createListeningSocket(spec: SocketSpec, runDirMode: number): Promise<ListeningSocket> {
  mkdirSync(dirname(spec.path), { recursive: true, mode: runDirMode });
  rmSync(spec.path, { force: true });
  const server = createServer();
  const previousUmask = process.umask(0o077);
  try {
    await listen(server, spec.path);
  } catch (err) {
    throw new VirError(
      ErrorCode.SYSTEM_ERROR,
      ErrorDomain.RPC,
      `cannot listen on '${spec.path}': ${(err as Error).message}`,
    );
  } finally {
    process.umask(previousUmask);
  }
  if (spec.group) chownSync(spec.path, -1, groupId(spec.group));
  chmodSync(spec.path, parseInt(spec.perms, 8));
  return { kind: spec.kind, server, createdPath: spec.path };
}
