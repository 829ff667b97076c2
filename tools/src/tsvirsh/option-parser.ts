/**
 * Turns one command's words into its declaration and typed option values, with
 * virsh's rules and messages: `--opt value`, `--opt=value`, bare words fill the
 * positional options in order, `--` makes every later word data, `--help` anywhere
 * asks for the command's help.
 */
import type { CommandDecl, CommandRegistry, OptionDecl } from './command.js';
import { UsageError } from './errors.js';

export type OptionValue = boolean | string | number | string[];

/** A parsed command: what to run, with what, or its help when `--help` was given. */
export interface Invocation {
  command: CommandDecl;
  args: ParsedArgs;
  help: boolean;
}

/** Option values by name; a getter for an undeclared name or the wrong type is a bug, so it throws. */
export class ParsedArgs {
  constructor(
    private readonly command: CommandDecl,
    private readonly values: ReadonlyMap<string, OptionValue>,
  ) {}

  has(name: string): boolean {
    this.decl(name);
    return this.values.has(name);
  }

  bool(name: string): boolean {
    this.decl(name, 'bool');
    return this.values.get(name) === true;
  }

  string(name: string): string | undefined {
    this.decl(name, 'string');
    return this.values.get(name) as string | undefined;
  }

  number(name: string): number | undefined {
    this.decl(name, 'number');
    return this.values.get(name) as number | undefined;
  }

  /** A variadic option's words, in order. */
  list(name: string): string[] {
    const option = this.decl(name);
    if (!option.variadic) throw new Error(`tsvirsh: option --${name} of '${this.command.name}' is not variadic`);
    return [...((this.values.get(name) as string[] | undefined) ?? [])];
  }

  private decl(name: string, type?: OptionDecl['type']): OptionDecl {
    const option = this.command.options?.find((o) => o.name === name);
    if (!option || (type && (option.type !== type || option.variadic))) {
      throw new Error(`tsvirsh: command '${this.command.name}' has no ${type ?? ''} option --${name}`);
    }
    return option;
  }
}

/** Parses `words` (command name first). Throws a UsageError with virsh's message on bad input. */
export function parseCommand(registry: CommandRegistry, words: readonly string[]): Invocation {
  const [name, ...rest] = words;
  if (name === undefined) throw new UsageError('empty command');
  const command = registry.find(name);
  if (!command) throw new UsageError(`unknown command: '${name}'`);
  return parseArgs(command, rest);
}

/** Parses a known command's arguments (everything after its name). */
export function parseArgs(command: CommandDecl, words: readonly string[]): Invocation {
  const options = command.options ?? [];
  const values = new Map<string, OptionValue>();
  // positional options not yet given, in order; one given by name leaves the queue
  const positionals = options.filter((o) => o.positional);
  let help = false;
  let dataOnly = false;

  const store = (option: OptionDecl, raw: string): void => {
    const value = convert(option, raw);
    if (option.variadic) values.set(option.name, [...((values.get(option.name) as string[] | undefined) ?? []), raw]);
    else values.set(option.name, value);
  };

  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (!dataOnly && /^--[A-Za-z0-9]/.test(word)) {
      const eq = word.indexOf('=');
      const optName = word.slice(2, eq < 0 ? undefined : eq);
      const inline = eq < 0 ? undefined : word.slice(eq + 1);
      if (optName === 'help') {
        help = true;
        continue;
      }
      const option = options.find((o) => o.name === optName);
      if (!option) {
        if (command.lenient) continue;
        throw new UsageError(`command '${command.name}' doesn't support option --${optName}`);
      }
      if (values.has(option.name) && !option.variadic) throw new UsageError(`option --${option.name} already seen`);
      removeFrom(positionals, option);
      if (option.type === 'bool') {
        if (inline !== undefined) throw new UsageError(`invalid '=' after option --${option.name}`);
        values.set(option.name, true);
        continue;
      }
      let raw = inline;
      if (raw === undefined) {
        if (i + 1 >= words.length) {
          throw new UsageError(`expected syntax: --${option.name} <${option.type === 'number' ? 'number' : 'string'}>`);
        }
        raw = words[++i] as string;
      }
      store(option, raw);
      continue;
    }
    if (!dataOnly && word === '--') {
      dataOnly = true;
      continue;
    }
    const option = positionals[0];
    if (!option) {
      if (command.lenient) continue;
      throw new UsageError(`unexpected data '${word}'`);
    }
    if (!option.variadic) positionals.shift();
    store(option, word);
  }

  if (!help) {
    for (const option of options) {
      if (option.required && !values.has(option.name)) {
        const shown = option.positional ? `<${option.name}>` : `--${option.name}`;
        throw new UsageError(`command '${command.name}' requires ${shown} option`);
      }
    }
  }
  return { command, args: new ParsedArgs(command, values), help };
}

function convert(option: OptionDecl, raw: string): OptionValue {
  if (raw === '' && !option.emptyOk) {
    throw new UsageError(`Failed to get option '${option.name}': Option argument is empty`);
  }
  if (option.type !== 'number') return raw;
  const value = /^[+-]?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw new UsageError(`Numeric value '${raw}' for <${option.name}> option is malformed or out of range`);
  }
  return value;
}

function removeFrom(list: OptionDecl[], option: OptionDecl): void {
  const index = list.indexOf(option);
  if (index >= 0 && !option.variadic) list.splice(index, 1);
}
