/** Golden tests for network XML: in/ → out/ after parse + defaults, libvirt's own output and schema, expected failures. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, ErrorDomain } from '@tsvirt/common';
import { parseXmlSafe, validateRng } from '@tsvirt/common/xml';
import { formatNetworkDef, networkDefFromXml, networkSchemaPath, parseNetworkDef } from '../../src/conf/index.js';
import {
  DETERMINISTIC,
  FIXED_MAC,
  FIXED_UUID,
  expectNetworkError,
  fixturePath,
  libvirtNetworkSchemaErrors,
  listFixtures,
  readFixture,
  virshTestDriver,
} from './network-fixtures.js';

const roundTrip = (xml: string): string => formatNetworkDef(networkDefFromXml(xml, DETERMINISTIC));

const GOOD = ['bridge-host', 'dns-domain', 'full', 'ipv6-dhcpv6', 'isolated', 'mtu', 'nat-dhcp-hosts', 'open', 'route'];

test('every in/ fixture is in the table and has an out/', () => {
  assert.equal(listFixtures('in/'), GOOD);
  assert.equal(listFixtures('out/'), GOOD);
});

/**
 * libvirt's test driver gives a definition without <uuid> a random one and, unlike its network
 * driver, no bridge MAC: those two are aligned, everything else must be byte-identical.
 */
function expectedFromLibvirt(out: string, inXml: string): string {
  let expected = out;
  if (!inXml.includes('<mac ')) expected = expected.replace(`  <mac address='${FIXED_MAC}'/>\n`, '');
  return expected;
}

function comparableLibvirtOutput(virshOut: string, inXml: string): string {
  let out = virshOut;
  if (!inXml.includes('<uuid>')) out = out.replace(/<uuid>[^<]*<\/uuid>/, `<uuid>${FIXED_UUID}</uuid>`);
  return out.replace(/\n+$/, '\n');
}

for (const name of GOOD) {
  test(`networkxml2xml ${name}`, () => {
    assert.fixture(roundTrip(readFixture(`in/${name}.xml`)), readFixture(`out/${name}.xml`));
  });

  test(`networkxml2xml ${name}: libvirt's net-define + net-dumpxml prints the same`, () => {
    const inXml = readFixture(`in/${name}.xml`);
    const out = readFixture(`out/${name}.xml`);
    const netName = /<name>([^<]+)<\/name>/.exec(out)?.[1] ?? '';
    const virsh = virshTestDriver([`net-define ${fixturePath(`in/${name}.xml`)}`, `net-dumpxml ${netName}`]);
    assert.fixture(comparableLibvirtOutput(virsh, inXml), expectedFromLibvirt(out, inXml));
  });

  test(`out/${name}.xml validates against tsvirt's schema and libvirt's installed network.rng`, () => {
    const out = readFixture(`out/${name}.xml`);
    validateRng(parseXmlSafe(out, name, ErrorDomain.NETWORK), out, networkSchemaPath(), name, ErrorDomain.NETWORK);
    assert.equal(libvirtNetworkSchemaErrors(out), []);
  });

  test(`out/${name}.xml round-trips unchanged`, () => {
    const out = readFixture(`out/${name}.xml`);
    assert.fixture(formatNetworkDef(parseNetworkDef(out)), out);
    assert.fixture(roundTrip(out), out);
  });
}

test('netmask is converted to a prefix in the model and printed back as written', () => {
  const def = networkDefFromXml(readFixture('in/route.xml'), DETERMINISTIC);
  assert.equal(def.ips[0], { family: 'ipv4', address: '10.20.0.1', prefix: 16, netmask: '255.255.0.0' });
});

