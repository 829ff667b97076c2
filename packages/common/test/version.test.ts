/** tsvirt's version: the constant matches the packages, and libvirt's encoding round-trips. */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TSVIRT_VERSION, decodeVersion, encodeVersion } from '../src/version.js';

test('TSVIRT_VERSION is the version of the packages', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.is(TSVIRT_VERSION, pkg.version);
});

test("libvirt's version encoding", () => {
  assert.is(encodeVersion('9.0.0'), 9_000_000);
  assert.is(encodeVersion('7.2.15'), 7_002_015);
  assert.is(encodeVersion('0.1'), 1000);
  assert.is(encodeVersion('garbage'), 0);
  assert.is(decodeVersion(7_002_015), '7.2.15');
  assert.is(decodeVersion(encodeVersion(TSVIRT_VERSION)), TSVIRT_VERSION);
});

test.run();
