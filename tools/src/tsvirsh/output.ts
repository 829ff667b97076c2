/** Where commands write: stdout, stdout unless quiet (virsh's vshPrintExtra), and `error:` lines on stderr. */

export interface Output {
  /** Normal output, written as is. */
  print(text: string): void;
  /** Decoration that `-q` suppresses: the banner, the blank line after each command. */
  extra(text: string): void;
  /** One `error: <message>` line on stderr. */
  error(message: string): void;
}

export function processOutput(quiet: boolean): Output {
  return {
    print: (text) => void process.stdout.write(text),
    extra: (text) => {
      if (!quiet) process.stdout.write(text);
    },
    error: (message) => void process.stderr.write(`error: ${message}\n`),
  };
}

/** Collects output in memory, for tests and for callers that post-process it. */
export class BufferOutput implements Output {
  stdout = '';
  stderr = '';

  constructor(private readonly quiet = false) {}

  print(text: string): void {
    this.stdout += text;
  }

  extra(text: string): void {
    if (!this.quiet) this.stdout += text;
  }

  error(message: string): void {
    this.stderr += `error: ${message}\n`;
  }
}
