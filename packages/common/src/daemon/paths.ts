/** Where a daemon keeps its sockets, state, config and logs: a pure function of mode, root and env. */
import { posix } from 'node:path';
import { ErrorCode, ErrorDomain } from '../errors/error-codes.js';
import { VirError } from '../errors/vir-error.js';
import type { DaemonName } from '../protocol/daemons.js';

/** @since 0.1.0 */
export type DaemonMode = 'system' | 'session';

/** @since 0.1.0 */
export interface DaemonPaths {
  mode: DaemonMode;
  /** Set only when a root override is in effect. */
  root?: string;
  runDir: string;
  stateDir: string;
  runStateDir: string;
  configDir: string;
  logDir: string;
  configFile: string;
  pidFile: string;
  sockets: { rw: string; ro: string; admin: string };
  logFile: string;
}

/** @since 0.1.0 */
export interface ResolvePathsOptions {
  daemon: DaemonName;
  mode: DaemonMode;
  /** Absolute; from `--root DIR` or {@link rootFromEnv}. Puts the whole layout under it, whatever the mode. */
  root?: string | undefined;
  env: Record<string, string | undefined>;
  home: string;
  /** Not used by the layout itself (mode decides it); kept so callers pass one identity bundle. */
  uid: number;
}

/** sun_path is 108 bytes including the terminating NUL. @since 0.1.0 */
export const MAX_SOCKET_PATH_BYTES = 107;

/** @since 0.1.0 */
export function assertSocketPathFits(path: string): void {
  const bytes = Buffer.byteLength(path, 'utf8');
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new VirError(
      ErrorCode.INVALID_ARG,
      ErrorDomain.RPC,
      `socket path '${path}' is ${bytes} bytes, over the ${MAX_SOCKET_PATH_BYTES}-byte limit of a Unix socket path; use a shorter root or runtime directory`,
      { str1: path, int1: bytes, int2: MAX_SOCKET_PATH_BYTES },
    );
  }
}

/** The TSVIRT_ROOT override, if set and non-empty. @since 0.1.0 */
export function rootFromEnv(env: Record<string, string | undefined>): string | undefined {
  const root = env.TSVIRT_ROOT;
  return root === undefined || root === '' ? undefined : root;
}

/** @since 0.1.0 */
export function defaultMode(uid: number): DaemonMode {
  return uid === 0 ? 'system' : 'session';
}

type BaseDirs = Pick<DaemonPaths, 'runDir' | 'stateDir' | 'runStateDir' | 'configDir' | 'logDir'>;

/** @since 0.1.0 */
export function resolvePaths(opts: ResolvePathsOptions): DaemonPaths {
  const { daemon, mode } = opts;
  let base: BaseDirs;
  let root: string | undefined;
  if (opts.root !== undefined) {
    // Relative roots would depend on the cwd of whichever process resolves them; the
    // caller resolves against its own cwd so client and daemon agree.
    if (!posix.isAbsolute(opts.root)) {
      throw new VirError(
        ErrorCode.INVALID_ARG,
        ErrorDomain.CONF,
        `root directory '${opts.root}' must be an absolute path`,
        { str1: opts.root },
      );
    }
    root = clean(opts.root);
    base = rootDirs(root, daemon);
  } else {
    base = mode === 'system' ? systemDirs(daemon) : sessionDirs(daemon, opts.env, opts.home);
  }

  const paths: DaemonPaths = {
    mode,
    ...base,
    configFile: posix.join(base.configDir, `${daemon}.conf`),
    pidFile: posix.join(base.runDir, `${daemon}.pid`),
    logFile: posix.join(base.logDir, `${daemon}.log`),
    sockets: {
      rw: posix.join(base.runDir, `${daemon}-sock`),
      ro: posix.join(base.runDir, `${daemon}-sock-ro`),
      admin: posix.join(base.runDir, `${daemon}-admin-sock`),
    },
  };
  if (root !== undefined) paths.root = root;
  for (const socket of Object.values(paths.sockets)) assertSocketPathFits(socket);
  return paths;
}

function rootDirs(root: string, daemon: DaemonName): BaseDirs {
  const runDir = posix.join(root, 'run');
  return {
    runDir,
    stateDir: posix.join(root, 'lib', daemon),
    runStateDir: posix.join(runDir, daemon),
    configDir: posix.join(root, 'etc'),
    logDir: posix.join(root, 'log'),
  };
}

function systemDirs(daemon: DaemonName): BaseDirs {
  return {
    runDir: '/run/tsvirt',
    stateDir: `/var/lib/tsvirt/${daemon}`,
    runStateDir: `/run/tsvirt/${daemon}`,
    configDir: '/etc/tsvirt',
    logDir: '/var/log/tsvirt',
  };
}

function sessionDirs(daemon: DaemonName, env: Record<string, string | undefined>, home: string): BaseDirs {
  if (!posix.isAbsolute(home)) {
    throw new VirError(
      ErrorCode.INVALID_ARG,
      ErrorDomain.CONF,
      `cannot place session files: home directory '${home}' is not an absolute path`,
      { str1: home },
    );
  }
  const cacheHome = xdg(env, 'XDG_CACHE_HOME') ?? posix.join(home, '.cache');
  const dataHome = xdg(env, 'XDG_DATA_HOME') ?? posix.join(home, '.local', 'share');
  const configHome = xdg(env, 'XDG_CONFIG_HOME') ?? posix.join(home, '.config');
  const runtimeDir = xdg(env, 'XDG_RUNTIME_DIR');
  // Without a runtime dir (no logind session, e.g. cron or su) fall back to the
  // cache dir, as libvirt does: private to the user and not wiped while in use.
  const runDir = runtimeDir !== undefined ? posix.join(runtimeDir, 'tsvirt') : posix.join(cacheHome, 'tsvirt', 'run');
  return {
    runDir,
    stateDir: posix.join(dataHome, 'tsvirt', daemon),
    runStateDir: posix.join(runDir, daemon),
    configDir: posix.join(configHome, 'tsvirt'),
    logDir: posix.join(cacheHome, 'tsvirt', 'log'),
  };
}

/** The XDG base-directory spec says relative or empty values are to be ignored. */
function xdg(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name];
  return value !== undefined && posix.isAbsolute(value) ? clean(value) : undefined;
}

/** Normalized, without a trailing slash, so `/tmp/r/` and `/tmp/r` give the same layout. */
function clean(path: string): string {
  const normal = posix.normalize(path);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}
