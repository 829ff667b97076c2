/** Help output in virsh's layouts, generated from the command declarations. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CommandRegistry, type CommandDecl } from '../src/tsvirsh/command.js';
import { defaultRegistry } from '../src/tsvirsh/commands/index.js';
import { formatCommandHelp, formatGroupHelp, formatGroupedHelp, formatUsage } from '../src/tsvirsh/help.js';

const registry = defaultRegistry();
const command = (name: string): CommandDecl => {
  const found = registry.find(name);
  if (!found) throw new Error(`no command ${name}`);
  return found;
};

test('help for a command with a positional and a bool option', () => {
  assert.fixture(
    formatCommandHelp(command('connect')),
    [
      '  NAME',
      '    connect - (re)connect to hypervisor',
      '',
      '  SYNOPSIS',
      '    connect [<name>] [--readonly]',
      '',
      '  DESCRIPTION',
      '    Connect to local hypervisor. This is built-in command after shell start up.',
      '',
      '  OPTIONS',
      '    [--name] <string>  hypervisor connection URI',
      '    --readonly       read-only connection',
      '',
      '',
    ].join('\n'),
  );
});

test('a command without description or options has only NAME and SYNOPSIS', () => {
  assert.fixture(
    formatCommandHelp(command('uri')),
    '  NAME\n    uri - print the hypervisor canonical URI\n\n  SYNOPSIS\n    uri\n\n',
  );
});

test('every option kind in SYNOPSIS and OPTIONS, multi-line descriptions indented', () => {
  const decl: CommandDecl = {
    name: 'demo',
    group: 'domain',
    summary: 'show every option kind',
    description: 'First line.\nSecond line.',
    options: [
      { name: 'domain', type: 'string', positional: true, required: true, help: 'domain name' },
      { name: 'count', type: 'number', positional: true, help: 'how many' },
      { name: 'file', type: 'string', required: true, help: 'a file' },
      { name: 'timeout', type: 'number', help: 'seconds' },
      { name: 'force', type: 'bool', help: 'force it' },
      { name: 'rest', type: 'string', positional: true, variadic: true, help: 'the rest' },
    ],
    run: async () => {},
  };
  assert.fixture(
    formatCommandHelp(decl),
    [
      '  NAME',
      '    demo - show every option kind',
      '',
      '  SYNOPSIS',
      '    demo <domain> [<count>] --file <string> [--timeout <number>] [--force] [<rest>]...',
      '',
      '  DESCRIPTION',
      '    First line.',
      '    Second line.',
      '',
      '  OPTIONS',
      '    [--domain] <string>  domain name',
      '    [--count] <number>  how many',
      '    --file <string>  a file',
      '    --timeout <number>  seconds',
      '    --force          force it',
      '    <rest>           the rest',
      '',
      '',
    ].join('\n'),
  );
});

test('grouped help lists groups in virsh order with commands sorted, aliases left out', () => {
  const text = formatGroupedHelp(registry);
  assert.ok(text.startsWith("Grouped commands:\n\n Domain Management (help keyword 'domain'):\n"));
  assert.ok(text.indexOf('Domain Management') < text.indexOf('Host and Hypervisor'));
  assert.ok(text.includes(`    ${'version'.padEnd(30)} show version\n`));
  assert.ok(text.indexOf('Host and Hypervisor') < text.indexOf('Virsh itself'));
  assert.ok(text.includes(`    ${'quit'.padEnd(30)} quit this interactive terminal\n`));
  assert.not.ok(/^ {4}exit /m.test(text));
  assert.ok(text.endsWith('\n\n'));
});

test('group help lists one group', () => {
  const group = registry.findGroup('host');
  assert.ok(group);
  assert.is(
    formatGroupHelp(registry, group!),
    " Host and Hypervisor (help keyword 'host'):\n" +
      `    ${'capabilities'.padEnd(30)} capabilities\n` +
      `    ${'domcapabilities'.padEnd(30)} domain capabilities\n` +
      `    ${'hostname'.padEnd(30)} print the hypervisor hostname\n` +
      `    ${'uri'.padEnd(30)} print the hypervisor canonical URI\n` +
      `    ${'version'.padEnd(30)} show version\n`,
  );
  assert.is(registry.findGroup('Host and Hypervisor'), group);
});

test('usage lists the options and every command', () => {
  const text = formatUsage(registry, 'tsvirsh');
  assert.ok(text.includes('tsvirsh [options]... [<command_string>]\n'));
  assert.ok(text.includes('    -c | --connect=URI      hypervisor connection URI\n'));
  for (const c of registry.commands()) assert.ok(text.includes(`    ${c.name.padEnd(30)} ${c.summary}\n`), c.name);
});

test('a group is listed only once it has commands', () => {
  const small = new CommandRegistry().register({
    name: 'one',
    group: 'network',
    summary: 'one thing',
    run: async () => {},
  });
  assert.is(
    formatGroupedHelp(small),
    "Grouped commands:\n\n Networking (help keyword 'network'):\n" + `    ${'one'.padEnd(30)} one thing\n\n`,
  );
});

test.run();
