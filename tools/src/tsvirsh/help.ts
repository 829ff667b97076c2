/** Help texts in virsh's layouts: one command, one group, all groups, and the `-h` usage. */
import { TSVIRT_VERSION } from '@tsvirt/client';
import type { CommandDecl, CommandRegistry, Group, OptionDecl } from './command.js';

const typeWord = (option: OptionDecl): string => (option.type === 'number' ? 'number' : 'string');

/** How an option shows in the SYNOPSIS line. */
function synopsisOf(option: OptionDecl): string {
  if (option.type === 'bool') return `[--${option.name}]`;
  if (option.positional) {
    const core = option.required ? `<${option.name}>` : `[<${option.name}>]`;
    return option.variadic ? `${core}...` : core;
  }
  const core = `--${option.name} <${typeWord(option)}>`;
  return option.required ? core : `[${core}]`;
}

/** How an option shows in the OPTIONS section. */
function optionLabel(option: OptionDecl): string {
  if (option.type === 'bool') return `--${option.name}`;
  // virsh's argv options (the rest of the line) take no --name form.
  if (option.variadic) return `<${option.name}>`;
  return option.positional ? `[--${option.name}] <${typeWord(option)}>` : `--${option.name} <${typeWord(option)}>`;
}

/** `help COMMAND` / `COMMAND --help`. */
export function formatCommandHelp(command: CommandDecl): string {
  const options = command.options ?? [];
  let text = `  NAME\n    ${command.name} - ${command.summary}\n`;
  text += `\n  SYNOPSIS\n    ${[command.name, ...options.map(synopsisOf)].join(' ')}\n`;
  if (command.description) {
    const body = command.description
      .split('\n')
      .map((line) => (line ? `    ${line}` : ''))
      .join('\n');
    text += `\n  DESCRIPTION\n${body}\n`;
  }
  if (options.length > 0) {
    text += '\n  OPTIONS\n';
    for (const option of options) text += `    ${optionLabel(option).padEnd(15)}  ${option.help}\n`;
  }
  return `${text}\n`;
}

/** The lines listing one group's commands; `trailer` ends its heading (virsh uses ':' in `help`, none in `-h`). */
function groupListing(group: Group, commands: CommandDecl[], trailer: string): string {
  let text = ` ${group.name} (help keyword '${group.keyword}')${trailer}\n`;
  for (const command of commands) text += `    ${command.name.padEnd(30)} ${command.summary}\n`;
  return text;
}

/** `help GROUP`. */
export function formatGroupHelp(registry: CommandRegistry, group: Group): string {
  const entry = registry.groups().find((e) => e.group.keyword === group.keyword);
  return groupListing(group, entry?.commands ?? [], ':');
}

/** `help` with no argument. */
export function formatGroupedHelp(registry: CommandRegistry): string {
  let text = 'Grouped commands:\n\n';
  for (const { group, commands } of registry.groups()) text += `${groupListing(group, commands, ':')}\n`;
  return text;
}

/** `tsvirsh -h`. */
export function formatUsage(registry: CommandRegistry, program: string): string {
  let text =
    `\n${program} [options]... [<command_string>]\n` +
    `${program} [options]... <command> [args...]\n\n` +
    '  options:\n' +
    '    -c | --connect=URI      hypervisor connection URI\n' +
    '    -h | --help             this help\n' +
    '    -q | --quiet            quiet mode\n' +
    '    -r | --readonly         connect readonly\n' +
    '    -v                      short version\n' +
    '    -V                      long version\n' +
    '         --version[=TYPE]   version, TYPE is short or long (default short)\n' +
    '  commands (non interactive mode):\n\n';
  for (const { group, commands } of registry.groups()) text += `${groupListing(group, commands, '')}\n`;
  text += '\n  (specify help <group> for details about the commands in the group)\n';
  text += '\n  (specify help <command> for details about the command)\n\n';
  return text;
}

/** `tsvirsh -V`. */
export function formatLongVersion(program: string, daemons: readonly string[]): string {
  return `${program} command line tool of tsvirt ${TSVIRT_VERSION}\n\nCompiled with support for:\n Daemons: ${daemons.join(' ')}\n`;
}
