/** Shared by the runtime tests: a handshaken session on a real socket, and the fixture daemon. */
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { PROTOCOL_VERSION, connectOpen } from '../src/protocol/connect.js';
import { ClientSession } from '../src/rpc/client-session.js';
import { spawnDaemon, type DaemonProcess, type SpawnDaemonOptions } from '../src/testing/daemon-process.js';

import { FIXTURE_DAEMON_SCRIPT } from '../src/testing/fixture-daemon.js';

export const FIXTURE_DAEMON = FIXTURE_DAEMON_SCRIPT;
export const FIXTURE_NAME = 'virtsecretd';

export function socketPaths(root: string, name = FIXTURE_NAME) {
  return {
    rw: join(root, 'run', `${name}-sock`),
    ro: join(root, 'run', `${name}-sock-ro`),
    admin: join(root, 'run', `${name}-admin-sock`),
    pid: join(root, 'run', `${name}.pid`),
    config: join(root, 'etc', `${name}.conf`),
  };
}

export function startFixture(
  root: string,
  args: string[] = [],
  extra: Partial<SpawnDaemonOptions> = {},
): Promise<DaemonProcess> {
  return spawnDaemon({
    script: FIXTURE_DAEMON,
    args: ['--session', ...args],
    root,
    waitForSocket: socketPaths(root).rw,
    ...extra,
  });
}

export function rawSocket(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

export async function openSession(path: string, readonly = false, keepaliveMs = 0): Promise<ClientSession> {
  const session = new ClientSession(await rawSocket(path), { keepalive: { intervalMs: keepaliveMs, count: 3 } });
  await session.call(connectOpen, { clientVersion: 'test', protocolVersion: PROTOCOL_VERSION, features: [], readonly });
  return session;
}
