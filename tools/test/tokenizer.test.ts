/** The command-line tokenizer: blanks, quotes, escapes, `;`, comments, and the lenient scan for completion. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UsageError } from '../src/tsvirsh/errors.js';
import { scanPartial, tokenize } from '../src/tsvirsh/tokenizer.js';

const throwsUsage = (text: string, message: string): void => {
  try {
    tokenize(text);
  } catch (err) {
    assert.instance(err, UsageError);
    assert.is((err as Error).message, message);
    return;
  }
  assert.unreachable(`expected ${JSON.stringify(text)} to fail`);
};

test('blanks separate words, runs of blanks and tabs count once', () => {
  assert.equal(tokenize('  version \t --daemon  '), [['version', '--daemon']]);
  assert.equal(tokenize(''), []);
  assert.equal(tokenize('   '), []);
});

test('; and newlines separate commands, empty commands are dropped', () => {
  assert.equal(tokenize('version; uri'), [['version'], ['uri']]);
  assert.equal(tokenize('version;uri;;  ;hostname\nquit'), [['version'], ['uri'], ['hostname'], ['quit']]);
});

test('single quotes keep everything literally, backslashes and ; included', () => {
  assert.equal(tokenize(`echo 'a  b' 'c;d' 'x\\y' '"q"'`), [['echo', 'a  b', 'c;d', 'x\\y', '"q"']]);
});

test('double quotes keep blanks and ; but honour backslash escapes', () => {
  assert.equal(tokenize('echo "a  b;c" "say \\"hi\\"" "it\'s"'), [['echo', 'a  b;c', 'say "hi"', "it's"]]);
});

test('a backslash escapes the next character outside quotes', () => {
  assert.equal(tokenize('echo a\\ b c\\;d \\\\'), [['echo', 'a b', 'c;d', '\\']]);
});

test('quotes join with the text around them into one word', () => {
  assert.equal(tokenize(`echo pre"mid dle"'post x'end`), [['echo', 'premid dlepost xend']]);
  assert.equal(tokenize(`echo '' ""`), [['echo', '', '']]);
});

test('a backslash-newline is a line continuation', () => {
  assert.equal(tokenize('echo a \\\n b'), [['echo', 'a', 'b']]);
});

test('a word starting with # comments out the rest of the line', () => {
  assert.equal(tokenize('echo a # b; c\nuri'), [['echo', 'a'], ['uri']]);
  assert.equal(tokenize('echo a#b'), [['echo', 'a#b']]);
});

test('unterminated quotes and a dangling backslash are errors, with virsh messages', () => {
  throwsUsage('echo "abc', 'missing "');
  throwsUsage("echo 'abc", "missing '");
  throwsUsage('echo abc\\', 'dangling \\');
});

test('the lenient scan tells which word is being typed', () => {
  assert.equal(scanPartial('vers'), { commands: [['vers']], partial: { raw: 'vers', value: 'vers' } });
  assert.equal(scanPartial('version '), { commands: [['version']], partial: undefined });
  assert.equal(scanPartial('uri; version --da'), {
    commands: [['uri'], ['version', '--da']],
    partial: { raw: '--da', value: '--da' },
  });
  assert.equal(scanPartial('uri;'), { commands: [['uri'], []], partial: undefined });
  assert.equal(scanPartial('echo "ab'), { commands: [['echo', 'ab']], partial: { raw: '"ab', value: 'ab' } });
});

test.run();
