/** Golden tests for domain XML: in/ → out/ after parse + post-parse, expected failures, schema and round-trip checks. */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, VirError } from '@tsvirt/common';
import { domainDefFromXml, formatDomainDef, parseDomainDef } from '../../src/conf/domain-xml.js';
import { parseXmlSafe, validateRng } from '../../src/conf/xml-parse.js';
import { domainSchemaPath } from '../../src/conf/schema-path.js';

const FIXTURES = new URL('../../../test/fixtures/domainxml2xml/', import.meta.url);
const read = (rel: string): string => readFileSync(new URL(rel, FIXTURES), 'utf8');
const list = (dir: string): string[] =>
  readdirSync(fileURLToPath(new URL(dir, FIXTURES)))
    .filter((f) => f.endsWith('.xml'))
    .map((f) => f.slice(0, -4))
    .sort();

/** Fixed generators so that fixtures without a MAC stay byte-stable. */
const DETERMINISTIC = {
  generateUuid: () => '00000000-0000-4000-8000-000000000001',
  generateMacTail: () => new Uint8Array([1, 2, 3]),
};

function roundTrip(xml: string): string {
  return formatDomainDef(domainDefFromXml(xml, DETERMINISTIC), { inactive: true });
}

function expectVirError(fn: () => unknown, code: number, fragment: string): VirError {
  try {
    fn();
  } catch (err) {
    assert.instance(err, VirError);
    const e = err as VirError;
    assert.is(e.codeName, new VirError(code as ErrorCode, 0, '').codeName, `code for: ${e.message}`);
    assert.ok(e.message.includes(fragment), `message '${e.message}' should include '${fragment}'`);
    return e;
  }
  assert.unreachable('expected a VirError');
  throw new Error('unreachable');
}

// ---- in → out ------------------------------------------------------------------

const GOOD = [
  'boot-order',
  'chardevs',
  'explicit-address',
  'full',
  'kernel-boot',
  'minimal',
  'q35-addressed',
  'uefi-spice',
];

test('every in/ fixture is in the table and has an out/', () => {
  assert.equal(list('in/'), GOOD);
  assert.equal(list('out/'), GOOD);
});

for (const name of GOOD) {
  test(`xml2xml ${name}`, () => {
    assert.fixture(roundTrip(read(`in/${name}.xml`)), read(`out/${name}.xml`));
  });

  test(`out/${name}.xml validates against the schema`, () => {
    validateRng(parseXmlSafe(read(`out/${name}.xml`)), domainSchemaPath(), name);
  });

  test(`out/${name}.xml round-trips unchanged`, () => {
    const out = read(`out/${name}.xml`);
    // format(parse(out)) alone: the output is already complete, so nothing is lost or added...
    assert.fixture(formatDomainDef(parseDomainDef(out), { inactive: true }), out);
    // ...and post-parse on it is a no-op.
    assert.fixture(roundTrip(out), out);
  });
}

// ---- expected failures ---------------------------------------------------------

const INVALID: Array<[name: string, code: number, fragment: string]> = [
  ['malformed', ErrorCode.XML_ERROR, 'line 2'],
  ['xxe', ErrorCode.XML_ERROR, 'DOCTYPE is not allowed'],
  ['billion-laughs', ErrorCode.XML_ERROR, 'entity'],
  ['unknown-element', ErrorCode.XML_INVALID_SCHEMA, 'unknown element <foo> at line 10'],
  ['unknown-top-element', ErrorCode.XML_INVALID_SCHEMA, 'unknown element <bogus>'],
  ['unknown-attribute', ErrorCode.XML_INVALID_SCHEMA, "unknown attribute 'colour' of element <disk>"],
  ['missing-name', ErrorCode.XML_INVALID_SCHEMA, 'element name'],
  ['memory-unit-unknown', ErrorCode.XML_INVALID_SCHEMA, 'Invalid attribute unit for element memory'],
  ['domain-xen', ErrorCode.CONFIG_UNSUPPORTED, "<domain type> 'xen'"],
  ['os-firmware-efi', ErrorCode.CONFIG_UNSUPPORTED, "<os> attribute firmware 'efi'"],
  ['features-hyperv', ErrorCode.CONFIG_UNSUPPORTED, "<features> element 'hyperv'"],
  ['disk-network', ErrorCode.CONFIG_UNSUPPORTED, "<disk type> 'network'"],
  ['disk-bus-usb', ErrorCode.CONFIG_UNSUPPORTED, "<disk> <target bus> 'usb'"],
  ['disk-format-vmdk', ErrorCode.CONFIG_UNSUPPORTED, "<disk> <driver type> 'vmdk'"],
  ['interface-direct', ErrorCode.CONFIG_UNSUPPORTED, "<interface type> 'direct'"],
  ['net-model-unknown', ErrorCode.CONFIG_UNSUPPORTED, "<interface> <model type> 'ne2k_pci'"],
  ['graphics-sdl', ErrorCode.CONFIG_UNSUPPORTED, "<graphics type> 'sdl'"],
  ['video-acceleration', ErrorCode.CONFIG_UNSUPPORTED, "<video> <model> child 'acceleration'"],
  ['serial-udp', ErrorCode.CONFIG_UNSUPPORTED, "<serial type> 'udp'"],
  ['rng-egd', ErrorCode.CONFIG_UNSUPPORTED, "<rng> <backend model> 'egd'"],
  ['watchdog-diag288', ErrorCode.CONFIG_UNSUPPORTED, "<watchdog model> 'diag288'"],
  ['usb-input-no-controller', ErrorCode.CONFIG_UNSUPPORTED, "needs a <controller type='usb'>"],
  ['q35-auto-pci', ErrorCode.CONFIG_UNSUPPORTED, "machine 'q35'"],
  ['name-slash', ErrorCode.XML_DETAIL, "domain name 'etc/passwd'"],
  ['duplicate-target', ErrorCode.XML_DETAIL, "target 'vda' duplicated"],
  ['duplicate-boot-order', ErrorCode.XML_DETAIL, "boot order '1'"],
  ['current-memory-exceeds', ErrorCode.XML_DETAIL, "currentMemory '1048576' KiB must not exceed memory '524288' KiB"],
  ['topology-mismatch', ErrorCode.XML_DETAIL, 'does not match the maximum vcpu count'],
  ['multicast-mac', ErrorCode.XML_DETAIL, "'01:00:5e:00:00:01' is a multicast address"],
  ['pci-address-clash', ErrorCode.XML_DETAIL, 'PCI address 0000:00:03.0 is used by both'],
];

test('every invalid/ fixture is in the table', () => {
  assert.equal(list('invalid/'), INVALID.map(([n]) => n).sort());
});

for (const [name, code, fragment] of INVALID) {
  test(`invalid ${name}`, () => {
    expectVirError(() => domainDefFromXml(read(`invalid/${name}.xml`), DETERMINISTIC), code, fragment);
  });
}

test.run();
