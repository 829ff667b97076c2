/**
 * Test support: start a daemon package's real binary in a throw-away root, ask it the
 * `connect.*` questions over its read-write and read-only sockets, and stop it. Each
 * daemon package's own test asserts the answers for that daemon.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  PROTOCOL_VERSION,
  connectGetFeatures,
  connectGetURI,
  connectGetVersion,
  connectOpen,
} from '../protocol/connect.js';
import type { DaemonName } from '../protocol/daemons.js';
import { ClientSession } from '../rpc/client-session.js';
import { makeTempRoot, removeTempRoot, spawnNamedDaemon } from './daemon-process.js';

export interface ConnectAnswers {
  uri: string;
  type: string;
  version: number;
  features: string[];
  /** What the read-only socket's handshake said about the connection. */
  readonlyHandshake: boolean;
}

async function session(path: string, readonly: boolean): Promise<{ session: ClientSession; readonly: boolean }> {
  const socket = connect(path);
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const client = new ClientSession(socket);
  const opened = await client.call(connectOpen, {
    clientVersion: 'smoke',
    protocolVersion: PROTOCOL_VERSION,
    features: [],
    readonly,
  });
  return { session: client, readonly: opened.readonly };
}

export async function askDaemonConnectQuestions(daemon: DaemonName): Promise<ConnectAnswers> {
  const root = makeTempRoot();
  const running = await spawnNamedDaemon(daemon, root);
  try {
    const rw = await session(join(root, 'run', `${daemon}-sock`), false);
    const ro = await session(join(root, 'run', `${daemon}-sock-ro`), false);
    const { uri } = await rw.session.call(connectGetURI, {});
    const { type, version } = await ro.session.call(connectGetVersion, {});
    const { features } = await rw.session.call(connectGetFeatures, {});
    rw.session.close();
    ro.session.close();
    return { uri, type, version, features, readonlyHandshake: ro.readonly };
  } finally {
    await running.stop();
    removeTempRoot(root);
  }
}
