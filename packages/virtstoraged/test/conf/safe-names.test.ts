/** Hostile pool and volume names: every name that could escape, hide or break a directory is refused before any I/O. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '@tsvirt/common';
import { assertSafePoolName, assertSafeVolumeName, poolDefFromXml, volDefFromXml } from '../../src/conf/index.js';
import { expectStorageError, poolFor } from './storage-fixtures.js';

const HOSTILE: Array<[label: string, name: string, fragment: string]> = [
  ['empty', '', 'name must not be empty'],
  ['dot', '.', "name '.' is not allowed"],
  ['dot-dot', '..', "name '..' is not allowed"],
  ['parent path', '../../etc/shadow', "name '../../etc/shadow' cannot contain '/'"],
  ['absolute path', '/etc/passwd', "name '/etc/passwd' cannot contain '/'"],
  ['trailing slash', 'disk/', "name 'disk/' cannot contain '/'"],
  ['NUL', 'disk\0.img', "name 'disk\\x00.img' cannot contain control characters"],
  ['newline', 'disk\n.img', "name 'disk\\x0a.img' cannot contain control characters"],
  ['tab', '\tdisk', "name '\\x09disk' cannot contain control characters"],
  ['escape', 'disk\x1b[31m', "name 'disk\\x1b[31m' cannot contain control characters"],
  ['DEL', 'disk\x7f', "name 'disk\\x7f' cannot contain control characters"],
  ['256 ASCII bytes', 'x'.repeat(256), 'is 256 bytes long, more than 255'],
  ['128 two-byte characters', 'é'.repeat(128), 'is 256 bytes long, more than 255'],
];

const ACCEPTED = [
  'disk.qcow2',
  '.hidden',
  'a..b',
  '...',
  'with space',
  'ünïcödé-☃',
  '-leading-dash',
  'x'.repeat(255),
  'é'.repeat(127),
];

/** The message names the kind of object first ("volume name '..' ..."), except where the name is too long to repeat here. */
const expected = (kind: string, fragment: string): string =>
  fragment.startsWith('name')
    ? `${kind} ${fragment}`
    : fragment.replace('more than 255', kind === 'pool' ? 'more than 251' : 'more than 255');

for (const [label, name, fragment] of HOSTILE) {
  test(`volume name refused: ${label}`, () => {
    expectStorageError(() => assertSafeVolumeName(name), ErrorCode.INVALID_ARG, expected('volume', fragment));
  });
  test(`pool name refused: ${label}`, () => {
    expectStorageError(() => assertSafePoolName(name), ErrorCode.INVALID_ARG, expected('pool', fragment));
  });
}

test('ordinary names pass, up to 255 bytes for volumes', () => {
  for (const name of ACCEPTED) assert.not.throws(() => assertSafeVolumeName(name), name);
});

test("pool names leave room for the config file's '.xml' suffix: 251 bytes pass, 252 do not", () => {
  assert.not.throws(() => assertSafePoolName('p'.repeat(251)));
  expectStorageError(
    () => assertSafePoolName('p'.repeat(252)),
    ErrorCode.INVALID_ARG,
    'is 252 bytes long, more than 251',
  );
});

test('the XML parsers apply the same checks (entities cannot smuggle a control character in)', () => {
  const pool = poolFor('dir');
  const vol = (name: string): string => `<volume><name>${name}</name><capacity>1</capacity></volume>`;
  expectStorageError(
    () => volDefFromXml(vol('a&#x2F;b'), pool),
    ErrorCode.INVALID_ARG,
    "volume name 'a/b' cannot contain '/'",
  );
  expectStorageError(() => volDefFromXml(vol('a&#x1;b'), pool), ErrorCode.XML_ERROR, 'storage_volume_definition');
  expectStorageError(() => volDefFromXml(vol('..'), pool), ErrorCode.INVALID_ARG, "volume name '..' is not allowed");
  expectStorageError(() => volDefFromXml(vol(''), pool), ErrorCode.INVALID_ARG, 'volume name must not be empty');
  const poolXml = (name: string): string =>
    `<pool type='dir'><name>${name}</name><target><path>/p</path></target></pool>`;
  expectStorageError(
    () => poolDefFromXml(poolXml('a&#10;b')),
    ErrorCode.INVALID_ARG,
    "pool name 'a\\x0ab' cannot contain",
  );
  expectStorageError(() => poolDefFromXml(poolXml('.')), ErrorCode.INVALID_ARG, "pool name '.' is not allowed");
});

test.run();
