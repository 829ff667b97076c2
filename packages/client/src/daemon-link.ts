/**
 * One live connection to one daemon socket, after the handshake. A Connection holds
 * one link per daemon it has needed so far.
 */
import { connect as netConnect } from 'node:net';
import {
  ClientSession,
  ErrorCode,
  ErrorDomain,
  PROTOCOL_VERSION,
  TSVIRT_VERSION,
  VirError,
  connectOpen,
  type KeepaliveOptions,
  type ResultOf,
} from '@tsvirt/common/client';

export type Handshake = ResultOf<typeof connectOpen>;

export interface LinkOptions {
  path: string;
  readonly: boolean;
  uri: string;
  keepalive: KeepaliveOptions;
  maxFrameSize?: number;
}

/** The client's features, offered in the handshake. */
export const CLIENT_FEATURES = ['keepalive', 'streams', 'events'];

/** Opens a unix socket; rejects with the errno error untouched so callers can decide. */
export function connectSocket(path: string): Promise<import('node:net').Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(path);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

export class DaemonLink {
  private constructor(
    readonly session: ClientSession,
    readonly handshake: Handshake,
    readonly path: string,
  ) {}

  static async open(options: LinkOptions): Promise<DaemonLink> {
    const socket = await connectSocket(options.path);
    const session = new ClientSession(socket, {
      keepalive: options.keepalive,
      ...(options.maxFrameSize ? { maxFrameSize: options.maxFrameSize } : {}),
    });
    try {
      const handshake = await session.call(connectOpen, {
        clientVersion: TSVIRT_VERSION,
        protocolVersion: PROTOCOL_VERSION,
        features: CLIENT_FEATURES,
        readonly: options.readonly,
        uri: options.uri,
      });
      // Never send what the daemon would refuse: it closes the connection on an oversized frame.
      session.channel.peerMaxFrameSize = handshake.maxFrameSize;
      if (options.readonly && !handshake.readonly) {
        throw new VirError(
          ErrorCode.RPC,
          ErrorDomain.RPC,
          `daemon ${handshake.daemon} did not honour the read-only request`,
        );
      }
      return new DaemonLink(session, handshake, options.path);
    } catch (err) {
      session.channel.destroy();
      throw err;
    }
  }

  get isClosed(): boolean {
    return this.session.isClosed;
  }

  close(): void {
    this.session.close();
  }
}
