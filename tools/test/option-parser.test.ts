/** Option parsing from the declarations: positional, --opt=value, --opt value, errors with virsh's messages. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CommandRegistry, type CommandDecl } from '../src/tsvirsh/command.js';
import { UsageError } from '../src/tsvirsh/errors.js';
import { parseCommand } from '../src/tsvirsh/option-parser.js';

const noop = async (): Promise<void> => {};

const start: CommandDecl = {
  name: 'start',
  aliases: ['boot'],
  group: 'domain',
  summary: 'start a domain',
  options: [
    { name: 'domain', type: 'string', positional: true, required: true, help: 'domain name' },
    { name: 'count', type: 'number', positional: true, help: 'how many' },
    { name: 'console', type: 'bool', help: 'attach to console' },
    { name: 'file', type: 'string', help: 'a file' },
    { name: 'id', type: 'number', help: 'an id' },
  ],
  run: noop,
};

const needsFile: CommandDecl = {
  name: 'define',
  group: 'domain',
  summary: 'define a domain',
  options: [{ name: 'file', type: 'string', required: true, help: 'XML file' }],
  run: noop,
};

const echo: CommandDecl = {
  name: 'echo',
  group: 'virsh',
  summary: 'echo',
  options: [
    { name: 'shell', type: 'bool', help: 'quote' },
    { name: 'string', type: 'string', positional: true, variadic: true, emptyOk: true, help: 'words' },
  ],
  run: noop,
};

const lenient: CommandDecl = {
  name: 'help',
  group: 'virsh',
  summary: 'help',
  lenient: true,
  options: [{ name: 'command', type: 'string', positional: true, help: 'command' }],
  run: noop,
};

const registry = new CommandRegistry().register(start, needsFile, echo, lenient);
const parse = (...words: string[]) => parseCommand(registry, words);

const fails = (words: string[], message: string): void => {
  try {
    parseCommand(registry, words);
  } catch (err) {
    assert.instance(err, UsageError);
    assert.is((err as Error).message, message);
    return;
  }
  assert.unreachable(`expected ${words.join(' ')} to fail`);
};

test('bare words fill the positional options in order, typed', () => {
  const { command, args, help } = parse('start', 'web', '3');
  assert.is(command, start);
  assert.is(help, false);
  assert.is(args.string('domain'), 'web');
  assert.is(args.number('count'), 3);
  assert.is(args.bool('console'), false);
  assert.is(args.string('file'), undefined);
  assert.is(args.has('file'), false);
});

test('--opt value and --opt=value both work, for positional options too', () => {
  const a = parse('start', '--file', '/tmp/x.xml', '--id=42', '--console', 'web');
  assert.is(a.args.string('file'), '/tmp/x.xml');
  assert.is(a.args.number('id'), 42);
  assert.is(a.args.bool('console'), true);
  assert.is(a.args.string('domain'), 'web');
  const b = parse('start', '--count', '2', '--domain=db');
  assert.is(b.args.string('domain'), 'db');
  assert.is(b.args.number('count'), 2);
  assert.is(parse('start', '--file=a=b', 'x').args.string('file'), 'a=b');
});

test('a positional option given by name leaves the queue to the next one', () => {
  const { args } = parse('start', '--domain', 'web', '7');
  assert.is(args.number('count'), 7);
});

test('aliases find the command', () => {
  assert.is(parse('boot', 'web').command, start);
});

test('-- makes every later word data', () => {
  const { args } = parse('echo', '--shell', '--', '--not-an-option', '-x');
  assert.equal(args.list('string'), ['--not-an-option', '-x']);
  assert.is(args.bool('shell'), true);
});

test('a variadic option takes every remaining word, empty ones too', () => {
  assert.equal(parse('echo', 'a', '', 'c').args.list('string'), ['a', '', 'c']);
  assert.equal(parse('echo').args.list('string'), []);
  assert.equal(parse('echo', '--string', 'a', 'b', '--string=c').args.list('string'), ['a', 'b', 'c']);
});

test('unknown command and unknown option', () => {
  fails(['foo'], "unknown command: 'foo'");
  fails(['start', 'web', '--bar'], "command 'start' doesn't support option --bar");
  fails(['start', 'web', '--bar=1'], "command 'start' doesn't support option --bar");
});

test('missing required options name them as virsh does', () => {
  fails(['start'], "command 'start' requires <domain> option");
  fails(['start', '--console'], "command 'start' requires <domain> option");
  fails(['define'], "command 'define' requires --file option");
});

test('bad values, repeated options, stray words', () => {
  fails(['start', 'web', '--file'], 'expected syntax: --file <string>');
  fails(['start', 'web', '--id'], 'expected syntax: --id <number>');
  fails(['start', 'web', 'x3'], "Numeric value 'x3' for <count> option is malformed or out of range");
  fails(['start', 'web', '--id=1.5'], "Numeric value '1.5' for <id> option is malformed or out of range");
  fails(['start', 'web', '--console=yes'], "invalid '=' after option --console");
  fails(['start', 'web', '--console', '--console'], 'option --console already seen');
  fails(['start', 'web', '1', 'extra'], "unexpected data 'extra'");
  fails(['start', ''], "Failed to get option 'domain': Option argument is empty");
});

test('--help anywhere asks for help and skips the required check', () => {
  const { command, help } = parse('start', '--help');
  assert.is(command, start);
  assert.is(help, true);
  assert.is(parse('define', '--file', 'x', '--help').help, true);
});

test('a lenient command ignores unknown options and extra words', () => {
  const { args } = parse('help', '--whatever', 'version', 'extra', '--more=1');
  assert.is(args.string('command'), 'version');
});

test('getters refuse undeclared names and wrong types: a programming error', () => {
  const { args } = parse('start', 'web');
  assert.throws(() => args.string('nope'));
  assert.throws(() => args.number('domain'));
  assert.throws(() => args.list('domain'));
});

test.run();
