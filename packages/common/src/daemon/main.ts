/**
 * The process around a Daemon: command line, signals and exit codes. Each daemon's
 * `main.ts` is one call to `runDaemonMain`.
 */
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import type { DaemonName } from '../protocol/daemons.js';
import { TSVIRT_VERSION } from '../version.js';
import { daemonUsage, parseDaemonCommandLine } from './command-line.js';
import { Daemon } from './daemon.js';
import type { Driver } from './driver.js';
import { defaultMode, resolvePaths, rootFromEnv } from './paths.js';

export interface DaemonMainSpec {
  name: DaemonName;
  driver: Driver;
}

function fail(name: string, message: string): never {
  process.stderr.write(`${name}: error: ${message}\n`);
  process.exit(1);
}

export async function runDaemonMain(spec: DaemonMainSpec, argv = process.argv.slice(2)): Promise<void> {
  const { name, driver } = spec;
  let commandLine;
  try {
    commandLine = parseDaemonCommandLine(argv);
  } catch (err) {
    fail(name, `${(err as Error).message}\n${daemonUsage(name)}`);
  }
  if (commandLine.help) {
    process.stdout.write(daemonUsage(name));
    return;
  }
  if (commandLine.version) {
    process.stdout.write(`${name} (tsvirt) ${TSVIRT_VERSION}\n`);
    return;
  }

  const env = process.env;
  const uid = process.getuid?.() ?? 0;
  const mode = commandLine.mode ?? defaultMode(uid);
  let daemon: Daemon;
  try {
    const rootText = commandLine.root ?? rootFromEnv(env);
    const root = rootText === undefined ? undefined : resolve(rootText);
    const paths = resolvePaths({ daemon: name, mode, ...(root ? { root } : {}), env, home: homedir(), uid });
    daemon = Daemon.create({
      name,
      driver,
      mode,
      paths,
      configFile: commandLine.configFile ? resolve(commandLine.configFile) : paths.configFile,
      configMustExist: commandLine.configFile !== undefined,
      timeoutSeconds: commandLine.timeoutSeconds,
      env,
      onIdleExit: () => void shutdown('idle timeout'),
    });
  } catch (err) {
    fail(name, (err as Error).message);
  }

  let exiting = false;
  async function shutdown(reason: string): Promise<void> {
    if (exiting) return;
    exiting = true;
    try {
      await daemon.stop(reason);
      process.exit(0);
    } catch (err) {
      daemon.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  }

  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGHUP', () => daemon.reload());
  // A client that vanishes mid-write must not kill the daemon.
  process.on('SIGPIPE', () => {});

  try {
    await daemon.start();
  } catch (err) {
    fail(name, (err as Error).message);
  }
}
