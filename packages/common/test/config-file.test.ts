/** parseConfigText: libvirt's `key = value` syntax, and errors that name file, line and key. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfigText, type ConfigValue } from '../src/daemon/config-file.js';
import { ErrorCode, ErrorDomain } from '../src/errors/error-codes.js';
import { VirError } from '../src/errors/vir-error.js';

const FILE = '/etc/tsvirt/virtqemud.conf';

function valueOf(line: string): ConfigValue {
  const entries = parseConfigText(line, FILE);
  assert.is(entries.length, 1);
  return entries[0]!.value;
}

const values: [string, ConfigValue][] = [
  ['a = "text"', 'text'],
  ["a = 'text'", 'text'],
  ['a = ""', ''],
  ['a = "say \\"hi\\""', 'say "hi"'],
  ['a = "back\\\\slash"', 'back\\slash'],
  ['a = "C:\\temp"', 'C:\\temp'],
  ["a = 'a\\b'", 'a\\b'],
  ['a = "has # hash"', 'has # hash'],
  ['a = \'a "quoted" word\'', 'a "quoted" word'],
  ['a = 42', 42],
  ['a = 0', 0],
  ['a = -1', -1],
  ['a = 0777', 777],
  ['a = []', []],
  ['a = [ "x", \'y\', 3 ]', ['x', 'y', 3]],
  ['a = ["x",]', ['x']],
  ['a = [[1, 2], "b"]', [[1, 2], 'b']],
  ['a=1', 1],
  ['\t a \t=\t"x"\t ', 'x'],
  ['a = 5 # trailing comment', 5],
  ['a = "x"# comment right after', 'x'],
  ['a = [ 1, 2 ] # after a list', [1, 2]],
];

for (const [text, expected] of values) {
  test(`value: ${text}`, () => {
    assert.equal(valueOf(text), expected);
  });
}

test('a whole file: comments, blank lines, CRLF, multi-line lists with trailing comma', () => {
  const text = [
    '# virtqemud.conf',
    '',
    'log_level = 1   # debug',
    '   ',
    '  # indented comment',
    'log_filters = "1:rpc 3:qemu"',
    'users = [',
    '  "root",   # the admin',
    '',
    "  'qemu',",
    ']',
    'max_clients = 10\r',
    'last = -5',
  ].join('\n');
  assert.equal(parseConfigText(text, FILE), [
    { key: 'log_level', value: 1, line: 3 },
    { key: 'log_filters', value: '1:rpc 3:qemu', line: 6 },
    { key: 'users', value: ['root', 'qemu'], line: 7 },
    { key: 'max_clients', value: 10, line: 12 },
    { key: 'last', value: -5, line: 13 },
  ]);
});

test('empty and comment-only files have no entries', () => {
  assert.equal(parseConfigText('', FILE), []);
  assert.equal(parseConfigText('# nothing\n\n   # here\n', FILE), []);
});

// [what, text, line of the error, key named (if any), message detail]
const syntaxErrors: [string, string, number, string | undefined, string][] = [
  ['missing value', 'a = 1\nlog_level =\n', 2, 'log_level', "expected a value after '=' for key 'log_level'"],
  ['comment for value', 'log_level = # 3', 1, 'log_level', "expected a value after '=' for key 'log_level'"],
  ['missing =', '\n\nlog_level 3', 3, 'log_level', "expected '=' after key 'log_level'"],
  ['key alone', 'log_level\n', 1, 'log_level', "expected '=' after key 'log_level'"],
  ['bad key start', '1abc = 2', 1, undefined, "expected a setting name, found '1abc'"],
  ['bad key char', 'log-level = 2', 1, undefined, "invalid setting name 'log-level'"],
  ['unquoted string', 'a = 1\nlisten = yes', 2, 'listen', "invalid value 'yes' for key 'listen'"],
  ['not an integer', 'ratio = 1.5', 1, 'ratio', "invalid value '1.5' for key 'ratio'"],
  ['lone minus', 'a = -', 1, 'a', "invalid value '-' for key 'a'"],
  ['unsafe integer', 'big = 99999999999999999999', 1, 'big', "integer '99999999999999999999' out of range"],
  ['garbage after value', 'a = "x" y', 1, 'a', "unexpected 'y' after the value of key 'a'"],
  ['two values', 'a = 1 2', 1, 'a', "unexpected '2' after the value of key 'a'"],
  ['unterminated "', 'a = 1\nb = "open', 2, 'b', "unterminated string for key 'b'"],
  ["unterminated '", "b = 'open\nc = 1", 1, 'b', "unterminated string for key 'b'"],
  ['escaped closing quote', 'b = "open\\"', 1, 'b', "unterminated string for key 'b'"],
  ['unterminated list', 'a = 1\nusers = [\n  "root",\n  "qemu"\n', 2, 'users', "unterminated list for key 'users'"],
  ['missing comma', 'users = [\n  "root"\n  "qemu"\n]', 3, 'users', "expected ',' or ']' in the list for key"],
  ['empty list item', 'users = [ "a", , "b" ]', 1, 'users', "expected a value in the list for key 'users'"],
  ['bare word in list', 'users = [ root ]', 1, 'users', "invalid value 'root' for key 'users'"],
  ['duplicate key', 'a = 1\n# again\na = 2', 3, 'a', "duplicate setting 'a' (already set on line 1)"],
];

for (const [what, text, line, key, detail] of syntaxErrors) {
  test(`syntax error: ${what}`, () => {
    try {
      parseConfigText(text, FILE);
      assert.unreachable('should have thrown');
    } catch (err) {
      if (!(err instanceof VirError)) throw err;
      assert.is(err.code, ErrorCode.CONF_SYNTAX);
      assert.is(err.domain, ErrorDomain.CONF);
      assert.is(err.str1, FILE);
      assert.is(err.int1, line);
      assert.is(err.str2, key);
      const prefix = `configuration file syntax error: ${FILE}:${line}: `;
      assert.ok(err.message.startsWith(prefix), `message was: ${err.message}`);
      assert.ok(err.message.includes(detail), `message was: ${err.message}`);
    }
  });
}

test.run();
