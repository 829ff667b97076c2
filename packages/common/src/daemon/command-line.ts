/** The options every daemon accepts, parsed the same way for all of them. */
import { parseArgs } from 'node:util';

export interface DaemonCommandLine {
  mode: 'system' | 'session' | undefined;
  root: string | undefined;
  configFile: string | undefined;
  timeoutSeconds: number | undefined;
  help: boolean;
  version: boolean;
}

export function daemonUsage(name: string): string {
  return `Usage: ${name} [OPTIONS]

Options:
  --system               run as the system daemon (default for root)
  --session              run as a per-user session daemon (default for other users)
  --root DIR             keep every path (sockets, state, config, logs, pidfile) under DIR;
                         the environment variable TSVIRT_ROOT does the same
  -f, --config FILE      read FILE instead of the default ${name}.conf
  -t, --timeout SECONDS  exit after SECONDS with no clients and nothing running
  -h, --help             show this help
  -V, --version          show the version
`;
}

/** Throws TypeError with a readable message on an unknown option or a bad value. */
export function parseDaemonCommandLine(argv: string[]): DaemonCommandLine {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      system: { type: 'boolean' },
      session: { type: 'boolean' },
      root: { type: 'string' },
      config: { type: 'string', short: 'f' },
      timeout: { type: 'string', short: 't' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
    },
  });
  if (values.system && values.session) throw new TypeError('--system and --session exclude each other');
  let timeoutSeconds: number | undefined;
  if (values.timeout !== undefined) {
    timeoutSeconds = Number(values.timeout);
    if (!/^\d+$/.test(values.timeout) || !Number.isSafeInteger(timeoutSeconds)) {
      throw new TypeError(`--timeout needs a whole number of seconds, not '${values.timeout}'`);
    }
  }
  return {
    mode: values.system ? 'system' : values.session ? 'session' : undefined,
    root: values.root,
    configFile: values.config,
    timeoutSeconds,
    help: values.help ?? false,
    version: values.version ?? false,
  };
}
