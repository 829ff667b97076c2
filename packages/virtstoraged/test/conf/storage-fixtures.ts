/** Test support for the storage XML tests: fixture files, reference pools, and libvirt itself as an oracle. */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import libxml from 'libxmljs2';
import * as assert from 'uvu/assert';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import { virErrorOf } from '@tsvirt/common/testing';
import { poolDefFromXml, type PoolDef } from '../../src/conf/index.js';

export type FixtureKind = 'poolxml2xml' | 'volxml2xml';

function fixtureUrl(kind: FixtureKind, rel: string): URL {
  return new URL(`../../../test/fixtures/${kind}/${rel}`, import.meta.url);
}

export function fixturePath(kind: FixtureKind, rel: string): string {
  return fileURLToPath(fixtureUrl(kind, rel));
}

export function readFixture(kind: FixtureKind, rel: string): string {
  return readFileSync(fixtureUrl(kind, rel), 'utf8');
}

/** Fixture names (without .xml) in `dir` of `kind`, sorted. */
export function listFixtures(kind: FixtureKind, dir: string): string[] {
  return readdirSync(fixturePath(kind, dir))
    .filter((f) => f.endsWith('.xml'))
    .map((f) => f.slice(0, -4))
    .sort();
}

/** For definitions without a UUID, so that their out/ fixture stays byte-stable. */
export const FIXED_UUID = '00000000-0000-4000-8000-000000000001';
export const DETERMINISTIC = { generateUuid: () => FIXED_UUID };

/** One pool per type a volume fixture can belong to: its name starts with the pool type ('dir-raw'). */
const POOL_XML: Record<string, string> = {
  dir: "<pool type='dir'><name>p-dir</name><target><path>/var/lib/tsvirt/images</path></target></pool>",
  fs: "<pool type='fs'><name>p-fs</name><source><device path='/dev/vdb'/></source><target><path>/mnt/fs</path></target></pool>",
  netfs:
    "<pool type='netfs'><name>p-netfs</name><source><host name='nfs.example.com'/><dir path='/export'/></source>" +
    '<target><path>/mnt/netfs</path></target></pool>',
  logical: "<pool type='logical'><name>vg0</name><source><device path='/dev/sdb'/></source></pool>",
};

export function poolXmlFor(volFixture: string): string {
  const xml = POOL_XML[volFixture.split('-')[0] ?? ''];
  if (!xml) throw new Error(`volume fixture '${volFixture}' does not start with a known pool type`);
  return xml;
}

export function poolFor(volFixture: string): PoolDef {
  return poolDefFromXml(poolXmlFor(volFixture), DETERMINISTIC);
}

/** Asserts that `fn` fails with a VirError of `code` in the STORAGE domain whose message includes `fragment`. */
export function expectStorageError(fn: () => unknown, code: ErrorCode, fragment: string): VirError {
  const err = virErrorOf(fn);
  assert.is(err.codeName, new VirError(code, ErrorDomain.STORAGE, '').codeName, `code of: ${err.message}`);
  assert.is(err.domain, ErrorDomain.STORAGE, `domain of: ${err.message}`);
  assert.ok(err.message.includes(fragment), `message '${err.message}' should include '${fragment}'`);
  return err;
}

/** Debian's libvirt0 ships libvirt's RelaxNG schemas: an independent check of our output. */
const LIBVIRT_SCHEMAS = '/usr/share/libvirt/schemas/';

/** libxml's complaints about `xml` against libvirt's own `rng` ([] when valid); the base URL resolves its includes. */
export function libvirtSchemaErrors(
  xml: string,
  rng: 'storagepool.rng' | 'storagevol.rng' | 'storagepoolcaps.rng',
): string[] {
  const path = `${LIBVIRT_SCHEMAS}${rng}`;
  const schema = libxml.parseXml(readFileSync(path, 'utf8'), { baseUrl: path });
  const doc = libxml.parseXml(xml) as unknown as {
    rngValidate(s: unknown): boolean;
    validationErrors: Array<{ message?: string }>;
  };
  return doc.rngValidate(schema) ? [] : doc.validationErrors.map((e) => (e.message ?? '').trim());
}

/**
 * Runs virsh commands against libvirt's in-process test driver (test:///default): the real
 * libvirt storage_conf parser and formatter, with no daemon and no host changes.
 */
export function virshTestDriver(commands: string[]): string {
  return execFileSync('virsh', ['-q', '-c', 'test:///default', commands.join('; ')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20_000,
  });
}

/** Writes `xml` to a scratch file for virsh and returns its path. */
export function scratchFile(dir: string, name: string, xml: string): string {
  const path = `${dir}/${name}`;
  writeFileSync(path, xml);
  return path;
}
