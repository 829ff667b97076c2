/** Running command lines in memory: parse-then-run, blank lines, quit, failures, the lazy connection. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CommandDecl } from '../src/tsvirsh/command.js';
import { defaultRegistry } from '../src/tsvirsh/commands/index.js';
import { CommandError } from '../src/tsvirsh/errors.js';
import { Executor } from '../src/tsvirsh/executor.js';
import { BufferOutput } from '../src/tsvirsh/output.js';
import { Session } from '../src/tsvirsh/session.js';
import { envFor, makeRoot, removeRoot } from './helpers.js';

/** A session whose URI names a socket nobody listens on: opening it fails, and never autostarts. */
const unreachable = (): Session => new Session('qemu:///session?socket=/nonexistent/sock', false);

const fail: CommandDecl = {
  name: 'fail',
  group: 'virsh',
  summary: 'always fails',
  run: async () => {
    throw new CommandError('first line', 'second line');
  },
};

const setup = (quiet = false) => {
  const out = new BufferOutput(quiet);
  const executor = new Executor(defaultRegistry().register(fail), unreachable(), out);
  return { out, executor };
};

test('each command is followed by a blank line, as in virsh', async () => {
  const { out, executor } = setup();
  assert.is(await executor.runLine('echo a; echo "b  c"'), true);
  assert.is(out.stdout, 'a\n\nb  c\n\n');
  assert.is(out.stderr, '');
});

test('quiet mode drops the blank lines', async () => {
  const { out, executor } = setup(true);
  await executor.runLine('echo a; echo b');
  assert.is(out.stdout, 'a\nb\n');
});

test('a syntax error anywhere on the line runs nothing', async () => {
  const { out, executor } = setup();
  assert.is(await executor.runLine('echo a; nope'), false);
  assert.is(out.stdout, '');
  assert.is(out.stderr, "error: unknown command: 'nope'\n");
});

test('a failing command prints its error lines, the next still runs, the last decides', async () => {
  const { out, executor } = setup();
  assert.is(await executor.runLine('fail; echo after'), true);
  assert.is(out.stderr, 'error: first line\nerror: second line\n');
  assert.is(out.stdout, '\nafter\n\n');
  assert.is(await executor.runLine('echo before; fail'), false);
});

test('quit stops the rest of the line', async () => {
  const { out, executor } = setup();
  assert.is(await executor.runLine('echo a; quit; echo b'), true);
  assert.is(executor.quitRequested, true);
  assert.is(out.stdout, 'a\n\n');
  const again = setup();
  await again.executor.runLine('exit');
  assert.is(again.executor.quitRequested, true);
});

test('COMMAND --help prints the help instead of running it', async () => {
  const { out, executor } = setup();
  assert.is(await executor.runLine('fail --help'), true);
  assert.ok(out.stdout.startsWith('  NAME\n    fail - always fails\n'));
});

test('help with a group, a command, an alias and an unknown name', async () => {
  const { out, executor } = setup();
  await executor.runLine('help host');
  assert.ok(out.stdout.startsWith(" Host and Hypervisor (help keyword 'host'):\n"));
  out.stdout = '';
  await executor.runLine('help exit');
  assert.ok(out.stdout.startsWith('  NAME\n    quit - quit this interactive terminal\n'));
  assert.is(await executor.runLine('help nope'), false);
  assert.is(out.stderr, "error: command or command group 'nope' doesn't exist\n");
});

test('echo quoting for the shell and for XML, and to stderr', async () => {
  const { out, executor } = setup();
  await executor.runWords(['echo', '--shell', 'plain', 'a b', "it's", '']);
  await executor.runWords(['echo', '--xml', '<a href="x">&\'</a>']);
  await executor.runWords(['echo', '--err', 'oops']);
  await executor.runWords(['echo']);
  assert.is(out.stdout, `plain 'a b' 'it'\\''s' ''\n\n&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;\n\n\n\n`);
  assert.is(out.stderr, 'error: oops\n');
});

test('commands that need no connection never open one; one that does reports the two lines', async () => {
  const { out, executor } = setup();
  await executor.runLine('echo x; help uri');
  assert.is(out.stderr, '');
  assert.is(await executor.runLine('uri'), false);
  assert.match(out.stderr, /^error: failed to connect to the hypervisor\nerror: .*\/nonexistent\/sock.*\n$/);
});

test('connect to an unreachable URI fails and keeps that URI for the next command', async () => {
  const root = makeRoot();
  try {
    const out = new BufferOutput();
    const executor = new Executor(defaultRegistry(), new Session(undefined, false, envFor(root)), out);
    assert.is(await executor.runLine("connect 'qemu:///session?socket=/nonexistent/other'"), false);
    assert.is(await executor.runLine('hostname'), false);
    assert.is(out.stderr.split('\n').filter((l) => l.includes('/nonexistent/other')).length, 2);
  } finally {
    removeRoot(root);
  }
});

test.run();
