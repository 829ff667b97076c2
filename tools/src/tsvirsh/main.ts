/** tsvirsh's entry point: command-line options, then one command string, one command or the shell. */
import { DAEMON_NAMES, TSVIRT_VERSION } from '@tsvirt/client';
import { parseCliArgs, type CliOptions } from './cli-args.js';
import { defaultRegistry } from './commands/index.js';
import { UsageError, messageOf } from './errors.js';
import { Executor } from './executor.js';
import { formatLongVersion, formatUsage } from './help.js';
import { processOutput } from './output.js';
import { Session } from './session.js';
import { runShell } from './shell.js';

const PROGRAM = 'tsvirsh';
/** How long closing the connection may take before the process exits anyway. */
const EXIT_GRACE_MS = 3000;

/** Runs tsvirsh with `argv` (without node and the script); resolves to the exit status. */
async function main(argv: readonly string[]): Promise<number> {
  let cli: CliOptions;
  try {
    cli = parseCliArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`error: ${err.message}\n`);
    return 1;
  }
  const registry = defaultRegistry();
  switch (cli.action) {
    case 'help':
      process.stdout.write(formatUsage(registry, PROGRAM));
      return 0;
    case 'version':
      process.stdout.write(`${TSVIRT_VERSION}\n`);
      return 0;
    case 'long-version':
      process.stdout.write(formatLongVersion(PROGRAM, DAEMON_NAMES));
      return 0;
    case 'run':
      break;
  }

  const out = processOutput(cli.quiet);
  const session = new Session(cli.uri, cli.readonly);
  const executor = new Executor(registry, session, out);
  try {
    let ok: boolean;
    if (!cli.command) ok = await runShell({ executor });
    else if (cli.command.kind === 'string') ok = await executor.runLine(cli.command.text);
    else ok = await executor.runWords(cli.command.words);
    return ok ? 0 : 1;
  } finally {
    await session.close().catch((err: unknown) => out.error(messageOf(err)));
  }
}

// `tsvirsh help | head -1`: a reader that stops early is no error of ours
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
});

const status = await main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`error: ${messageOf(err)}\n`);
  return 1;
});
process.exitCode = status;
// nothing should keep the process alive now; if something does (a stuck socket), do not hang
setTimeout(() => process.exit(status), EXIT_GRACE_MS).unref();
