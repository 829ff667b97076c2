/**
 * virtqemud's links to the other daemons of its own instance (virtstoraged for volume disks,
 * virtnetworkd for network ports), reached over RPC through @tsvirt/client as any program
 * would: a daemon never imports another. One connection, opened on first need, closed after
 * a while unused; the client reopens its link when the daemon restarted meanwhile.
 */
import type { Logger } from 'pino';
import { ErrorCode, ErrorDomain, TransportError, VirError, open, type Connection } from '@tsvirt/client';

export type OpenDaemonConnection = () => Promise<Connection>;

/**
 * The `scheme` daemon of this virtqemud's own instance: the same mode and the same root, so
 * a `--root` daemon pair finds each other. A session URI lets the client autostart it, as
 * libvirt's session daemons start their siblings; a system one never does.
 */
export function siblingDaemonOpener(
  scheme: 'storage' | 'network',
  mode: 'system' | 'session',
  root: string | undefined,
): OpenDaemonConnection {
  const env = { ...process.env };
  if (root !== undefined) env.TSVIRT_ROOT = root;
  else delete env.TSVIRT_ROOT;
  return () => open(`${scheme}:///${mode}`, { env });
}

/**
 * How long a link stays open after its last use: long enough for a burst of starts to share
 * it, short enough not to keep an autostarted session daemon from idling out.
 */
export const SIBLING_IDLE_CLOSE_MS = 60_000;

export class SiblingDaemonLink {
  private connection: Promise<Connection> | undefined;
  private busy = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  /** `what` names the daemon in logs and errors: 'network daemon'. */
  constructor(
    private readonly what: string,
    private readonly openConnection: OpenDaemonConnection,
    private readonly log: Logger,
    private readonly idleCloseMs = SIBLING_IDLE_CLOSE_MS,
  ) {}

  /**
   * Runs `fn` on the connection; a link that dropped under it is reopened once, a daemon
   * that still does not answer is NO_CONNECT.
   */
  async use<T>(fn: (conn: Connection) => Promise<T>): Promise<T> {
    this.busy++;
    clearTimeout(this.idleTimer);
    try {
      try {
        return await fn(await this.get());
      } catch (err) {
        if (!(err instanceof TransportError)) throw err;
        this.log.warn({ err: err.message }, `${this.what} link dropped: reconnecting`);
      }
      try {
        return await fn(await this.get());
      } catch (err) {
        if (!(err instanceof TransportError)) throw err;
        throw new VirError(ErrorCode.NO_CONNECT, ErrorDomain.RPC, `the ${this.what} is not answering: ${err.message}`);
      }
    } finally {
      if (--this.busy === 0) {
        this.idleTimer = setTimeout(() => void this.close(), this.idleCloseMs);
        this.idleTimer.unref();
      }
    }
  }

  /** Closes the connection (daemon shutdown, or idle); the next use opens a new one. */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const pending = this.connection;
    this.connection = undefined;
    const conn = await pending?.catch(() => undefined);
    await conn?.close();
  }

  private get(): Promise<Connection> {
    if (!this.connection) {
      const opening = this.openConnection();
      this.connection = opening;
      // A daemon that was not there is asked again next time.
      opening.catch(() => {
        if (this.connection === opening) this.connection = undefined;
      });
    }
    return this.connection;
  }
}
