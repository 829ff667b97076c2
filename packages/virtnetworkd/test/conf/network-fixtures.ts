/** Test support for the network XML tests: fixture files, libvirt's schema and test driver as oracles. */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import libxml from 'libxmljs2';
import * as assert from 'uvu/assert';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import { virErrorOf } from '@tsvirt/common/testing';

function fixtureUrl(rel: string): URL {
  return new URL(`../../../test/fixtures/networkxml2xml/${rel}`, import.meta.url);
}

export function fixturePath(rel: string): string {
  return fileURLToPath(fixtureUrl(rel));
}

export function readFixture(rel: string): string {
  return readFileSync(fixtureUrl(rel), 'utf8');
}

/** Fixture names (without .xml) in `dir`, sorted. */
export function listFixtures(dir: string): string[] {
  return readdirSync(fixturePath(dir))
    .filter((f) => f.endsWith('.xml'))
    .map((f) => f.slice(0, -4))
    .sort();
}

/** For definitions without a UUID or bridge MAC, so that their out/ fixture stays byte-stable. */
export const FIXED_UUID = '00000000-0000-4000-8000-000000000001';
export const FIXED_MAC = '52:54:00:00:00:01';
export const DETERMINISTIC = { generateUuid: () => FIXED_UUID, generateMac: () => FIXED_MAC };

/** Asserts that `fn` fails with a VirError of `code` in the NETWORK domain whose message is exactly `message`. */
export function expectNetworkError(fn: () => unknown, code: ErrorCode, message: string): VirError {
  const err = virErrorOf(fn);
  assert.is(err.codeName, new VirError(code, ErrorDomain.NETWORK, '').codeName, `code of: ${err.message}`);
  assert.is(err.domain, ErrorDomain.NETWORK, `domain of: ${err.message}`);
  assert.is(err.message, message);
  return err;
}

/** Debian's libvirt0 ships libvirt's RelaxNG schemas: an independent check of our output. */
export function libvirtNetworkSchemaErrors(xml: string): string[] {
  const path = '/usr/share/libvirt/schemas/network.rng';
  const schema = libxml.parseXml(readFileSync(path, 'utf8'), { baseUrl: path });
  const doc = libxml.parseXml(xml) as unknown as {
    rngValidate(s: unknown): boolean;
    validationErrors: Array<{ message?: string }>;
  };
  return doc.rngValidate(schema) ? [] : doc.validationErrors.map((e) => (e.message ?? '').trim());
}

/**
 * Runs virsh commands against libvirt's in-process test driver (test:///default): libvirt's own
 * network_conf parser and formatter, with no daemon and no host changes.
 */
export function virshTestDriver(commands: string[]): string {
  return execFileSync('virsh', ['-q', '-c', 'test:///default', commands.join('; ')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20_000,
  });
}
