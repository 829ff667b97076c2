/**
 * Session-mode autostart: when no session daemon answers, start the one that is
 * needed, detached and with an idle timeout, as libvirt starts its session daemon.
 * Two clients racing to start the same daemon are harmless: the daemon's instance
 * lock lets one win, and both clients then connect to it.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { ErrorCode, ErrorDomain, VirError, rootFromEnv, type DaemonName } from '@tsvirt/common/client';

/** Idle seconds after which an autostarted daemon exits, as libvirt's session daemon does. */
export const AUTOSTART_IDLE_TIMEOUT = 120;

/**
 * Where the daemon's executable is: `$TSVIRT_DAEMON_DIR/<name>`, else the installed
 * workspace package, else the PATH.
 */
export function findDaemonExecutable(daemon: DaemonName, env: NodeJS.ProcessEnv): string | undefined {
  const candidates: string[] = [];
  if (env.TSVIRT_DAEMON_DIR) candidates.push(join(env.TSVIRT_DAEMON_DIR, daemon));
  try {
    const packageJson = createRequire(import.meta.url).resolve(`@tsvirt/${daemon}/package.json`);
    const bin = (JSON.parse(readFileSync(packageJson, 'utf8')) as { bin?: Record<string, string> }).bin?.[daemon];
    if (bin) candidates.push(join(dirname(packageJson), bin));
  } catch {
    // not installed next to this client: try the PATH
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) candidates.push(join(dir, daemon));
  return candidates.find((candidate) => existsSync(candidate));
}

export interface LaunchOptions {
  daemon: DaemonName;
  env: NodeJS.ProcessEnv;
  /** Where the daemon's stdout and stderr go. */
  logFile: string;
}

/** Starts the daemon detached; resolves once spawned, the caller waits for its socket. */
export function launchSessionDaemon(options: LaunchOptions): { pid: number | undefined; exited: () => number | null } {
  const executable = findDaemonExecutable(options.daemon, options.env);
  if (!executable) {
    throw new VirError(
      ErrorCode.NO_CONNECT,
      ErrorDomain.RPC,
      `cannot start ${options.daemon}: no executable found (set TSVIRT_DAEMON_DIR or put ${options.daemon} on the PATH)`,
    );
  }
  mkdirSync(dirname(options.logFile), { recursive: true, mode: 0o700 });
  const log = openSync(options.logFile, 'a', 0o600);
  let exitCode: number | null = null;
  try {
    // The root goes on the command line too, so that `ps` shows which instance this is.
    const root = rootFromEnv(options.env);
    const args = [
      executable,
      '--session',
      '--timeout',
      String(AUTOSTART_IDLE_TIMEOUT),
      ...(root ? ['--root', root] : []),
    ];
    const child = spawn(process.execPath, args, {
      detached: true,
      stdio: ['ignore', log, log],
      env: options.env,
    });
    child.on('exit', (code) => {
      exitCode = code ?? 1;
    });
    child.on('error', () => {
      exitCode = 1;
    });
    child.unref();
    return { pid: child.pid, exited: () => exitCode };
  } finally {
    closeSync(log);
  }
}
