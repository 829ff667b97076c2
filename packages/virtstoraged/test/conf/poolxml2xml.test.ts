/** Golden tests for pool XML: in/ → out/ after parse + post-parse, libvirt's own output and schema, expected failures. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, ErrorDomain } from '@tsvirt/common';
import { parseXmlSafe, validateRng } from '@tsvirt/common/xml';
import { formatPoolDef, parsePoolDef, poolDefFromXml, poolSchemaPath } from '../../src/conf/index.js';
import {
  DETERMINISTIC,
  FIXED_UUID,
  expectStorageError,
  fixturePath,
  libvirtSchemaErrors,
  listFixtures,
  readFixture,
  virshTestDriver,
} from './storage-fixtures.js';

const KIND = 'poolxml2xml';
const read = (rel: string): string => readFixture(KIND, rel);

function roundTrip(xml: string): string {
  return formatPoolDef(poolDefFromXml(xml, DETERMINISTIC));
}

const GOOD = [
  'dir-cow',
  'dir-full',
  'dir-minimal',
  'dir-no-uuid',
  'disk-gpt',
  'fs-default-format',
  'fs-ext4',
  'logical',
  'logical-name-default',
  'logical-pool-name-from-source',
  'netfs-default-format',
  'netfs-nfs',
];

test('every in/ fixture is in the table and has an out/', () => {
  assert.equal(listFixtures(KIND, 'in/'), GOOD);
  assert.equal(listFixtures(KIND, 'out/'), GOOD);
});

/**
 * libvirt's sizes come from its test driver's fake pool (100 GiB) and a definition
 * without <uuid> gets a random one; everything else must be byte-identical.
 */
function comparableLibvirtOutput(virshOut: string, inXml: string): string {
  let out = virshOut.replace(/<(capacity|allocation|available) unit='bytes'>\d+</g, "<$1 unit='bytes'>0<");
  if (!inXml.includes('<uuid>')) out = out.replace(/<uuid>[^<]*<\/uuid>/, `<uuid>${FIXED_UUID}</uuid>`);
  return out.replace(/\n+$/, '\n');
}

for (const name of GOOD) {
  test(`poolxml2xml ${name}`, () => {
    assert.fixture(roundTrip(read(`in/${name}.xml`)), read(`out/${name}.xml`));
  });

  test(`poolxml2xml ${name}: libvirt's pool-define + pool-dumpxml prints the same`, () => {
    const out = read(`out/${name}.xml`);
    const poolName = /<name>([^<]+)<\/name>/.exec(out)?.[1] ?? '';
    const virsh = virshTestDriver([`pool-define ${fixturePath(KIND, `in/${name}.xml`)}`, `pool-dumpxml ${poolName}`]);
    assert.fixture(comparableLibvirtOutput(virsh, read(`in/${name}.xml`)), out);
  });

  test(`out/${name}.xml validates against tsvirt's schema and libvirt's installed storagepool.rng`, () => {
    const out = read(`out/${name}.xml`);
    validateRng(parseXmlSafe(out, name, ErrorDomain.STORAGE), out, poolSchemaPath(), name, ErrorDomain.STORAGE);
    assert.equal(libvirtSchemaErrors(out, 'storagepool.rng'), []);
  });

  test(`out/${name}.xml round-trips unchanged`, () => {
    const out = read(`out/${name}.xml`);
    assert.fixture(formatPoolDef(parsePoolDef(out)), out);
    assert.fixture(roundTrip(out), out);
  });
}

test('a pool without <uuid> gets a fresh random v4 UUID each time', () => {
  const xml = read('in/dir-no-uuid.xml');
  const a = poolDefFromXml(xml).uuid ?? '';
  const b = poolDefFromXml(xml).uuid ?? '';
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.is.not(a, b);
});

test('sizes filled by the driver are written in bytes; the parser ignores sizes in the input, as libvirt does', () => {
  const def = poolDefFromXml(read('in/dir-full.xml'));
  assert.equal([def.capacity, def.allocation, def.available], [undefined, undefined, undefined]);
  const xml = formatPoolDef({ ...def, capacity: 107374182400, allocation: 1024, available: 107374181376 });
  assert.ok(xml.includes("  <capacity unit='bytes'>107374182400</capacity>\n"));
  assert.ok(xml.includes("  <allocation unit='bytes'>1024</allocation>\n"));
  assert.ok(xml.includes("  <available unit='bytes'>107374181376</available>\n"));
});

// ---- expected failures ---------------------------------------------------------

const INVALID: Array<[name: string, code: ErrorCode, fragment: string]> = [
  ['malformed', ErrorCode.XML_ERROR, "(storage_pool_definition): expected '>' at line 3"],
  ['xxe', ErrorCode.XML_ERROR, 'a DOCTYPE is not allowed'],
  ['wrong-root', ErrorCode.XML_ERROR, 'unexpected root element <volume>, expecting <pool>'],
  ['type-unknown', ErrorCode.XML_INVALID_SCHEMA, 'Element pool failed to validate attributes'],
  ['unknown-element', ErrorCode.XML_INVALID_SCHEMA, 'unknown element <quota> at line 5'],
  ['unknown-attribute', ErrorCode.XML_INVALID_SCHEMA, "unknown attribute 'wwn' of element <device> at line 4"],
  ['uuid-malformed', ErrorCode.XML_INVALID_SCHEMA, 'Extra element uuid'],
  ['host-port-zero', ErrorCode.XML_INVALID_SCHEMA, 'Extra element source'],
  ['missing-name', ErrorCode.XML_ERROR, 'missing pool source name element'],
  ['name-slash', ErrorCode.INVALID_ARG, "pool name '../../etc/evil' cannot contain '/'"],
  ['name-dotdot', ErrorCode.INVALID_ARG, "pool name '..' is not allowed"],
  ['dir-no-target', ErrorCode.XML_ERROR, 'missing storage pool target path'],
  ['target-relative', ErrorCode.XML_ERROR, "storage pool target path 'images/p' must be absolute"],
  ['fs-no-device', ErrorCode.XML_ERROR, 'missing storage pool source device name'],
  ['fs-format-unknown', ErrorCode.CONFIG_UNSUPPORTED, 'unknown pool format type ntfs'],
  ['netfs-no-host', ErrorCode.XML_ERROR, 'missing storage pool source host name'],
  ['netfs-no-dir', ErrorCode.XML_ERROR, 'missing storage pool source path'],
  ['netfs-protocol-cifs', ErrorCode.CONFIG_UNSUPPORTED, "storage pool protocol ver unsupported for pool type 'cifs'"],
  ['dir-refresh', ErrorCode.CONFIG_UNSUPPORTED, "storage pool <refresh> is only supported for 'rbd' pools"],
  ['logical-cow', ErrorCode.NO_SUPPORT, "cow feature may only be used for 'fs' and 'dir' pools"],
  ['mode-malformed', ErrorCode.XML_ERROR, 'malformed octal mode'],
  ['owner-malformed', ErrorCode.XML_ERROR, 'malformed owner element'],
  ['iscsi-initiator', ErrorCode.CONFIG_UNSUPPORTED, 'storage pool <source> element <initiator> is not supported'],
];

test('every invalid/ fixture is in the table', () => {
  assert.equal(listFixtures(KIND, 'invalid/'), INVALID.map(([n]) => n).sort());
});

for (const [name, code, fragment] of INVALID) {
  test(`invalid pool ${name}`, () => {
    expectStorageError(() => poolDefFromXml(read(`invalid/${name}.xml`), DETERMINISTIC), code, fragment);
  });
}

test.run();
