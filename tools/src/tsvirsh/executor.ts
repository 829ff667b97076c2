/**
 * Runs command lines against a session. Like virsh, a whole line is parsed before
 * anything runs (a syntax error anywhere runs nothing), each command is followed by
 * a blank line unless quiet, a failing command does not stop the next one, and the
 * result is that of the last command.
 */
import type { CommandContext, CommandRegistry } from './command.js';
import { errorLines } from './errors.js';
import { formatCommandHelp } from './help.js';
import { parseCommand, type Invocation } from './option-parser.js';
import type { Output } from './output.js';
import type { Session } from './session.js';
import { tokenize } from './tokenizer.js';

export class Executor {
  /** Set by `quit`: the caller stops reading commands. */
  quitRequested = false;

  constructor(
    readonly registry: CommandRegistry,
    readonly session: Session,
    readonly out: Output,
  ) {}

  /** A command string (`tsvirsh "version; uri"`, a shell line). False if any part failed to parse or the last command failed. */
  async runLine(text: string): Promise<boolean> {
    return this.runParsed(() => tokenize(text).map((words) => parseCommand(this.registry, words)));
  }

  /** One command already split into words (`tsvirsh echo "a b"`); `;` is no separator here, as in virsh. */
  async runWords(words: readonly string[]): Promise<boolean> {
    return this.runParsed(() => [parseCommand(this.registry, words)]);
  }

  private async runParsed(parse: () => Invocation[]): Promise<boolean> {
    let invocations: Invocation[];
    try {
      invocations = parse();
    } catch (err) {
      this.report(err);
      return false;
    }
    let ok = true;
    for (const invocation of invocations) {
      ok = await this.runOne(invocation);
      // virsh returns right after quit, without the blank line
      if (this.quitRequested) return ok;
      this.out.extra('\n');
    }
    return ok;
  }

  private async runOne({ command, args, help }: Invocation): Promise<boolean> {
    if (help) {
      this.out.print(formatCommandHelp(command));
      return true;
    }
    const ctx: CommandContext = {
      args,
      out: this.out,
      registry: this.registry,
      connection: () => this.session.connection(),
      reconnect: (uri, readonly) => this.session.reconnect(uri, readonly),
      quit: () => {
        this.quitRequested = true;
      },
    };
    try {
      await command.run(ctx);
      return true;
    } catch (err) {
      this.report(err);
      return false;
    }
  }

  private report(err: unknown): void {
    for (const line of errorLines(err)) this.out.error(line);
  }
}
