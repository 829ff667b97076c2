/**
 * A Connection to a tsvirt URI. It hides the split into daemons: each call goes to
 * the daemon that owns its procedure, over a link opened the first time that daemon
 * is needed. A daemon that cannot be reached fails its own subsystem's calls only.
 */
import { homedir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DAEMON_SUBSYSTEM,
  ErrorCode,
  ErrorDomain,
  TransportError,
  VirError,
  connectClose,
  connectEventDeregister,
  connectEventRegister,
  connectGetFeatures,
  connectGetHostname,
  connectGetLibVersion,
  connectGetURI,
  connectGetVersion,
  daemonForURI,
  formatURI,
  parseURI,
  resolvePaths,
  rootFromEnv,
  routeURI,
  type ArgsOf,
  type DaemonName,
  type EventDataOf,
  type EventDecl,
  type KeepaliveOptions,
  type ParsedURI,
  type ProcedureDecl,
  type ResultOf,
  type RpcStream,
  type SocketKind,
} from '@tsvirt/common/client';
import { launchSessionDaemon } from './daemon-launcher.js';
import { DaemonLink } from './daemon-link.js';
import { defaultURI } from './default-uri.js';
import { EventQueue } from './event-queue.js';

export interface OpenOptions {
  /** Connect to the read-only sockets: only read-only procedures will be allowed. */
  readonly?: boolean;
  /** Start a session daemon that is not running (default true for `/session` URIs). */
  autostart?: boolean;
  /** Keepalive towards the daemons; default 5 s interval, 5 missed pings. */
  keepalive?: KeepaliveOptions;
  /** How long to wait for an autostarted daemon's socket; default 10 s. */
  autostartTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** A live event subscription; `close()` cancels it. */
export interface Subscription {
  close(): Promise<void>;
}

const DEFAULT_KEEPALIVE: KeepaliveOptions = { intervalMs: 5000, count: 5 };
/** How long to keep trying after our autostarted daemon exited, in case it lost a start race. */
const AUTOSTART_RACE_GRACE_MS = 1000;
/** errno codes that mean "nobody is listening there", as opposed to a real failure. */
const NOT_LISTENING = new Set(['ENOENT', 'ECONNREFUSED']);

export class Connection {
  readonly uri: ParsedURI;
  readonly readonly: boolean;
  /** The daemon that answers the URI's own driver, and the `connect.*` calls. */
  readonly primaryDaemon: DaemonName;
  private readonly links = new Map<DaemonName, Promise<DaemonLink>>();
  private readonly subscriptions = new Set<Subscription>();
  private closed = false;

  private constructor(
    uri: ParsedURI,
    private readonly options: OpenOptions,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.uri = uri;
    this.readonly = options.readonly ?? false;
    this.primaryDaemon = daemonForURI(uri);
  }

