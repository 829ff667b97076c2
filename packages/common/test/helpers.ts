/** Shared by the runtime tests: a handshaken session on a real socket, and the fixture daemon. */
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROTOCOL_VERSION, connectOpen } from '../src/protocol/connect.js';
import { ClientSession } from '../src/rpc/client-session.js';
import { spawnDaemon, type DaemonProcess, type SpawnDaemonOptions } from '../src/testing/daemon-process.js';

export const FIXTURE_DAEMON = fileURLToPath(new URL('./fixtures/fixture-daemon.js', import.meta.url));
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

export function startFixture(root: string, args: string[] = [], extra: Partial<SpawnDaemonOptions> = {}): Promise<DaemonProcess> {
  return spawnDaemon({
    script: FIXTURE_DAEMON,
    args: ['--session', ...args],
    root,
    waitForSocket: socketPaths(root).rw,
    ...extra,
  });
}

export function rawSocket(path: string): Promise<import('node:net').Socket> {
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