test('defaults: a random v4 UUID and a 52:54:00 bridge MAC, but no MAC for an existing host bridge', () => {
  const xml = "<network><name>d</name><forward mode='nat'/></network>";
  const a = networkDefFromXml(xml);
  const b = networkDefFromXml(xml);
  assert.match(a.uuid ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.is.not(a.uuid, b.uuid);
  assert.match(a.mac ?? '', /^52:54:00(:[0-9a-f]{2}){3}$/);
  assert.is(a.bridge, undefined, 'the bridge name is left to the driver');
  const bridged = networkDefFromXml(readFixture('in/bridge-host.xml'));
  assert.is(bridged.mac, undefined);
});

test('the parsed model of the NAT fixture', () => {
  const def = networkDefFromXml(readFixture('in/nat-dhcp-hosts.xml'), DETERMINISTIC);
  assert.equal(def, {
    name: 'nat-dhcp',
    uuid: FIXED_UUID,
    mac: FIXED_MAC,
    forward: { mode: 'nat' },
    bridge: { name: 'virbr10' },
    ips: [
      {
        family: 'ipv4',
        address: '192.168.150.1',
        prefix: 24,
        dhcp: {
          ranges: [{ start: '192.168.150.100', end: '192.168.150.199' }],
          hosts: [
            { ip: '192.168.150.10', mac: '52:54:00:12:34:56', name: 'web' },
            { ip: '192.168.150.11', mac: '52:54:00:12:34:57' },
          ],
        },
      },
    ],
  });
});

const NETWORK_UNSUPPORTED = ErrorCode.CONFIG_UNSUPPORTED;
const INVALID: Array<[string, ErrorCode, string]> = [
  [
    'bridge-mode-with-ip',
    NETWORK_UNSUPPORTED,
    "unsupported configuration: Unsupported <ip> element in network bad with forward mode='bridge'",
  ],
  ['bridge-name-colon', ErrorCode.XML_ERROR, "invalid bridge name 'br0:1'"],
  ['bridge-name-too-long', ErrorCode.XML_ERROR, "bridge name 'virbr0123456789xy' is 17 bytes long, more than 15"],
  ['dhcp-host-duplicate-ip', ErrorCode.XML_ERROR, "duplicate dhcp host ip '192.168.1.5' in network ip '192.168.1.1'"],
  [
    'dhcp-host-duplicate-mac',
    ErrorCode.XML_ERROR,
    "duplicate dhcp host mac '52:54:00:00:00:aa' in network ip '192.168.1.1'",
  ],
  ['dhcp-host-duplicate-name', ErrorCode.XML_ERROR, "duplicate dhcp host name 'vm' in network ip '192.168.1.1'"],
  [
    'dhcp-host-outside-subnet',
    ErrorCode.XML_ERROR,
    "dhcp host address '10.0.0.5' is not within network 192.168.1.1/24",
  ],
  [
    'dhcp-range-outside-subnet',
    ErrorCode.INTERNAL_ERROR,
    'range 192.168.2.10 - 192.168.2.20 is not entirely within network 192.168.1.1/24',
  ],
  ['dhcp-range-reversed', ErrorCode.INTERNAL_ERROR, 'range 192.168.1.200 - 192.168.1.100 is reversed'],
  ['invalid-address', ErrorCode.XML_ERROR, "Invalid address '192.168.1.300' in network 'bad'"],
  ['name-control-char', ErrorCode.INVALID_ARG, "network name 'a\\x09b' cannot contain control characters"],
  ['name-dotdot', ErrorCode.INVALID_ARG, "network name '..' cannot start with '.'"],
  ['name-leading-dot', ErrorCode.INVALID_ARG, "network name '.hidden' cannot start with '.'"],
  ['name-slash', ErrorCode.INVALID_ARG, "network name 'a/b' cannot contain '/'"],
  ['prefix-out-of-range', NETWORK_UNSUPPORTED, "unsupported configuration: Invalid IPv4 prefix '33' in network 'bad'"],
  [
    'two-ipv4-dhcp',
    NETWORK_UNSUPPORTED,
    'unsupported configuration: Multiple IPv4 dhcp sections found -- dhcp is supported only for a single IPv4 address on each network',
  ],
  [
    'unknown-element',
    ErrorCode.XML_INVALID_SCHEMA,
    'network_definition does not match schema: unknown element <portgroup> at line 1; Element network has extra content: portgroup at line 1',
  ],
  ['wrong-root', ErrorCode.XML_ERROR, "expecting root element of 'network', not 'pool'"],
];

test('every invalid/ fixture is in the table', () => {
  assert.equal(
    listFixtures('invalid/'),
    INVALID.map(([name]) => name),
  );
});

for (const [name, code, message] of INVALID) {
  test(`invalid/${name} is refused`, () => {
    expectNetworkError(() => networkDefFromXml(readFixture(`invalid/${name}.xml`), DETERMINISTIC), code, message);
  });
}

test('a DOCTYPE with an external entity is refused before any expansion', () => {
  const xml = '<!DOCTYPE network [<!ENTITY x SYSTEM "file:///etc/passwd">]><network><name>&x;</name></network>';
  expectNetworkError(
    () => networkDefFromXml(xml),
    ErrorCode.XML_ERROR,
    '(network_definition): a DOCTYPE is not allowed',
  );
});

test('forward dev and its <interface> must agree', () => {
  const xml = "<network><name>f</name><forward mode='nat' dev='eth0'><interface dev='eth1'/></forward></network>";
  expectNetworkError(
    () => networkDefFromXml(xml),
    ErrorCode.XML_ERROR,
    "forward dev 'eth0' must match first interface element dev 'eth1'",
  );
});

test.run();
