/** The pure halves of the host realization: argv lists, file contents, parsers, the ruleset text. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseProcNetRoute } from '../../src/host/own-namespace.js';
import {
  bridgeCreateCommands,
  findRouteCollision,
  parseIpAddrJson,
  parseIpRouteJson,
  subnetsOverlap,
} from '../../src/host/bridge.js';
import {
  dhcpRangeSize,
  dnsmasqAddnHostsContents,
  dnsmasqConfContents,
  dnsmasqHostsFileContents,
  parseDnsmasqLeases,
} from '../../src/host/dnsmasq-config.js';
import { cmdlineIsOurDnsmasq } from '../../src/host/dnsmasq-process.js';
import {
  freshNetworkRulesetScript,
  networkRulesetScript,
  parseNftChainNames,
  removeNetworkScript,
} from '../../src/host/nftables.js';
import type { CommandRunner } from '../../src/host/command.js';
import { runnerInNamespace } from '../../src/host/command.js';

test('bridge creation: stp, forward delay in centiseconds, mtu, mac, addresses, then up', () => {
  const cmds = bridgeCreateCommands({
    name: 'virbr9',
    stp: true,
    forwardDelay: 2,
    mtu: 9000,
    mac: '52:54:00:aa:bb:cc',
    addresses: [{ address: '192.168.150.1', prefix: 24 }],
  });
  assert.equal(cmds, [
    ['ip', 'link', 'add', 'virbr9', 'type', 'bridge', 'stp_state', '1', 'forward_delay', '200'],
    ['ip', 'link', 'set', 'dev', 'virbr9', 'mtu', '9000'],
    ['ip', 'link', 'set', 'dev', 'virbr9', 'address', '52:54:00:aa:bb:cc'],
    ['ip', 'addr', 'add', '192.168.150.1/24', 'dev', 'virbr9'],
    ['ip', 'link', 'set', 'dev', 'virbr9', 'up'],
  ]);
});

test('subnet overlap: containment either way, disjoint neighbours do not overlap', () => {
  assert.ok(subnetsOverlap('192.168.122.0/24', '192.168.0.0/16'));
  assert.ok(subnetsOverlap('192.168.0.0/16', '192.168.122.7/32'));
  assert.not.ok(subnetsOverlap('192.168.122.0/24', '192.168.123.0/24'));
  assert.not.ok(subnetsOverlap('10.0.0.0/25', '10.0.0.128/25'));
});

test('route collision from ip -j route/addr output ignores the default route and our own bridge', () => {
  const routes = parseIpRouteJson(
    JSON.stringify([
      { dst: 'default', gateway: '10.0.2.2', dev: 'eth0' },
      { dst: '10.0.2.0/24', dev: 'eth0', prefsrc: '10.0.2.15' },
      { dst: '172.17.0.5', dev: 'docker0' },
    ]),
  );
  assert.equal(routes, [
    { dst: '0.0.0.0/0', dev: 'eth0' },
    { dst: '10.0.2.0/24', dev: 'eth0' },
    { dst: '172.17.0.5/32', dev: 'docker0' },
  ]);
  const addrs = parseIpAddrJson(
    JSON.stringify([{ ifname: 'virbr0', addr_info: [{ family: 'inet', local: '192.168.122.1', prefixlen: 24 }] }]),
  );
  assert.equal(addrs, [{ dst: '192.168.122.0/24', dev: 'virbr0' }]);
  const all = [...routes, ...addrs];
  assert.equal(findRouteCollision('10.0.2.128/25', all), { dst: '10.0.2.0/24', dev: 'eth0' });
  assert.equal(findRouteCollision('172.16.0.0/12', all), { dst: '172.17.0.5/32', dev: 'docker0' });
  assert.is(findRouteCollision('192.168.122.0/24', all, 'virbr0'), undefined);
  assert.equal(findRouteCollision('192.168.122.0/24', all, 'virbr1'), { dst: '192.168.122.0/24', dev: 'virbr0' });
  assert.is(findRouteCollision('192.168.100.0/24', all), undefined);
});

test('dnsmasq conf as libvirt writes it, with our own lease file', () => {
  const conf = dnsmasqConfContents({
    name: 'default',
    bridge: 'virbr0',
    netmask: '255.255.255.0',
    pidFile: '/run/tsvirt/network/default.pid',
    leaseFile: '/var/lib/tsvirt/dnsmasq/virbr0.leases',
    hostsFile: '/var/lib/tsvirt/dnsmasq/default.hostsfile',
    addnHostsFile: '/var/lib/tsvirt/dnsmasq/default.addnhosts',
    ranges: [{ start: '192.168.122.2', end: '192.168.122.254' }],
    leaseMax: dhcpRangeSize({ start: '192.168.122.2', end: '192.168.122.254' }),
    domain: 'example.lan',
    localOnly: true,
    forwarders: ['8.8.8.8'],
  });
  const body = conf.split('\n').filter((l) => l && !l.startsWith('##'));
  assert.equal(body, [
    'strict-order',
    'no-resolv',
    'server=8.8.8.8',
    'local=/example.lan/',
    'domain=example.lan',
    'expand-hosts',
    'pid-file=/run/tsvirt/network/default.pid',
    'except-interface=lo',
    'bind-dynamic',
    'interface=virbr0',
    'dhcp-range=192.168.122.2,192.168.122.254,255.255.255.0',
    'dhcp-no-override',
    'dhcp-authoritative',
    'dhcp-lease-max=253',
    'dhcp-leasefile=/var/lib/tsvirt/dnsmasq/virbr0.leases',
    'dhcp-hostsfile=/var/lib/tsvirt/dnsmasq/default.hostsfile',
    'addn-hosts=/var/lib/tsvirt/dnsmasq/default.addnhosts',
  ]);
  assert.ok(conf.includes('##    virsh net-edit default\n'));
  const noDhcp = dnsmasqConfContents({
    name: 'n',
    bridge: 'br1',
    netmask: '255.255.255.0',
    pidFile: '/p',
    leaseFile: '/l',
    hostsFile: '/h',
    addnHostsFile: '/a',
    dnsDisabled: true,
  });
  assert.not.ok(noDhcp.includes('dhcp-'), 'no DHCP lines without a range');
  assert.ok(noDhcp.includes('\nport=0\n'));
  assert.not.ok(noDhcp.includes('no-resolv'), 'the host resolver is used without forwarders');
});

test('hostsfile and addn-hosts contents', () => {
  assert.is(
    dnsmasqHostsFileContents([
      { mac: '52:54:00:00:00:01', ip: '192.168.122.10', name: 'web' },
      { mac: '52:54:00:00:00:02', ip: '192.168.122.11' },
      { ip: '192.168.122.12', name: 'db' },
    ]),
    '52:54:00:00:00:01,192.168.122.10,web\n52:54:00:00:00:02,192.168.122.11\n192.168.122.12,db\n',
  );
  assert.is(
    dnsmasqAddnHostsContents([{ ip: '192.168.122.2', hostnames: ['a', 'a.lan'] }]),
    '192.168.122.2\ta\ta.lan\n',
  );
});

test('lease file parser: hostname and client id optional, duid lines skipped', () => {
  const leases = parseDnsmasqLeases(
    '1763922000 52:54:00:AA:00:01 192.168.122.57 guest1 01:52:54:00:aa:00:01\n' +
      '0 52:54:00:aa:00:02 192.168.122.58 * *\n' +
      'duid 00:01:00:01:2c:aa:bb:cc:52:54:00:00:00:01\n\n',
  );
  assert.equal(leases, [
    {
      expiryTime: 1763922000,
      mac: '52:54:00:aa:00:01',
      ip: '192.168.122.57',
      hostname: 'guest1',
      clientId: '01:52:54:00:aa:00:01',
    },
    { expiryTime: 0, mac: '52:54:00:aa:00:02', ip: '192.168.122.58' },
  ]);
});

test('dnsmasq pid is trusted only when its cmdline names our conf file', () => {
  assert.ok(cmdlineIsOurDnsmasq('/usr/sbin/dnsmasq\0--conf-file=/x/n.conf\0', '/x/n.conf'));
  assert.not.ok(cmdlineIsOurDnsmasq('/usr/sbin/dnsmasq\0--conf-file=/x/other.conf\0', '/x/n.conf'));
  assert.not.ok(cmdlineIsOurDnsmasq('/bin/sleep\0--conf-file=/x/n.conf\0', '/x/n.conf'));
});

test('nft ruleset: nat masquerades, forwards replies in and the subnet out, rejects the rest', () => {
  const s = networkRulesetScript({ bridge: 'virbr0', mode: 'nat', ipv4Subnets: ['192.168.122.0/24'] });
  assert.ok(
    s.startsWith('table inet tsvirt {}\nadd chain inet tsvirt virbr0_input\ndelete chain inet tsvirt virbr0_input\n'),
  );
  for (const line of [
    'iifname "virbr0" udp dport { 53, 67, 547 } accept',
    'iifname "virbr0" tcp dport 53 accept',
    'oifname "virbr0" ip daddr 192.168.122.0/24 ct state related,established accept',
    'iifname "virbr0" ip saddr 192.168.122.0/24 accept',
    'iifname "virbr0" reject',
    'oifname "virbr0" reject',
    'type nat hook postrouting priority srcnat; policy accept;',
    'meta l4proto { tcp, udp } ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 masquerade to :1024-65535',
    'ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 masquerade',
  ]) {
    assert.ok(s.includes(`    ${line}\n`), line);
  }
});

test('nft ruleset per mode: route has no NAT, isolated only rejects, open has no chains', () => {
  const route = networkRulesetScript({
    bridge: 'br1',
    mode: 'route',
    ipv4Subnets: ['10.9.0.0/24'],
    forwardDev: 'eth0',
  });
  assert.ok(route.includes('    iifname "eth0" oifname "br1" ip daddr 10.9.0.0/24 accept\n'));
  assert.ok(route.includes('    iifname "br1" oifname "eth0" ip saddr 10.9.0.0/24 accept\n'));
  assert.not.ok(route.includes('masquerade'));
  const isolated = networkRulesetScript({ bridge: 'br2', mode: 'isolated', ipv4Subnets: ['10.8.0.0/24'] });
  const forwardChain = isolated.slice(isolated.indexOf('chain br2_forward'));
  assert.equal(
    forwardChain
      .split('\n')
      .slice(2, 5)
      .map((l) => l.trim()),
    ['iifname "br2" oifname "br2" accept', 'iifname "br2" reject', 'oifname "br2" reject'],
  );
  assert.not.ok(isolated.includes('postrouting priority'));
  const open = networkRulesetScript({ bridge: 'br3', mode: 'open', ipv4Subnets: ['10.7.0.0/24'] });
  assert.is(open, removeNetworkScript('br3'), 'open: only the removal of leftovers');
});

test('nft -j chain names', () => {
  const json = JSON.stringify({
    nftables: [
      { metainfo: { json_schema_version: 1 } },
      { table: { family: 'inet', name: 'tsvirt', handle: 1 } },
      { chain: { family: 'inet', table: 'tsvirt', name: 'br0_forward', handle: 2 } },
      { rule: { family: 'inet', table: 'tsvirt', chain: 'br0_forward' } },
    ],
  });
  assert.equal(parseNftChainNames(json), ['br0_forward']);
});

test('namespace runner prefixes ip netns exec and passes options through', async () => {
  const seen: unknown[] = [];
  const base: CommandRunner = async (argv, options) => {
    seen.push([argv, options]);
    return { stdout: '', exitCode: 0 };
  };
  await runnerInNamespace('tsv-x', base)(['nft', '-f', '-'], { input: 'x' });
  assert.equal(seen, [[['ip', 'netns', 'exec', 'tsv-x', 'nft', '-f', '-'], { input: 'x' }]]);
});

test('/proc/net/route: little-endian hex destinations and masks become CIDRs', () => {
  const text =
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' +
    'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n' +
    'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n' +
    'virbr0\t00007A0A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n';
  assert.equal(parseProcNetRoute(text), [
    { dev: 'eth0', dst: '0.0.0.0/0' },
    { dev: 'eth0', dst: '192.0.2.0/24' },
    { dev: 'virbr0', dst: '10.122.0.0/16' },
  ]);
});

test('nft ruleset of a fresh start: chains added if missing and flushed, never deleted (no commit wait)', () => {
  const net = { bridge: 'virbr0', mode: 'nat' as const, ipv4Subnets: ['192.168.122.0/24'] };
  const script = freshNetworkRulesetScript(net);
  assert.not.match(script, /delete chain/);
  assert.match(
    script,
    /add chain inet tsvirt virbr0_postrouting \{ type nat hook postrouting priority srcnat; policy accept; \}\nflush chain inet tsvirt virbr0_postrouting\n/,
  );
  // The chain bodies are those of the replacing script.
  assert.ok(
    script.endsWith(networkRulesetScript(net).slice(networkRulesetScript(net).indexOf('table inet tsvirt {\n'))),
  );
});

test.run();