  /** Opens a connection and completes the handshake with the URI's own daemon. */
  static async open(uriText?: string, options: OpenOptions = {}): Promise<Connection> {
    const env = options.env ?? process.env;
    const uri = parseURI(uriText ?? defaultURI(env, process.getuid?.() ?? 0));
    const connection = new Connection(uri, options, env);
    await connection.link(connection.primaryDaemon);
    return connection;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Calls any declared procedure on the daemon that owns it. */
  async call<P extends ProcedureDecl>(procedure: P, args: ArgsOf<P>): Promise<ResultOf<P>> {
    const link = await this.link(this.ownerOf(procedure));
    return link.session.call(procedure, args);
  }

  /** Calls a procedure that opens a data stream; the stream is a Node Duplex. */
  async callWithStream<P extends ProcedureDecl>(
    procedure: P,
    args: ArgsOf<P>,
  ): Promise<{ result: ResultOf<P>; stream: RpcStream }> {
    const link = await this.link(this.ownerOf(procedure));
    return link.session.callWithStream(procedure, args);
  }

  /** Calls `listener` for every event of this kind (optionally filtered, e.g. `{ uuid }`). */
  async subscribe<E extends EventDecl>(
    event: E,
    listener: (data: EventDataOf<E>) => void,
    filter?: Record<string, string>,
  ): Promise<Subscription> {
    const link = await this.link(this.ownerOf(event));
    const { callbackId } = await link.session.call(connectEventRegister, {
      event: event.number,
      ...(filter ? { filter } : {}),
    });
    link.session.onEvent(callbackId, (_number, data) => listener(data as EventDataOf<E>));
    const subscription: Subscription = {
      close: async () => {
        if (!this.subscriptions.delete(subscription)) return;
        link.session.offEvent(callbackId);
        if (!link.isClosed) await link.session.call(connectEventDeregister, { callbackId });
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** The same events as an async iterator; breaking out of the loop cancels the subscription. */
  async events<E extends EventDecl>(
    event: E,
    filter?: Record<string, string>,
  ): Promise<AsyncIterableIterator<EventDataOf<E>>> {
    const queue = new EventQueue<EventDataOf<E>>();
    const subscription = await this.subscribe(event, (data) => queue.push(data), filter);
    const link = await this.link(this.ownerOf(event));
    link.session.onClose((error) => queue.end(error));
    queue.onReturn(() => void subscription.close());
    return queue;
  }

  /** Hypervisor type and libvirt-encoded version of the URI's driver (connect.getVersion). */
  async getVersion(): Promise<ResultOf<typeof connectGetVersion>> {
    return this.call(connectGetVersion, {});
  }

  /** libvirt-encoded version of tsvirt in the daemon. */
  async getLibVersion(): Promise<number> {
    return (await this.call(connectGetLibVersion, {})).version;
  }

  async getHostname(): Promise<string> {
    return (await this.call(connectGetHostname, {})).hostname;
  }

  /** The canonical URI, as the daemon states it (`qemu:///session`). */
  async getURI(): Promise<string> {
    return (await this.call(connectGetURI, {})).uri;
  }

  async getFeatures(): Promise<string[]> {
    return (await this.call(connectGetFeatures, {})).features;
  }

  /** Daemons this connection has reached so far, with their handshake answers. */
  async linkedDaemons(): Promise<Array<{ daemon: DaemonName; path: string; version: string }>> {
    const out = [];
    for (const [daemon, pending] of this.links) {
      const link = await pending.catch(() => undefined);
      if (link && !link.isClosed) out.push({ daemon, path: link.path, version: link.handshake.version });
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const links = await Promise.all([...this.links.values()].map((p) => p.catch(() => undefined)));
    this.links.clear();
    this.subscriptions.clear();
    await Promise.all(
      links.map(async (link) => {
        if (!link || link.isClosed) return;
        await link.session.call(connectClose, {}).catch(() => undefined);
        link.close();
      }),
    );
  }

  private ownerOf(item: { owner: DaemonName | 'any' }): DaemonName {
    return item.owner === 'any' ? this.primaryDaemon : item.owner;
  }

  /** The link to `daemon`, opened (and the daemon autostarted) on first use, reopened after it died. */
  private link(daemon: DaemonName): Promise<DaemonLink> {
    if (this.closed)
      return Promise.reject(new VirError(ErrorCode.INVALID_CONN, ErrorDomain.RPC, 'the connection is closed'));
    const existing = this.links.get(daemon);
    if (existing) {
      return existing.then((link) => {
        if (!link.isClosed) return link;
        this.links.delete(daemon);
        return this.link(daemon);
      });
    }
    const opening = this.openLink(daemon);
    this.links.set(daemon, opening);
    opening.catch(() => {
      if (this.links.get(daemon) === opening) this.links.delete(daemon);
    });
    return opening;
  }

  private async openLink(daemon: DaemonName): Promise<DaemonLink> {
    const kind: SocketKind = this.readonly ? 'ro' : 'rw';
    const uid = process.getuid?.() ?? 0;
    const route = routeURI({ uri: this.uri, daemon, kind, env: this.env, home: homedir(), uid });
    const linkOptions = {
      path: route.path,
      readonly: this.readonly,
      uri: formatURI(this.uri),
      keepalive: this.options.keepalive ?? DEFAULT_KEEPALIVE,
    };
    try {
      return await DaemonLink.open(linkOptions);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const canStart = route.autostart && (this.options.autostart ?? true);
      if (!code || !NOT_LISTENING.has(code)) throw this.describeFailure(daemon, route.path, err);
      if (!canStart) throw this.describeFailure(daemon, route.path, err);
    }
    const root = rootFromEnv(this.env);
    const paths = resolvePaths({
      daemon,
      mode: 'session',
      ...(root ? { root } : {}),
      env: this.env,
      home: homedir(),
      uid,
    });
    const launched = launchSessionDaemon({ daemon, env: this.env, logFile: paths.logFile });
    const deadline = Date.now() + (this.options.autostartTimeoutMs ?? 10_000);
    let exitedAt: number | undefined;
    for (;;) {
      try {
        return await DaemonLink.open(linkOptions);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (!code || !NOT_LISTENING.has(code) || Date.now() > deadline) {
          throw this.describeFailure(
            daemon,
            route.path,
            err,
            `autostarted ${daemon} did not answer; see '${paths.logFile}'`,
          );
        }
        // Our daemon may exit at once because another client's daemon won the start
        // race; that one answers within moments. Silence after that means it failed.
        const exitCode = launched.exited();
        if (exitCode !== null && exitCode !== 0) {
          exitedAt ??= Date.now();
          if (Date.now() - exitedAt > AUTOSTART_RACE_GRACE_MS) {
            throw this.describeFailure(
              daemon,
              route.path,
              err,
              `${daemon} exited with status ${exitCode}; see '${paths.logFile}'`,
            );
          }
        }
        await sleep(20);
      }
    }
  }

  private describeFailure(daemon: DaemonName, path: string, err: unknown, hint?: string): Error {
    if (err instanceof VirError || err instanceof TransportError) return err;
    const reason = err instanceof Error ? err.message : String(err);
    const subsystem = DAEMON_SUBSYSTEM[daemon];
    return new VirError(
      ErrorCode.NO_CONNECT,
      ErrorDomain.RPC,
      `the ${subsystem} daemon is not running: cannot connect to '${path}': ${reason}${hint ? ` (${hint})` : ''}`,
      { str1: daemon, str2: path },
    );
  }
}

/** Opens a connection to `uri` (the default URI when omitted). @since 0.1.0 */
export function open(uri?: string, options?: OpenOptions): Promise<Connection> {
  return Connection.open(uri, options);
}
