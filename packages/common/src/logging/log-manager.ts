/**
 * Logging in one place: a pino root logger and one child per module, each child's
 * level set by libvirt-style filters (`1:rpc 4:config`), changeable at runtime from
 * the config file (SIGHUP) and the admin socket.
 */
import { createRequire } from 'node:module';
import { pino, type Logger, type DestinationStream } from 'pino';
import { ErrorCode, ErrorDomain } from '../errors/error-codes.js';
import { VirError } from '../errors/vir-error.js';

/** libvirt's numbering: 1 debug, 2 info, 3 warning, 4 error. */
export type LogLevelNumber = 1 | 2 | 3 | 4;
export interface LogFilter {
  level: LogLevelNumber;
  module: string;
}

/** pino-pretty and its dependencies load only on a terminal: they cost a daemon 0.1 s of start-up. */
function prettyDestination(): DestinationStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  return pretty({ colorize: true, destination: 2, sync: true });
}

const PINO_LEVEL: Record<LogLevelNumber, pino.Level> = { 1: 'debug', 2: 'info', 3: 'warn', 4: 'error' };

/** Parses libvirt's `log_filters` syntax: whitespace-separated `LEVEL:[+]MODULE`. */
export function parseLogFilters(text: string): LogFilter[] {
  const filters: LogFilter[] = [];
  for (const item of text.split(/\s+/).filter(Boolean)) {
    const match = /^([1-4]):\+?([A-Za-z0-9_.-]+)$/.exec(item);
    if (!match) {
      throw new VirError(
        ErrorCode.CONF_SYNTAX,
        ErrorDomain.LOGGING,
        `invalid log filter '${item}': expected LEVEL:MODULE with LEVEL 1 to 4`,
      );
    }
    filters.push({ level: Number(match[1]) as LogLevelNumber, module: match[2]! });
  }
  return filters;
}

export function formatLogFilters(filters: readonly LogFilter[]): string {
  return filters.map((f) => `${f.level}:${f.module}`).join(' ');
}

/** A filter names a module and its sub-modules: `qemu` covers `qemu.monitor`. */
function filterMatches(filter: LogFilter, module: string): boolean {
  return module === filter.module || module.startsWith(`${filter.module}.`);
}

export interface LogManagerOptions {
  name: string;
  level: LogLevelNumber;
  filters?: string;
  /** Pretty, coloured lines instead of JSON; defaults to whether stderr is a terminal. */
  pretty?: boolean;
  /** Where to write; defaults to stderr. Tests pass a memory stream. */
  destination?: DestinationStream;
}

export class LogManager {
  readonly root: Logger;
  private level: LogLevelNumber;
  private filters: LogFilter[];
  private readonly modules = new Map<string, Logger>();

  constructor(options: LogManagerOptions) {
    this.level = options.level;
    this.filters = parseLogFilters(options.filters ?? '');
    const usePretty = options.pretty ?? process.stderr.isTTY === true;
    const destination =
      options.destination ?? (usePretty ? prettyDestination() : pino.destination({ dest: 2, sync: true }));
    this.root = pino({ name: options.name, level: 'trace', base: { pid: process.pid } }, destination);
  }

  /** The logger of one module, e.g. `rpc` or `qemu.monitor`. */
  module(name: string): Logger {
    let logger = this.modules.get(name);
    if (!logger) {
      logger = this.root.child({ module: name });
      logger.level = this.levelFor(name);
      this.modules.set(name, logger);
    }
    return logger;
  }

  get settings(): { level: LogLevelNumber; filters: string } {
    return { level: this.level, filters: formatLogFilters(this.filters) };
  }

  /** Changes level and/or filters; every module logger follows at once. Throws on a bad filter string. */
  configure(change: { level?: LogLevelNumber; filters?: string }): void {
    const filters = change.filters === undefined ? this.filters : parseLogFilters(change.filters);
    this.filters = filters;
    if (change.level !== undefined) this.level = change.level;
    for (const [name, logger] of this.modules) logger.level = this.levelFor(name);
  }

  private levelFor(module: string): pino.Level {
    // The most specific filter wins, as a longer module prefix is a narrower choice.
    let best: LogFilter | undefined;
    for (const filter of this.filters) {
      if (filterMatches(filter, module) && (!best || filter.module.length > best.module.length)) best = filter;
    }
    return PINO_LEVEL[best?.level ?? this.level];
  }
}
