/**
 * Accepts connections on a daemon's sockets and keeps the list of its clients.
 * Each socket kind has its own procedure table: the admin socket answers only
 * `admin.*` (and the handshake); the read-write and read-only sockets share the rest.
 */
import { EventEmitter } from 'node:events';
import type { Server, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { DaemonName } from '../protocol/daemons.js';
import type { ChannelOptions } from '../rpc/message-channel.js';
import { Dispatcher } from './dispatcher.js';
import type { ProcedureTable } from './procedure-table.js';
import { ServerClient, type SocketKind } from './server-client.js';

export interface RpcServerOptions {
  daemonName: DaemonName;
  mainTable: ProcedureTable;
  adminTable: ProcedureTable;
  channelOptions: (kind: SocketKind) => ChannelOptions;
  maxClients: () => number;
  log: Logger;
}

export interface RpcServerEvents {
  /** The client count changed; the idle timer listens to this. */
  clients: [number];
}

export class RpcServer extends EventEmitter<RpcServerEvents> {
  private readonly clients = new Map<number, ServerClient>();
  private readonly listeningServers: Server[] = [];
  private readonly mainDispatcher: Dispatcher;
  private readonly adminDispatcher: Dispatcher;
  private nextClientId = 1;

  constructor(private readonly options: RpcServerOptions) {
    super();
    this.mainDispatcher = new Dispatcher(options.mainTable, options.log);
    this.adminDispatcher = new Dispatcher(options.adminTable, options.log);
  }

  /** Serves connections arriving on `server` as clients of the given kind. */
  attach(server: Server, kind: SocketKind): void {
    this.listeningServers.push(server);
    server.on('connection', (socket) => this.accept(socket, kind));
    server.on('error', (err) => this.options.log.error({ err, socket: kind }, 'listening socket failed'));
  }

  get clientList(): ServerClient[] {
    return [...this.clients.values()];
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** True while any client has a call in flight or a stream open. */
  get busy(): boolean {
    for (const client of this.clients.values()) if (client.busy) return true;
    return false;
  }

  /** Stops listening and closes every client; resolves when the listeners have closed. */
  async close(): Promise<void> {
    const closing = this.listeningServers.map(
      (server) => new Promise<void>((resolve) => server.close(() => resolve())),
    );
    for (const client of this.clients.values()) client.close();
    await Promise.all(closing);
  }

  /** Serves an already connected stream (tests use in-memory duplexes). */
  accept(socket: Socket | Duplex, kind: SocketKind): ServerClient | undefined {
    const { log } = this.options;
    if (kind !== 'admin' && this.clients.size >= this.options.maxClients()) {
      log.warn({ socket: kind, limit: this.options.maxClients() }, 'too many clients: connection refused');
      socket.destroy();
      return undefined;
    }
    const id = this.nextClientId++;
    const dispatcher = kind === 'admin' ? this.adminDispatcher : this.mainDispatcher;
    const client = new ServerClient(
      id,
      this.options.daemonName,
      kind,
      socket,
      this.options.channelOptions(kind),
      dispatcher,
      log,
    );
    this.clients.set(id, client);
    client.channel.on('close', () => {
      this.clients.delete(id);
      this.emit('clients', this.clients.size);
    });
    log.debug({ client: id, socket: kind }, 'client connected');
    this.emit('clients', this.clients.size);
    return client;
  }
}
