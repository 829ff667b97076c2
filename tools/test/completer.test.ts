/** Tab completion: command names, then the current command's options not yet given. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultRegistry } from '../src/tsvirsh/commands/index.js';
import { complete } from '../src/tsvirsh/completer.js';

const registry = defaultRegistry();

test('the first word completes to command names, a single match with its blank', () => {
  assert.equal(complete(registry, 'ver'), [['version '], 'ver']);
  assert.equal(complete(registry, 'h'), [['help', 'hostname'], 'h']);
  assert.equal(complete(registry, 'zzz'), [[], 'zzz']);
  // an empty line offers every command, in the registry's order
  assert.equal(complete(registry, ''), [registry.commands().map((c) => c.name), '']);
});

test('after ; a new command starts', () => {
  assert.equal(complete(registry, 'uri; hostn'), [['hostname '], 'hostn']);
  assert.equal(complete(registry, 'uri;ec'), [['echo '], 'ec']);
});

test("later words complete to the command's options", () => {
  assert.equal(complete(registry, 'version --d'), [['--daemon '], '--d']);
  assert.equal(complete(registry, 'version '), [['--daemon '], '']);
  assert.equal(complete(registry, 'echo --'), [['--err', '--shell', '--string', '--xml'], '--']);
});

test('options already given are not offered again', () => {
  assert.equal(complete(registry, 'echo --shell --xml --'), [['--err', '--string'], '--']);
  assert.equal(complete(registry, 'version --daemon '), [[], '']);
});

test('no completion for option values, data words or unknown commands', () => {
  assert.equal(complete(registry, 'connect --name '), [[], '']);
  assert.equal(complete(registry, 'connect qemu'), [[], 'qemu']);
  assert.equal(complete(registry, 'nope --'), [[], '--']);
});

test.run();
