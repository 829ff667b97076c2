/**
 * tsvirsh's own options, getopt-style as virsh parses them: short options may be
 * bundled (`-rq`, `-cURI`), long ones take `--opt=value` or `--opt value`, and the
 * first word that is not an option starts the command.
 */
import { UsageError } from './errors.js';

export type CliCommand = { kind: 'string'; text: string } | { kind: 'argv'; words: string[] };

export interface CliOptions {
  uri: string | undefined;
  readonly: boolean;
  quiet: boolean;
  /** `-h` and `-v`/`-V` act at once and exit, as in virsh. */
  action: 'run' | 'help' | 'version' | 'long-version';
  /** Absent: the interactive shell. One word: a command string, split by the tokenizer. More: one command's words. */
  command: CliCommand | undefined;
}

interface Spec {
  short: string;
  long: string;
  takesValue: 'no' | 'required' | 'optional';
}

const SPECS: readonly Spec[] = [
  { short: 'c', long: 'connect', takesValue: 'required' },
  { short: 'r', long: 'readonly', takesValue: 'no' },
  { short: 'q', long: 'quiet', takesValue: 'no' },
  { short: 'h', long: 'help', takesValue: 'no' },
  { short: 'v', long: 'version', takesValue: 'optional' },
  { short: 'V', long: '', takesValue: 'no' },
];

export function parseCliArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = { uri: undefined, readonly: false, quiet: false, action: 'run', command: undefined };
  let i = 0;
  // returns true once an option decides the action (help, version): parsing stops there
  const apply = (spec: Spec, value: string | undefined): boolean => {
    switch (spec.short) {
      case 'c':
        options.uri = value;
        return false;
      case 'r':
        options.readonly = true;
        return false;
      case 'q':
        options.quiet = true;
        return false;
      case 'h':
        options.action = 'help';
        return true;
      case 'v':
        // virsh: anything but `--version=long` is the short version
        options.action = value === 'long' ? 'long-version' : 'version';
        return true;
      default:
        options.action = 'long-version';
        return true;
    }
  };

  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const spec = SPECS.find((s) => s.long !== '' && s.long === name);
      if (!spec || (spec.takesValue === 'no' && eq >= 0))
        throw new UsageError(`unsupported option '${arg}'. See --help.`);
      let value = eq < 0 ? undefined : arg.slice(eq + 1);
      if (spec.takesValue === 'required' && value === undefined) {
        value = argv[++i];
        if (value === undefined) throw missingValue(spec);
      }
      if (apply(spec, value)) return options;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    for (let j = 1; j < arg.length; j++) {
      const spec = SPECS.find((s) => s.short === arg[j]);
      if (!spec) throw new UsageError(`unsupported option '-${arg[j]}'. See --help.`);
      let value: string | undefined;
      if (spec.takesValue === 'required') {
        // the rest of the word, or the next word, is the value
        value = j + 1 < arg.length ? arg.slice(j + 1) : argv[++i];
        if (value === undefined) throw missingValue(spec);
        j = arg.length;
      }
      if (apply(spec, value)) return options;
    }
  }

  const rest = argv.slice(i);
  if (rest.length === 1) options.command = { kind: 'string', text: rest[0] as string };
  else if (rest.length > 1) options.command = { kind: 'argv', words: [...rest] };
  return options;
}

function missingValue(spec: Spec): UsageError {
  return new UsageError(`option '-${spec.short}'/'--${spec.long}' requires an argument`);
}
