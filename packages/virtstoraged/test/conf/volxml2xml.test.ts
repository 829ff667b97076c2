/** Golden tests for volume XML: in/ → out/ for a pool of the fixture's type, libvirt's own output and schema, failures. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, ErrorDomain } from '@tsvirt/common';
import { makeTempRoot, removeTempRoot } from '@tsvirt/common/testing';
import { parseXmlSafe, validateRng } from '@tsvirt/common/xml';
import { formatVolDef, volDefFromXml, volSchemaPath, type PoolDef, type VolDef } from '../../src/conf/index.js';
import {
  expectStorageError,
  fixturePath,
  libvirtSchemaErrors,
  listFixtures,
  poolFor,
  poolXmlFor,
  readFixture,
  scratchFile,
  virshTestDriver,
} from './storage-fixtures.js';

const KIND = 'volxml2xml';
const read = (rel: string): string => readFixture(KIND, rel);

function roundTrip(xml: string, pool: PoolDef): string {
  return formatVolDef(volDefFromXml(xml, pool), pool);
}

const GOOD = [
  'dir-backing',
  'dir-backing-default-format',
  'dir-luks',
  'dir-luks-usage',
  'dir-qcow2',
  'dir-qcow2-compat-010',
  'dir-qcow2-features-empty',
  'dir-raw-bytes',
  'dir-raw-decimal-units',
  'dir-raw-minimal',
  'dir-raw-units',
  'fs-vmdk-perms',
  'logical-lv',
  'netfs-qcow2',
];

let scratch = '';
test.before(() => {
  scratch = makeTempRoot();
});
test.after(() => {
  removeTempRoot(scratch);
});

test('every in/ fixture is in the table and has an out/', () => {
  assert.equal(listFixtures(KIND, 'in/'), GOOD);
  assert.equal(listFixtures(KIND, 'out/'), GOOD);
});

/** What libvirt's drivers (its test driver included) fill in on create: the path in the pool, used as the key. */
function asCreatedIn(def: VolDef, pool: PoolDef): VolDef {
  const path = `${pool.target.path}/${def.name}`;
  return { ...def, key: path, target: { ...def.target, path } };
}

for (const name of GOOD) {
  test(`volxml2xml ${name}`, () => {
    assert.fixture(roundTrip(read(`in/${name}.xml`), poolFor(name)), read(`out/${name}.xml`));
  });

  test(`volxml2xml ${name}: libvirt's vol-create + vol-dumpxml prints the same`, () => {
    const pool = poolFor(name);
    const def = volDefFromXml(read(`in/${name}.xml`), pool);
    const poolFile = scratchFile(scratch, `${name}-pool.xml`, poolXmlFor(name));
    const virsh = virshTestDriver([
      `pool-create ${poolFile}`,
      `vol-create ${pool.name} ${fixturePath(KIND, `in/${name}.xml`)}`,
      `vol-dumpxml --pool ${pool.name} ${def.name}`,
    ]);
    assert.fixture(virsh.replace(/\n+$/, '\n'), formatVolDef(asCreatedIn(def, pool), pool));
  });

  test(`out/${name}.xml validates against tsvirt's schema and libvirt's installed storagevol.rng`, () => {
    const out = read(`out/${name}.xml`);
    validateRng(parseXmlSafe(out, name, ErrorDomain.STORAGE), out, volSchemaPath(), name, ErrorDomain.STORAGE);
    assert.equal(libvirtSchemaErrors(out, 'storagevol.rng'), []);
  });

  test(`out/${name}.xml round-trips unchanged`, () => {
    const out = read(`out/${name}.xml`);
    assert.fixture(roundTrip(out, poolFor(name)), out);
  });
}

test('capacity and allocation in every libvirt unit come out in bytes', () => {
  const pool = poolFor('dir');
  const cases: Array<[unit: string, value: number, bytes: number]> = [
    ['b', 7, 7],
    ['bytes', 7, 7],
    ['k', 3, 3 * 1024],
    ['KiB', 3, 3 * 1024],
    ['KB', 3, 3000],
    ['M', 2, 2 * 1024 ** 2],
    ['MiB', 2, 2 * 1024 ** 2],
    ['MB', 2, 2_000_000],
    ['G', 5, 5 * 1024 ** 3],
    ['GiB', 5, 5 * 1024 ** 3],
    ['GB', 5, 5_000_000_000],
    ['T', 2, 2 * 1024 ** 4],
    ['TiB', 2, 2 * 1024 ** 4],
    ['TB', 2, 2 * 1000 ** 4],
    ['P', 1, 1024 ** 5],
    ['PB', 1, 1000 ** 5],
    ['gib', 1, 1024 ** 3],
  ];
  for (const [unit, value, bytes] of cases) {
    const xml = `<volume><name>u</name><capacity unit='${unit}'>${value}</capacity><allocation unit='${unit}'>${value}</allocation></volume>`;
    const def = volDefFromXml(xml, pool);
    assert.equal([def.capacity, def.allocation], [bytes, bytes], `unit ${unit}`);
  }
  const noUnit = volDefFromXml('<volume><name>u</name><capacity>4096</capacity></volume>', pool);
  assert.equal([noUnit.capacity, noUnit.allocation, noUnit.hasAllocation], [4096, 4096, false]);
});

