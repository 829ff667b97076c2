/** What each kind of network asks of the host: bridge, firewall, forwarding and dnsmasq, checked without a host. */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { networkDefFromXml } from '../../src/conf/index.js';
import {
  bridgeSpecOf,
  dnsmasqOf,
  firewallOf,
  forwardingOf,
  needsDnsmasq,
  subnetOf,
} from '../../src/driver/host-plan.js';
import { dnsmasqConfContents } from '../../src/host/dnsmasq-config.js';
import { networkRulesetScript } from '../../src/host/nftables.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/networkxml2xml/in/${name}.xml`, import.meta.url), 'utf8');
/** A fixture as the driver starts it: with the bridge name settled. */
const withBridge = (name: string) => {
  const def = networkDefFromXml(fixture(name));
  return { ...def, bridge: { ...def.bridge, name: def.bridge?.name ?? 'virbr0' } };
};
const files = { confFile: '/run/n/dnsmasq.conf', pidFile: '/run/n/dnsmasq.pid', leaseFile: '/run/n/leases' };

test('the full fixture: SNAT to the <nat> range through the forward device, IPv6 routed, dnsmasq with both ranges', () => {
  const def = networkDefFromXml(fixture('full'));
  const fw = firewallOf(def);
  assert.equal(
    { mode: fw.mode, v4: fw.ipv4Subnets, v6: fw.ipv6Subnets, dev: fw.forwardDev },
    { mode: 'nat', v4: ['192.168.100.0/24'], v6: ['2001:db8:0:0:0:0:0:0/64'], dev: 'eth0' },
  );
  const script = networkRulesetScript(fw);
  assert.match(
    script,
    /oifname "eth0" ip saddr 192\.168\.100\.0\/24 ip daddr != 192\.168\.100\.0\/24 snat ip to 1\.2\.3\.4-1\.2\.3\.10:1024-65535/,
  );
  assert.match(script, /iifname "virbr9" oifname "eth0" ip6 saddr 2001:db8:0:0:0:0:0:0\/64 accept/);
  assert.equal(forwardingOf(def), { ipv4: true, ipv6: true });
  assert.equal(bridgeSpecOf(def), {
    name: 'virbr9',
    stp: true,
    forwardDelay: 0,
    mtu: 9000,
    mac: '52:54:00:ab:cd:ef',
    addresses: [
      { address: '192.168.100.1', prefix: 24 },
      { address: '2001:db8::1', prefix: 64 },
    ],
  });
  const conf = dnsmasqConfContents(dnsmasqOf(def, files));
  for (const line of [
    'no-resolv',
    'server=8.8.8.8',
    'server=/lan/10.0.0.1',
    'local=/example.com/',
    'dhcp-range=192.168.100.128,192.168.100.254,255.255.255.0',
    'dhcp-range=2001:db8::100,2001:db8::1ff,64',
    // 127 addresses in the range plus one static host, as libvirt counts.
    'dhcp-lease-max=128',
    'dhcp-host=52:54:00:AA:bb:cc,192.168.100.10,vm1',
    'enable-ra',
    'host-record=a,a.example.com,b,b.example.com,192.168.100.5',
  ]) {
    assert.ok(conf.split('\n').includes(line), `dnsmasq conf has '${line}'`);
  }
});

test('isolated, open, route and bridge networks', () => {
  const isolated = withBridge('isolated');
  assert.is(firewallOf(isolated).mode, 'isolated');
  assert.equal(forwardingOf(isolated), { ipv4: false, ipv6: false });
  assert.not.match(networkRulesetScript(firewallOf(isolated)), /masquerade|accept\n.*ip saddr/);
  assert.not.match(
    networkRulesetScript(firewallOf(withBridge('open'))),
    /chain \S+ \{/,
    'an open network has no chains',
  );
  assert.is(firewallOf(withBridge('route')).mode, 'route');
  const bridged = networkDefFromXml(fixture('bridge-host'));
  assert.is(needsDnsmasq(bridged), false);
  assert.is(subnetOf({ family: 'ipv4', address: '10.1.2.3', prefix: 16 }), '10.1.0.0/16');
});

test.run();
