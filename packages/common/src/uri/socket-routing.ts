/** The one decision of where a URI connects: which socket, which mode, and whether to autostart. */
import { ErrorCode, ErrorDomain } from '../errors/error-codes.js';
import { VirError } from '../errors/vir-error.js';
import { DRIVER_DAEMON, type DaemonName, type SocketKind } from '../protocol/daemons.js';
import { assertSocketPathFits, resolvePaths, rootFromEnv, type DaemonMode } from '../daemon/paths.js';
import { formatURI, isLocalURI, quoteURI, type ParsedURI } from './parse-uri.js';

/** @since 0.1.0 */
export interface RouteOptions {
  uri: ParsedURI;
  /** The daemon to reach; need not be the URI's own, since the client talks to every daemon of the split. */
  daemon: DaemonName;
  kind: SocketKind;
  env: Record<string, string | undefined>;
  home: string;
  uid: number;
}

/** @since 0.1.0 */
export interface Route {
  path: string;
  mode: DaemonMode;
  /** Whether the client may start the daemon itself when nothing answers on `path`. */
  autostart: boolean;
}

/** @since 0.1.0 */
export function daemonForURI(uri: ParsedURI): DaemonName {
  // hasOwn: a driver named `constructor` must not resolve through Object.prototype.
  const daemon = Object.hasOwn(DRIVER_DAEMON, uri.driver) ? DRIVER_DAEMON[uri.driver] : undefined;
  if (daemon === undefined) {
    throw new VirError(ErrorCode.NO_CONNECT, ErrorDomain.URI, `no driver for URI ${quoteURI(formatURI(uri))}`, {
      str1: uri.driver,
    });
  }
  return daemon;
}

/** @since 0.1.0 */
export function routeURI(opts: RouteOptions): Route {
  const { uri, daemon, kind } = opts;
  const text = formatURI(uri);
  if (!isLocalURI(uri)) {
    throw new VirError(
      ErrorCode.OPERATION_UNSUPPORTED,
      ErrorDomain.REMOTE,
      `remote URI ${quoteURI(text)} needs virtproxyd, which is not implemented yet`,
      { str1: text },
    );
  }
  if (uri.path !== '/system' && uri.path !== '/session') {
    throw new VirError(
      ErrorCode.INVALID_ARG,
      ErrorDomain.URI,
      `unsupported URI path ${quoteURI(uri.path)} in ${quoteURI(text)}: use /system or /session`,
      { str1: text },
    );
  }
  const mode: DaemonMode = uri.path === '/system' ? 'system' : 'session';

  const socket = Object.hasOwn(uri.params, 'socket') ? uri.params.socket : undefined;
  // `?socket=` names the socket of the URI's own daemon only; the other daemons of the
  // split and every admin socket stay where the layout puts them.
  const ownDaemon = Object.hasOwn(DRIVER_DAEMON, uri.driver) && DRIVER_DAEMON[uri.driver] === daemon;
  if (socket !== undefined && ownDaemon && kind !== 'admin') {
    if (!socket.startsWith('/')) {
      throw new VirError(
        ErrorCode.INVALID_ARG,
        ErrorDomain.URI,
        `socket ${quoteURI(socket)} in ${quoteURI(text)} must be an absolute path`,
        { str1: text },
      );
    }
    assertSocketPathFits(socket);
    // An explicit socket means someone else runs that daemon; starting ours would not bind there.
    return { path: socket, mode, autostart: false };
  }

  const paths = resolvePaths({
    daemon,
    mode,
    root: rootFromEnv(opts.env),
    env: opts.env,
    home: opts.home,
    uid: opts.uid,
  });
  // Any explicit socket= turns autostart off for the whole connection, so a test
  // pointing at its own daemon never spawns stray session daemons for the rest.
  return { path: paths.sockets[kind], mode, autostart: mode === 'session' && socket === undefined };
}
