/**
 * The shell: reads command lines until `quit` or end of input. On a terminal it has
 * virsh's banner, a prompt, history and tab completion; under a pipe it just runs
 * the lines it reads, with no prompt or banner in the output.
 */
import { createInterface } from 'node:readline';
import { complete } from './completer.js';
import { messageOf } from './errors.js';
import type { Executor } from './executor.js';
import { HISTORY_SIZE, historyFile, loadHistory, saveHistory } from './history.js';

export const BANNER =
  "Welcome to tsvirsh, the virtualization interactive terminal.\n\nType:  'help' for help with commands\n       'quit' to quit\n\n";

/** `#` for root and `$` for anyone else, as shells do. */
export function promptFor(uid: number | undefined): string {
  return uid === 0 ? 'tsvirsh # ' : 'tsvirsh $ ';
}

export interface ShellOptions {
  executor: Executor;
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  output?: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
}

/** Runs the shell; true when the last command succeeded (or none ran). */
export async function runShell(options: ShellOptions): Promise<boolean> {
  const { executor } = options;
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const interactive = input.isTTY === true;
  const file = historyFile(options.env);
  let history = interactive ? loadHistory(file) : [];
  let busy = false;

  const rl = createInterface({
    input,
    terminal: interactive,
    prompt: promptFor(process.getuid?.()),
    historySize: HISTORY_SIZE,
    ...(interactive ? { output, history, completer: (line: string) => complete(executor.registry, line) } : {}),
  });
  rl.on('history', (entries: string[]) => {
    history = entries;
  });
  rl.on('SIGINT', () => {
    // at the prompt ^C drops the line, as in bash; during a command it ends tsvirsh, as in virsh
    if (busy) process.exit(130);
    output.write('^C\n');
    // deleting to the start of the line also redraws the prompt, now on the fresh line
    rl.write(null, { ctrl: true, name: 'u' });
  });

  if (interactive) executor.out.extra(BANNER);
  let ok = true;
  let endOfInput = true;
  try {
    if (interactive) rl.prompt();
    for await (const line of rl) {
      if (line.trim() !== '') {
        busy = true;
        ok = await executor.runLine(line);
        busy = false;
      }
      if (executor.quitRequested) {
        endOfInput = false;
        break;
      }
      if (interactive) rl.prompt();
    }
  } finally {
    rl.close();
  }
  // the line break after a prompt left alone by ^D
  if (interactive && endOfInput) output.write('\n');
  if (interactive) {
    try {
      saveHistory(file, history);
    } catch (err) {
      executor.out.error(`Failed to save history to '${file}': ${messageOf(err)}`);
    }
  }
  return ok;
}