test('a volume of a logical pool has no <format>; one of a dir pool defaults to raw', () => {
  const xml = '<volume><name>lv</name><capacity unit="M">4</capacity></volume>';
  assert.is(volDefFromXml(xml, poolFor('logical')).target.format, undefined);
  assert.equal(volDefFromXml(xml, poolFor('dir')).target.format, { type: 'raw' });
});

test('capacityOptional lets vol-create-from leave <capacity> out', () => {
  const def = volDefFromXml('<volume><name>clone.img</name></volume>', poolFor('dir'), { capacityOptional: true });
  assert.is(def.capacity, 0);
});

test('output-only fields written by the driver: physical, timestamps, logical extents', () => {
  const pool = poolFor('logical');
  const def: VolDef = {
    name: 'lv1',
    key: 'Kq7xJt-abcd',
    type: 'block',
    capacity: 8388608,
    allocation: 8388608,
    physical: 8388608,
    source: { devices: [{ path: '/dev/sdb', extents: [{ start: 0, end: 8388608 }] }] },
    target: { path: '/dev/vg0/lv1', timestamps: { atime: '1700000000.5', mtime: '1700000001' } },
  };
  const xml = formatVolDef(def, pool);
  assert.fixture(
    xml,
    [
      "<volume type='block'>",
      '  <name>lv1</name>',
      '  <key>Kq7xJt-abcd</key>',
      '  <source>',
      "    <device path='/dev/sdb'>",
      "      <extent start='0' end='8388608'/>",
      '    </device>',
      '  </source>',
      "  <capacity unit='bytes'>8388608</capacity>",
      "  <allocation unit='bytes'>8388608</allocation>",
      "  <physical unit='bytes'>8388608</physical>",
      '  <target>',
      '    <path>/dev/vg0/lv1</path>',
      '    <timestamps>',
      '      <atime>1700000000.5</atime>',
      '      <mtime>1700000001</mtime>',
      '    </timestamps>',
      '  </target>',
      '</volume>',
      '',
    ].join('\n'),
  );
  assert.equal(libvirtSchemaErrors(xml, 'storagevol.rng'), []);
});

// ---- expected failures ---------------------------------------------------------

const INVALID: Array<[name: string, code: ErrorCode, fragment: string]> = [
  ['malformed', ErrorCode.XML_ERROR, '(storage_volume_definition): Premature end of data'],
  ['wrong-root', ErrorCode.XML_ERROR, 'unexpected root element <pool>, expecting <volume>'],
  ['missing-capacity', ErrorCode.XML_ERROR, 'missing capacity element'],
  ['capacity-unit-unknown', ErrorCode.XML_INVALID_SCHEMA, 'Extra element capacity'],
  ['capacity-negative', ErrorCode.XML_INVALID_SCHEMA, 'Extra element capacity'],
  ['capacity-too-large', ErrorCode.XML_DETAIL, "<capacity> '8 EiB' is too large (at most 9007199254740991 bytes)"],
  ['name-slash', ErrorCode.INVALID_ARG, "volume name '../../etc/shadow' cannot contain '/'"],
  ['name-dot', ErrorCode.INVALID_ARG, "volume name '.' is not allowed"],
  ['name-control', ErrorCode.INVALID_ARG, "volume name 'evil\\x09name' cannot contain control characters"],
  ['format-unknown', ErrorCode.CONFIG_UNSUPPORTED, 'unknown volume format type qcow3'],
  ['format-none', ErrorCode.CONFIG_UNSUPPORTED, 'unknown volume format type none'],
  ['backing-format-unknown', ErrorCode.CONFIG_UNSUPPORTED, 'unknown volume format type floppy'],
  ['compat-malformed', ErrorCode.XML_ERROR, "forbidden characters in 'compat' attribute"],
  ['feature-unknown', ErrorCode.XML_INVALID_SCHEMA, 'unknown element <zero_copy> at line 6'],
  ['encryption-qcow', ErrorCode.CONFIG_UNSUPPORTED, "volume encryption format 'qcow' is not supported"],
  ['encryption-secret-uuid-malformed', ErrorCode.XML_ERROR, "malformed secret uuid 'f52a81b2'"],
  ['encryption-secret-both', ErrorCode.XML_INVALID_SCHEMA, 'Extra element target'],
  ['permissions-mode-malformed', ErrorCode.XML_ERROR, 'malformed octal mode'],
];

test('every invalid/ fixture is in the table', () => {
  assert.equal(listFixtures(KIND, 'invalid/'), INVALID.map(([n]) => n).sort());
});

for (const [name, code, fragment] of INVALID) {
  test(`invalid volume ${name}`, () => {
    expectStorageError(() => volDefFromXml(read(`invalid/${name}.xml`), poolFor('dir')), code, fragment);
  });
}

test.run();
