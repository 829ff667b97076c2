/**
 * Command declarations and their registry. One declaration drives parsing, `help`,
 * completion and error messages, so a command is added by declaring it, nothing else.
 */
import type { Connection } from '@tsvirt/client';
import type { ParsedArgs } from './option-parser.js';
import type { Output } from './output.js';

/** virsh's command groups, in the order its `help` lists them. */
export const GROUPS = [
  { keyword: 'domain', name: 'Domain Management' },
  { keyword: 'monitor', name: 'Domain Monitoring' },
  { keyword: 'events', name: 'Domain Events' },
  { keyword: 'host', name: 'Host and Hypervisor' },
  { keyword: 'checkpoint', name: 'Checkpoint' },
  { keyword: 'interface', name: 'Interface' },
  { keyword: 'filter', name: 'Network Filter' },
  { keyword: 'network', name: 'Networking' },
  { keyword: 'nodedev', name: 'Node Device' },
  { keyword: 'secret', name: 'Secret' },
  { keyword: 'snapshot', name: 'Snapshot' },
  { keyword: 'backup', name: 'Backup' },
  { keyword: 'pool', name: 'Storage Pool' },
  { keyword: 'volume', name: 'Storage Volume' },
  { keyword: 'virsh', name: 'Virsh itself' },
] as const;

export type GroupKeyword = (typeof GROUPS)[number]['keyword'];
export type Group = (typeof GROUPS)[number];

export type OptionType = 'bool' | 'string' | 'number';

export interface OptionDecl {
  /** Given as `--name`; lower case, digits and dashes. */
  name: string;
  type: OptionType;
  /** One line for the OPTIONS section of the help. */
  help: string;
  required?: boolean;
  /** May also be given without `--name`, filled in declaration order. */
  positional?: boolean;
  /** The last positional option only: takes every remaining bare word (virsh's ARGV). */
  variadic?: boolean;
  /** An empty string is a valid value (virsh refuses empty values unless told otherwise). */
  emptyOk?: boolean;
}

export interface CommandContext {
  readonly args: ParsedArgs;
  readonly out: Output;
  readonly registry: CommandRegistry;
  /** The session's connection, opened on first use with the `-c` URI or the default. */
  connection(): Promise<Connection>;
  /** Closes the session's connection and opens `uri` instead (`undefined`: the default URI). */
  reconnect(uri: string | undefined, readonly: boolean): Promise<void>;
  /** Stops the shell, or the rest of a `;` list, after this command. */
  quit(): void;
}

export interface CommandDecl {
  name: string;
  /** Other names that run this command; help and completion list the name only, as virsh does. */
  aliases?: readonly string[];
  group: GroupKeyword;
  /** One line: the `help` listing and the NAME section. */
  summary: string;
  /** The DESCRIPTION section; omitted from the help when empty, as virsh does. */
  description?: string;
  options?: readonly OptionDecl[];
  /** Ignore unknown options and extra words instead of failing (virsh's `help` does). */
  lenient?: boolean;
  /** Throw to fail: a CommandError for preset `error:` lines, anything else prints its message. */
  run(ctx: CommandContext): Promise<void>;
}

const OPTION_NAME = /^[a-z0-9][a-z0-9-]*$/;

export class CommandRegistry {
  private readonly byName = new Map<string, CommandDecl>();
  private readonly declared: CommandDecl[] = [];

  /** Adds commands after checking their declarations, so a bad one fails at start-up, not when typed. */
  register(...commands: CommandDecl[]): this {
    for (const command of commands) {
      checkDeclaration(command);
      for (const name of [command.name, ...(command.aliases ?? [])]) {
        if (this.byName.has(name)) throw new Error(`tsvirsh: command name '${name}' is declared twice`);
        this.byName.set(name, command);
      }
      this.declared.push(command);
    }
    return this;
  }

  /** The command called `name`, by name or alias. */
  find(name: string): CommandDecl | undefined {
    return this.byName.get(name);
  }

  /** Every command, sorted by name. */
  commands(): CommandDecl[] {
    return [...this.declared].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The group whose name or keyword is `name`. */
  findGroup(name: string): Group | undefined {
    return GROUPS.find((group) => group.keyword === name || group.name === name);
  }

  /** Groups that have commands, in virsh's order, each with its commands sorted by name. */
  groups(): Array<{ group: Group; commands: CommandDecl[] }> {
    return GROUPS.map((group) => ({
      group,
      commands: this.commands().filter((c) => c.group === group.keyword),
    })).filter((entry) => entry.commands.length > 0);
  }
}

/** The rules the option parser relies on (virsh's vshCmddefOptParse checks the same). */
function checkDeclaration(command: CommandDecl): void {
  const fail = (why: string): never => {
    throw new Error(`tsvirsh: bad declaration of command '${command.name}': ${why}`);
  };
  const seen = new Set<string>();
  let optionalPositional = false;
  let variadicSeen = false;
  for (const option of command.options ?? []) {
    if (!OPTION_NAME.test(option.name)) fail(`bad option name '${option.name}'`);
    if (option.name === 'help') fail('--help is built in');
    if (seen.has(option.name)) fail(`option --${option.name} declared twice`);
    seen.add(option.name);
    if (option.type === 'bool' && (option.required || option.positional || option.variadic)) {
      fail(`bool option --${option.name} cannot be required, positional or variadic`);
    }
    if (option.variadic && !option.positional) fail(`variadic option --${option.name} must be positional`);
    if (!option.positional) continue;
    if (variadicSeen) fail(`positional option --${option.name} follows the variadic one`);
    if (option.required && optionalPositional) fail(`required positional --${option.name} follows an optional one`);
    if (!option.required) optionalPositional = true;
    if (option.variadic) variadicSeen = true;
  }
}
