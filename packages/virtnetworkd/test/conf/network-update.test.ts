/** net-update helpers: ip-dhcp-host and dns-host with add-first/add-last/delete/modify, libvirt's wording for refusals. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '@tsvirt/common';
import {
  applyNetworkUpdate,
  formatNetworkDef,
  networkDefFromXml,
  type NetworkDef,
  type NetworkUpdate,
} from '../../src/conf/index.js';
import { DETERMINISTIC, expectNetworkError, readFixture } from './network-fixtures.js';

const nat = (): NetworkDef => networkDefFromXml(readFixture('in/nat-dhcp-hosts.xml'), DETERMINISTIC);
const dns = (): NetworkDef => networkDefFromXml(readFixture('in/dns-domain.xml'), DETERMINISTIC);
const dual = (): NetworkDef => networkDefFromXml(readFixture('in/ipv6-dhcpv6.xml'), DETERMINISTIC);

const dhcpHosts = (def: NetworkDef, index = 0): string[] =>
  (def.ips[index]?.dhcp?.hosts ?? []).map((h) => `${h.mac ?? '-'}/${h.name ?? '-'}/${h.ip}`);
const dnsHosts = (def: NetworkDef): string[] => (def.dns?.hosts ?? []).map((h) => `${h.ip}=${h.hostnames.join(',')}`);

const HOST_DB = "<host mac='52:54:00:aa:bb:01' name='db' ip='192.168.150.20'/>";

interface Case {
  name: string;
  def: () => NetworkDef;
  update: NetworkUpdate;
  list: (def: NetworkDef) => string[];
  expected: string[];
}

const OK: Case[] = [
  {
    name: 'ip-dhcp-host add-last appends',
    def: nat,
    update: { command: 'add-last', section: 'ip-dhcp-host', xml: HOST_DB },
    list: dhcpHosts,
    expected: [
      '52:54:00:12:34:56/web/192.168.150.10',
      '52:54:00:12:34:57/-/192.168.150.11',
      '52:54:00:aa:bb:01/db/192.168.150.20',
    ],
  },
  {
    name: 'ip-dhcp-host add-first prepends',
    def: nat,
    update: { command: 'add-first', section: 'ip-dhcp-host', xml: HOST_DB },
    list: dhcpHosts,
    expected: [
      '52:54:00:aa:bb:01/db/192.168.150.20',
      '52:54:00:12:34:56/web/192.168.150.10',
      '52:54:00:12:34:57/-/192.168.150.11',
    ],
  },
  {
    name: 'ip-dhcp-host delete by MAC alone (any other attribute may be left out)',
    def: nat,
    update: { command: 'delete', section: 'ip-dhcp-host', xml: "<host mac='52:54:00:12:34:56'/>" },
    list: dhcpHosts,
    expected: ['52:54:00:12:34:57/-/192.168.150.11'],
  },
  {
    name: 'ip-dhcp-host modify replaces the entry with the same MAC in place',
    def: nat,
    update: {
      command: 'modify',
      section: 'ip-dhcp-host',
      xml: "<host mac='52:54:00:12:34:56' name='web2' ip='192.168.150.12'/>",
    },
    list: dhcpHosts,
    expected: ['52:54:00:12:34:56/web2/192.168.150.12', '52:54:00:12:34:57/-/192.168.150.11'],
  },
  {
    name: 'ip-dhcp-host without parentIndex goes to the <ip> that serves DHCP (the IPv6 one here)',
    def: dual,
    update: { command: 'add-last', section: 'ip-dhcp-host', xml: "<host name='v6b' ip='fd00:dead:beef::11'/>" },
    list: (d) => dhcpHosts(d, 1),
    expected: ['-/v6host/fd00:dead:beef::10', '-/v6b/fd00:dead:beef::11'],
  },
  {
    name: 'dns-host add-last appends',
    def: dns,
    update: {
      command: 'add-last',
      section: 'dns-host',
      xml: "<host ip='192.168.170.30'><hostname>web</hostname></host>",
    },
    list: dnsHosts,
    expected: ['192.168.170.20=db,db.lab.example', '192.168.170.21=cache', '192.168.170.30=web'],
  },
  {
    name: 'dns-host add-first with a hostname already used elsewhere is allowed (one name, several addresses)',
    def: dns,
    update: {
      command: 'add-first',
      section: 'dns-host',
      xml: "<host ip='192.168.170.31'><hostname>db</hostname></host>",
    },
    list: dnsHosts,
    expected: ['192.168.170.31=db', '192.168.170.20=db,db.lab.example', '192.168.170.21=cache'],
  },
  {
    name: 'dns-host delete by hostname alone',
    def: dns,
    update: { command: 'delete', section: 'dns-host', xml: '<host><hostname>cache</hostname></host>' },
    list: dnsHosts,
    expected: ['192.168.170.20=db,db.lab.example'],
  },
  {
    name: 'dns-host delete by IP alone',
    def: dns,
    update: { command: 'delete', section: 'dns-host', xml: "<host ip='192.168.170.20'/>" },
    list: dnsHosts,
    expected: ['192.168.170.21=cache'],
  },
];

for (const c of OK) {
  test(c.name, () => {
    const before = c.def();
    const snapshot = formatNetworkDef(before);
    const after = applyNetworkUpdate(before, c.update);
    assert.equal(c.list(after), c.expected);
    assert.is(formatNetworkDef(before), snapshot, 'the input definition is left untouched');
  });
}

const REFUSED: Array<[string, () => NetworkDef, NetworkUpdate, ErrorCode, string]> = [
  [
    'a duplicate dhcp host (same MAC)',
    nat,
    { command: 'add-last', section: 'ip-dhcp-host', xml: "<host mac='52:54:00:12:34:56' ip='192.168.150.50'/>" },
    ErrorCode.OPERATION_INVALID,
    "there is an existing dhcp host entry in network 'nat-dhcp' that matches \"<host mac='52:54:00:12:34:56' name='(null)' ip='192.168.150.50'/>\"",
  ],
  [
    'a duplicate dhcp host (same IP)',
    nat,
    {
      command: 'add-first',
      section: 'ip-dhcp-host',
      xml: "<host mac='52:54:00:99:99:99' name='x' ip='192.168.150.11'/>",
    },
    ErrorCode.OPERATION_INVALID,
    "there is an existing dhcp host entry in network 'nat-dhcp' that matches \"<host mac='52:54:00:99:99:99' name='x' ip='192.168.150.11'/>\"",
  ],
  [
    'deleting an absent dhcp host',
    nat,
    { command: 'delete', section: 'ip-dhcp-host', xml: "<host mac='52:54:00:99:99:99'/>" },
    ErrorCode.OPERATION_INVALID,
    "couldn't locate a matching dhcp host entry in network 'nat-dhcp'",
  ],
  [
    'modifying an absent dhcp host',
    nat,
    { command: 'modify', section: 'ip-dhcp-host', xml: "<host mac='52:54:00:99:99:99' ip='192.168.150.60'/>" },
    ErrorCode.OPERATION_INVALID,
    "couldn't locate an existing dhcp host entry with \"mac='52:54:00:99:99:99'\" \"name='(null)'\" \"ip='192.168.150.60'\" in network 'nat-dhcp'",
  ],
  [
    'a dhcp host outside the subnet',
    nat,
    { command: 'add-last', section: 'ip-dhcp-host', xml: "<host mac='52:54:00:99:99:99' ip='10.0.0.1'/>" },
    ErrorCode.XML_ERROR,
    "dhcp host address '10.0.0.1' is not within network 192.168.150.1/24",
  ],
  [
    'a dhcp host of the wrong family',
    nat,
    { command: 'add-last', section: 'ip-dhcp-host', xml: "<host name='v6' ip='fd00::5'/>" },
    ErrorCode.OPERATION_INVALID,
    "the address family of a host entry IP must match the address family of the dhcp element's parent",
  ],
  [
    'a parentIndex with no <ip>',
    nat,
    { command: 'add-last', section: 'ip-dhcp-host', xml: HOST_DB, parentIndex: 3 },
    ErrorCode.OPERATION_INVALID,
    "couldn't update dhcp host entry - no <ip> element found at index 3 in network 'nat-dhcp'",
  ],
  [
    'a second IPv4 <ip> getting DHCP',
    () =>
      networkDefFromXml(
        "<network><name>two</name><ip address='10.0.0.1' prefix='24'><dhcp><range start='10.0.0.2' end='10.0.0.9'/></dhcp></ip><ip address='10.1.0.1' prefix='24'/></network>",
        DETERMINISTIC,
      ),
    {
      command: 'add-last',
      section: 'ip-dhcp-host',
      xml: "<host mac='52:54:00:99:99:99' ip='10.1.0.5'/>",
      parentIndex: 1,
    },
    ErrorCode.OPERATION_INVALID,
    'dhcp is supported only for a single IPv4 address on each network',
  ],
  [
    'the wrong element',
    nat,
    { command: 'add-last', section: 'ip-dhcp-host', xml: "<range start='192.168.150.2' end='192.168.150.3'/>" },
    ErrorCode.XML_ERROR,
    "unexpected element <range>, expecting <host>, while updating network 'nat-dhcp'",
  ],
  [
    'a duplicate DNS host address',
    dns,
    { command: 'add-last', section: 'dns-host', xml: "<host ip='192.168.170.21'><hostname>other</hostname></host>" },
    ErrorCode.OPERATION_INVALID,
    'there is already at least one DNS HOST record with a matching field in network dns-net',
  ],
  [
    'deleting an absent DNS host',
    dns,
    { command: 'delete', section: 'dns-host', xml: '<host><hostname>nope</hostname></host>' },
    ErrorCode.OPERATION_INVALID,
    "couldn't locate a matching DNS HOST record in network dns-net",
  ],
  [
    'modifying a DNS host',
    dns,
    { command: 'modify', section: 'dns-host', xml: "<host ip='192.168.170.21'><hostname>x</hostname></host>" },
    ErrorCode.OPERATION_UNSUPPORTED,
    'DNS HOST records cannot be modified, only added or deleted',
  ],
  [
    'adding a DNS host without hostname',
    dns,
    { command: 'add-last', section: 'dns-host', xml: "<host ip='192.168.170.40'/>" },
    ErrorCode.XML_DETAIL,
    "Missing hostname in network 'dns-net' DNS HOST record",
  ],
];

for (const [what, def, update, code, message] of REFUSED) {
  test(`refused: ${what}`, () => {
    const before = def();
    const snapshot = formatNetworkDef(before);
    expectNetworkError(() => applyNetworkUpdate(before, update), code, message);
    assert.is(formatNetworkDef(before), snapshot);
  });
}

test('an added dhcp host is printed where libvirt puts it', () => {
  const after = applyNetworkUpdate(nat(), { command: 'add-last', section: 'ip-dhcp-host', xml: HOST_DB });
  assert.ok(
    formatNetworkDef(after).includes(
      `      <host mac='52:54:00:aa:bb:01' name='db' ip='192.168.150.20'/>\n    </dhcp>`,
    ),
  );
});

test.run();
