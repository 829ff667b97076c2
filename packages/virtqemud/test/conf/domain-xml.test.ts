/** Unit tests for the domain XML pieces the golden files cannot show: safety, generated values, units, flags. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import libxml from 'libxmljs2';
import { ErrorCode, VirError } from '@tsvirt/common';
import { domainDefFromXml, formatDomainDef } from '../../src/conf/domain-xml.js';
import { parseXmlSafe, SAFE_PARSE_OPTIONS } from '../../src/conf/xml-parse.js';
import { domainSchemaPath } from '../../src/conf/schema-path.js';
import { toKiB } from '../../src/conf/units.js';
import { diskNameIndex } from '../../src/conf/device-address.js';

const MINIMAL = `<domain type='kvm'><name>t</name><memory>1024</memory><vcpu>1</vcpu>
<os><type>hvm</type></os><devices><interface type='user'/><interface type='user'/></devices></domain>`;

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof VirError ? err.code : -1;
  }
  return undefined;
}

test('XXE: the external entity is neither loaded by the parser options nor accepted', () => {
  const payload = '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><domain>&x;</domain>';
  // The options alone already keep the file out of the tree...
  const raw = libxml.parseXml(payload, { ...SAFE_PARSE_OPTIONS });
  assert.is(raw.root()?.text(), '');
  // ...and parseXmlSafe refuses the DTD outright, without echoing file content.
  try {
    parseXmlSafe(payload);
    assert.unreachable('DTD accepted');
  } catch (err) {
    assert.instance(err, VirError);
    assert.is((err as VirError).code, ErrorCode.XML_ERROR);
    assert.not.match((err as VirError).message, /root:/);
  }
  if (existsSync('/etc/passwd')) assert.ok(readFileSync('/etc/passwd', 'utf8').includes('root:'));
});

test('billion laughs is refused quickly', () => {
  let ents = '<!ENTITY l0 "lol">';
  for (let i = 1; i <= 9; i++) ents += `<!ENTITY l${i} "${`&l${i - 1};`.repeat(10)}">`;
  const started = Date.now();
  assert.is(
    codeOf(() => parseXmlSafe(`<!DOCTYPE d [${ents}]><d>&l9;</d>`)),
    ErrorCode.XML_ERROR,
  );
  assert.ok(Date.now() - started < 1000);
});

test('malformed XML reports line and column', () => {
  try {
    parseXmlSafe('<domain>\n  <name>x</nam>\n</domain>');
    assert.unreachable();
  } catch (err) {
    assert.is((err as VirError).code, ErrorCode.XML_ERROR);
    assert.match((err as VirError).message, /line 2, column \d+/);
  }
  assert.is(
    codeOf(() => parseXmlSafe('')),
    ErrorCode.XML_ERROR,
  );
  assert.is(
    codeOf(() => parseXmlSafe(42 as unknown as string)),
    ErrorCode.INVALID_ARG,
  );
});

test('a missing uuid is generated, and differs per definition', () => {
  const a = domainDefFromXml(MINIMAL);
  const b = domainDefFromXml(MINIMAL);
  assert.match(a.uuid ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.is.not(a.uuid, b.uuid);
});

test('missing MACs get 52:54:00 addresses', () => {
  const def = domainDefFromXml(MINIMAL);
  const macs = def.devices.nets.map((n) => n.mac ?? '');
  for (const mac of macs) assert.match(mac, /^52:54:00(:[0-9a-f]{2}){3}$/);
  assert.is(macs.length, 2);
});

test('memory units normalise to KiB, rounding bytes up', () => {
  const cases: Array<[string, string | undefined, number]> = [
    ['1024', undefined, 1024],
    ['1', 'b', 1],
    ['1025', 'bytes', 2],
    ['1', 'KB', 1],
    ['2', 'K', 2],
    ['1', 'MiB', 1024],
    ['1', 'MB', 977],
    ['1', 'G', 1048576],
    ['1', 'GB', 976563],
    ['1', 'TiB', 1073741824],
    ['1', 'TB', 976562500],
  ];
  for (const [value, unit, kib] of cases) assert.is(toKiB(value, unit, 'memory'), kib, `${value} ${unit}`);
  assert.is(
    codeOf(() => toKiB('99999999999999999999', 'TiB', 'memory')),
    ErrorCode.XML_DETAIL,
  );
});

test('disk names map to bus positions', () => {
  assert.is(diskNameIndex('vda'), 0);
  assert.is(diskNameIndex('hdc'), 2);
  assert.is(diskNameIndex('sdaa'), 26);
  assert.is(diskNameIndex('nvme0'), undefined);
});

test('the id is runtime state: formatted only without inactive', () => {
  const def = domainDefFromXml(MINIMAL.replace("type='kvm'>", "type='kvm' id='3'>"));
  assert.match(formatDomainDef(def), /^<domain type='kvm' id='3'>/);
  assert.match(formatDomainDef(def, { inactive: true }), /^<domain type='kvm'>/);
});

test('text and attributes are escaped on output', () => {
  const def = domainDefFromXml(
    MINIMAL.replace('<name>t</name>', "<name>a&amp;b 'q'</name><description>&lt;x&gt;</description>"),
  );
  const xml = formatDomainDef(def);
  assert.ok(xml.includes("<name>a&amp;b 'q'</name>"));
  assert.ok(xml.includes('<description>&lt;x&gt;</description>'));
  assert.is(domainDefFromXml(xml).name, "a&b 'q'");
});

test('the schema is found from the compiled tree', () => {
  assert.ok(existsSync(domainSchemaPath()));
});

test.run();
