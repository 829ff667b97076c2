/** The shell's own commands ("Virsh itself"): help, quit/exit, connect, echo. */
import type { CommandDecl } from '../command.js';
import { CommandError } from '../errors.js';
import { escapeShell, escapeXml } from '../escape.js';
import { formatCommandHelp, formatGroupHelp, formatGroupedHelp } from '../help.js';

const help: CommandDecl = {
  name: 'help',
  group: 'virsh',
  summary: 'print help',
  description: 'Prints global help, command specific help, or help for a\ngroup of related commands',
  options: [
    {
      name: 'command',
      type: 'string',
      positional: true,
      help: 'Prints global help, command specific help, or help for a group of related commands',
    },
  ],
  // virsh's help ignores options and words it does not know
  lenient: true,
  async run({ args, out, registry }) {
    const name = args.string('command');
    if (name === undefined) {
      out.print(formatGroupedHelp(registry));
      return;
    }
    const command = registry.find(name);
    if (command) {
      out.print(formatCommandHelp(command));
      return;
    }
    const group = registry.findGroup(name);
    if (!group) throw new CommandError(`command or command group '${name}' doesn't exist`);
    out.print(formatGroupHelp(registry, group));
  },
};

const quit: CommandDecl = {
  name: 'quit',
  aliases: ['exit'],
  group: 'virsh',
  summary: 'quit this interactive terminal',
  async run({ quit }) {
    quit();
  },
};

const connect: CommandDecl = {
  name: 'connect',
  group: 'virsh',
  summary: '(re)connect to hypervisor',
  description: 'Connect to local hypervisor. This is built-in command after shell start up.',
  options: [
    { name: 'name', type: 'string', positional: true, help: 'hypervisor connection URI' },
    { name: 'readonly', type: 'bool', help: 'read-only connection' },
  ],
  async run({ args, reconnect }) {
    await reconnect(args.string('name'), args.bool('readonly'));
  },
};

const echo: CommandDecl = {
  name: 'echo',
  group: 'virsh',
  summary: 'echo arguments. Used for internal testing.',
  description: 'Echo back arguments, possibly with quoting. Used for internal testing.',
  options: [
    { name: 'shell', type: 'bool', help: 'escape for shell use' },
    { name: 'xml', type: 'bool', help: 'escape for XML use' },
    { name: 'err', type: 'bool', help: 'output to stderr' },
    { name: 'string', type: 'string', positional: true, variadic: true, emptyOk: true, help: 'arguments to echo' },
  ],
  async run({ args, out }) {
    const words = args.list('string').map((word) => {
      const xml = args.bool('xml') ? escapeXml(word) : word;
      return args.bool('shell') ? escapeShell(xml) : xml;
    });
    const text = words.join(' ');
    // virsh prints nothing at all when there is nothing to echo
    if (text === '') return;
    if (args.bool('err')) out.error(text);
    else out.print(`${text}\n`);
  },
};

export const virshCommands: CommandDecl[] = [help, quit, connect, echo];
