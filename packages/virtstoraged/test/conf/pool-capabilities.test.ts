/** `virsh pool-capabilities` output: every libvirt pool type in order, formats for the supported ones, libvirt's schema. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorDomain } from '@tsvirt/common';
import { parseXmlSafe, type XmlElement } from '@tsvirt/common/xml';
import { formatPoolCapabilities, POOL_TYPES, type PoolTypeSupport } from '../../src/conf/index.js';
import { libvirtSchemaErrors } from './storage-fixtures.js';

const TSVIRT: PoolTypeSupport[] = [
  { type: 'dir', supported: true },
  { type: 'fs', supported: true },
  { type: 'netfs', supported: true },
  { type: 'logical', supported: true },
];

const xml = formatPoolCapabilities(TSVIRT);
const root = parseXmlSafe(xml, 'pool capabilities', ErrorDomain.STORAGE).root() as XmlElement;
const pool = (type: string): XmlElement => {
  const el = root.get(`pool[@type='${type}']`) as XmlElement | null;
  if (!el) throw new Error(`no <pool type='${type}'>`);
  return el;
};
const values = (el: XmlElement, path: string): string[] => el.find(path).map((n) => (n as XmlElement).text());

test("validates against libvirt's installed storagepoolcaps.rng", () => {
  assert.equal(libvirtSchemaErrors(xml, 'storagepoolcaps.rng'), []);
});

test("lists all 14 libvirt pool types in libvirt's order, only the four given as supported", () => {
  const pools = root.find('pool') as XmlElement[];
  assert.equal(
    pools.map((p) => p.attr('type')?.value()),
    [...POOL_TYPES],
  );
  assert.equal(
    pools.filter((p) => p.attr('supported')?.value() === 'yes').map((p) => p.attr('type')?.value()),
    ['dir', 'fs', 'netfs', 'logical'],
  );
  assert.is(pools.length, 14);
});

test('an unsupported type is an empty open/close pair, as libvirt prints it', () => {
  assert.ok(xml.includes("  <pool type='iscsi' supported='no'>\n  </pool>\n"));
  assert.is(
    pool('zfs')
      .childNodes()
      .filter((n) => n.type() === 'element').length,
    0,
  );
});

test('dir: no source format, volume formats with raw as default', () => {
  assert.equal(pool('dir').find('poolOptions'), []);
  assert.is((pool('dir').get('volOptions/defaultFormat') as XmlElement).attr('type')?.value(), 'raw');
  const formats = values(pool('dir'), "volOptions/enum[@name='targetFormatType']/value");
  assert.equal(formats.slice(0, 2), ['none', 'raw']);
  assert.ok(formats.includes('qcow2'));
  assert.is(formats.length, 17);
});

test('fs and netfs: filesystem / protocol source formats defaulting to auto', () => {
  assert.is((pool('fs').get('poolOptions/defaultFormat') as XmlElement).attr('type')?.value(), 'auto');
  assert.ok(values(pool('fs'), "poolOptions/enum[@name='sourceFormatType']/value").includes('ext4'));
  assert.equal(values(pool('netfs'), "poolOptions/enum[@name='sourceFormatType']/value"), [
    'auto',
    'nfs',
    'glusterfs',
    'cifs',
  ]);
});

test('logical: lvm2 source format and no volume formats', () => {
  const text = xml.slice(xml.indexOf("<pool type='logical'"), xml.indexOf("<pool type='disk'"));
  assert.fixture(
    text,
    [
      "<pool type='logical' supported='yes'>",
      '    <poolOptions>',
      "      <defaultFormat type='lvm2'/>",
      "      <enum name='sourceFormatType'>",
      '        <value>unknown</value>',
      '        <value>lvm2</value>',
      '      </enum>',
      '    </poolOptions>',
      '  </pool>',
      '  ',
    ].join('\n'),
  );
});

test('a narrower format list can be advertised for a supported type', () => {
  const narrowed = formatPoolCapabilities([
    { type: 'dir', supported: true, volFormats: { default: 'raw', values: ['raw', 'qcow2'] } },
  ]);
  assert.ok(
    narrowed.includes(
      "<enum name='targetFormatType'>\n        <value>raw</value>\n        <value>qcow2</value>\n      </enum>",
    ),
  );
  assert.ok(narrowed.includes("<pool type='fs' supported='no'>"));
  assert.equal(libvirtSchemaErrors(narrowed, 'storagepoolcaps.rng'), []);
});

test.run();
