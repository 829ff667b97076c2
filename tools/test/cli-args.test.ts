/** tsvirsh's own options, getopt-style, and how the rest of argv becomes the command. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCliArgs } from '../src/tsvirsh/cli-args.js';
import { UsageError } from '../src/tsvirsh/errors.js';

const fails = (argv: string[], message: string): void => {
  try {
    parseCliArgs(argv);
  } catch (err) {
    assert.instance(err, UsageError);
    assert.is((err as Error).message, message);
    return;
  }
  assert.unreachable(`expected ${argv.join(' ')} to fail`);
};

test('no arguments: the shell, default URI, read-write', () => {
  assert.equal(parseCliArgs([]), { uri: undefined, readonly: false, quiet: false, action: 'run', command: undefined });
});

test('every spelling of --connect', () => {
  for (const argv of [
    ['-c', 'qemu:///session'],
    ['-cqemu:///session'],
    ['--connect', 'qemu:///session'],
    ['--connect=qemu:///session'],
  ]) {
    assert.is(parseCliArgs(argv).uri, 'qemu:///session', argv.join(' '));
  }
});

test('bundled short flags', () => {
  const cli = parseCliArgs(['-rqc', 'x:///session']);
  assert.is(cli.readonly, true);
  assert.is(cli.quiet, true);
  assert.is(cli.uri, 'x:///session');
  assert.is(parseCliArgs(['--readonly', '--quiet']).readonly, true);
});

test('one word is a command string, more words one command; options stop at the first word', () => {
  assert.equal(parseCliArgs(['-c', 'u', 'version; uri']).command, { kind: 'string', text: 'version; uri' });
  assert.equal(parseCliArgs(['version', '--daemon', '-r']).command, {
    kind: 'argv',
    words: ['version', '--daemon', '-r'],
  });
  assert.is(parseCliArgs(['version', '--daemon', '-r']).readonly, false);
  assert.equal(parseCliArgs(['--', '-weird']).command, { kind: 'string', text: '-weird' });
});

test('help and version act at once', () => {
  assert.is(parseCliArgs(['-h', '--bogus']).action, 'help');
  assert.is(parseCliArgs(['--help']).action, 'help');
  assert.is(parseCliArgs(['-v']).action, 'version');
  assert.is(parseCliArgs(['--version']).action, 'version');
  assert.is(parseCliArgs(['--version=short']).action, 'version');
  assert.is(parseCliArgs(['--version=long']).action, 'long-version');
  assert.is(parseCliArgs(['-V']).action, 'long-version');
});

test("unknown options and missing values, in virsh's words", () => {
  fails(['-x'], "unsupported option '-x'. See --help.");
  fails(['--bogus'], "unsupported option '--bogus'. See --help.");
  fails(['--readonly=yes'], "unsupported option '--readonly=yes'. See --help.");
  fails(['-c'], "option '-c'/'--connect' requires an argument");
  fails(['--connect'], "option '-c'/'--connect' requires an argument");
});

test.run();
