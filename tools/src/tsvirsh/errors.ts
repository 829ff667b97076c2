/** The two ways a command line fails: a usage error before anything runs, or a command's own failure. */

/** Bad syntax, unknown command or option: virsh reports these before running anything. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * A command failed with one or more `error:` lines (e.g. "failed to connect to the
 * hypervisor" followed by the reason, as virsh prints them).
 */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  readonly lines: readonly string[];

  constructor(...lines: [string, ...string[]]) {
    super(lines.join('\n'));
    this.lines = lines;
  }
}

/** The text to show for anything thrown: VirError and friends carry a user-facing message. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Every `error:` line that `err` stands for. */
export function errorLines(err: unknown): readonly string[] {
  return err instanceof CommandError ? err.lines : [messageOf(err)];
}
