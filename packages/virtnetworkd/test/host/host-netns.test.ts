/**
 * The host realization for real, inside network namespaces this test creates: a bridge
 * with dnsmasq handing a lease to udhcpc in a client namespace, and the nft ruleset
 * applied, read back, proven by traffic (NAT masquerade to an "outside" namespace that has
 * no route back; the isolated ruleset blocks it) and removed.
 *
 *   client ns: vc-c (udhcpc) ──veth── host ns: vc-h ⊂ br (10.77.0.1/24, dnsmasq, nft)
 *                                     host ns: vo-h 198.51.100.1/24 ──veth── outside ns: vo-o 198.51.100.2/24
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempRoot, removeTempRoot, waitFor } from '@tsvirt/common/testing';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createBridge,
  deleteBridge,
  linkNameIsFree,
  listHostRoutes,
  findRouteCollision,
} from '../../src/host/bridge.js';
import {
  dhcpRangeSize,
  dnsmasqConfContents,
  dnsmasqHostsFileContents,
  parseDnsmasqLeases,
} from '../../src/host/dnsmasq-config.js';
import { findDnsmasqPid, reloadDnsmasqHosts, startDnsmasq, stopDnsmasq } from '../../src/host/dnsmasq-process.js';
import { enableIpForwarding, readIpForwarding } from '../../src/host/ip-forward.js';
import {
  applyNetworkFirewall,
  listOurChains,
  networkChainNames,
  removeNetworkFirewall,
  type FirewallNetwork,
} from '../../src/host/nftables.js';
import { addNamespace, deleteNamespace, findBusybox, type TestNamespace } from './netns.js';

const BR = 'tsvbr0';
const SUBNET = '10.77.0.0/24';
const CLIENT_MAC = '52:54:00:77:00:99';

/** One ping; true when answered. */
async function pings(ns: TestNamespace, busybox: string, target: string): Promise<boolean> {
  const r = await ns.run([busybox, 'ping', '-c', '1', '-W', '2', target], { okExitCodes: [1, 2] });
  return r.exitCode === 0;
}

test('bridge, dnsmasq lease, nft NAT and isolation inside namespaces', async () => {
  const tag = `${process.pid}`;
  const root = makeTempRoot();
  const names = { host: `tsv-net-h${tag}`, client: `tsv-net-c${tag}`, outside: `tsv-net-o${tag}` };
  const confFile = join(root, 'net.conf');
  const pidFile = join(root, 'net.pid');
  const leaseFile = join(root, 'net.leases');
  const hostsFile = join(root, 'net.hostsfile');
  let dnsmasqPid: number | undefined;
  try {
    // dnsmasq reads the hosts files after dropping root (to nobody), as with libvirt's 0755 dnsmasq dir.
    chmodSync(root, 0o755);
    const busybox = findBusybox(root);
    const host = await addNamespace(names.host);
    const client = await addNamespace(names.client);
    const outside = await addNamespace(names.outside);

    // Bridge: the name is free before, taken after; its subnet now collides for another bridge.
    assert.ok(await linkNameIsFree(host.run, BR));
    let t0 = Date.now();
    await createBridge(host.run, {
      name: BR,
      stp: false,
      forwardDelay: 0,
      mtu: 1400,
      mac: '52:54:00:77:00:01',
      addresses: [{ address: '10.77.0.1', prefix: 24 }],
    });
    const bridgeMs = Date.now() - t0;
    assert.not.ok(await linkNameIsFree(host.run, BR));
    const link = JSON.parse((await host.run(['ip', '-j', '-d', 'link', 'show', 'dev', BR])).stdout)[0];
    assert.is(link.mtu, 1400);
    assert.is(link.address, '52:54:00:77:00:01');
    assert.is(link.linkinfo.info_kind, 'bridge');
    assert.is(link.linkinfo.info_data.stp_state, 0);
    const routes = await listHostRoutes(host.run);
    assert.equal(findRouteCollision('10.77.0.128/25', routes, 'other0'), { dst: SUBNET, dev: BR });
    assert.is(findRouteCollision(SUBNET, routes, BR), undefined);

    // Wiring: client veth into the bridge, outside veth routed by the host namespace.
    await host.run(['ip', 'link', 'add', 'vc-h', 'type', 'veth', 'peer', 'name', 'vc-c', 'netns', names.client]);
    await host.run(['ip', 'link', 'set', 'vc-h', 'master', BR, 'up']);
    await client.run(['ip', 'link', 'set', 'vc-c', 'address', CLIENT_MAC, 'mtu', '1400', 'up']);
    await host.run(['ip', 'link', 'add', 'vo-h', 'type', 'veth', 'peer', 'name', 'vo-o', 'netns', names.outside]);
    await host.run(['ip', 'addr', 'add', '198.51.100.1/24', 'dev', 'vo-h']);
    await host.run(['ip', 'link', 'set', 'vo-h', 'up']);
    await outside.run(['ip', 'addr', 'add', '198.51.100.2/24', 'dev', 'vo-o']);
    await outside.run(['ip', 'link', 'set', 'vo-o', 'up']);
    assert.not.ok(await readIpForwarding(host.run));
    await enableIpForwarding(host.run, false);
    assert.ok(await readIpForwarding(host.run));

    // dnsmasq with a one-address static host, so the lease address is predictable.
    const range = { start: '10.77.0.100', end: '10.77.0.150' };
    writeFileSync(hostsFile, dnsmasqHostsFileContents([{ mac: CLIENT_MAC, ip: '10.77.0.42', name: 'client1' }]));
    writeFileSync(join(root, 'net.addnhosts'), '');
    writeFileSync(
      confFile,
      dnsmasqConfContents({
        name: 'tsvtest',
        bridge: BR,
        netmask: '255.255.255.0',
        pidFile,
        leaseFile,
        hostsFile,
        addnHostsFile: join(root, 'net.addnhosts'),
        ranges: [range],
        leaseMax: dhcpRangeSize(range),
        forwarders: ['198.51.100.2'],
      }),
    );
    t0 = Date.now();
    dnsmasqPid = await startDnsmasq(host.run, confFile, pidFile);
    const dnsmasqMs = Date.now() - t0;
    assert.is(await findDnsmasqPid(pidFile, confFile), dnsmasqPid);
    assert.is(
      await findDnsmasqPid(pidFile, join(root, 'other.conf')),
      undefined,
      'a pid is only ours with our conf file',
    );

    // A real DHCP exchange: udhcpc configures the address and the default route via the bridge.
    const script = join(root, 'udhcpc.script');
    writeFileSync(
      script,
      '#!/bin/sh\n' +
        'case "$1" in bound|renew)\n' +
        '  ip addr flush dev "$interface"\n' +
        '  ip addr add "$ip/$mask" dev "$interface"\n' +
        '  for r in $router; do ip route replace default via "$r" dev "$interface"; done\n' +
        '  echo "$ip $router $hostname" > "' +
        join(root, 'udhcpc.out') +
        '"\n' +
        'esac\n',
    );
    chmodSync(script, 0o755);
    t0 = Date.now();
    await client.run([
      busybox,
      'udhcpc',
      '-i',
      'vc-c',
      '-f',
      '-q',
      '-n',
      '-t',
      '10',
      '-T',
      '1',
      '-s',
      script,
      '-x',
      'hostname:client1',
    ]);
    const dhcpMs = Date.now() - t0;
    assert.is(readFileSync(join(root, 'udhcpc.out'), 'utf8').trim(), '10.77.0.42 10.77.0.1 client1');
    const leases = await waitFor(
      () => {
        const mine = parseDnsmasqLeases(readFileSync(leaseFile, 'utf8')).filter((l) => l.mac === CLIENT_MAC);
        return mine.length > 0 ? mine : undefined;
      },
      10_000,
      'the lease in the dnsmasq lease file',
    );
    assert.is(leases.length, 1);
    assert.is(leases[0]!.ip, '10.77.0.42');
    assert.is(leases[0]!.hostname, 'client1');
    assert.ok(leases[0]!.expiryTime > Date.now() / 1000, `expiry ${leases[0]!.expiryTime} in the future`);
    assert.ok(await reloadDnsmasqHosts(pidFile, confFile));
    assert.is(await findDnsmasqPid(pidFile, confFile), dnsmasqPid, 'SIGHUP does not stop dnsmasq');

    // Without any ruleset the outside host cannot answer: it has no route to 10.77.0.0/24.
    assert.not.ok(await pings(client, busybox, '198.51.100.2'), 'no NAT yet: the reply has no way back');

    // NAT: applied twice (idempotent), read back, and traffic is masqueraded.
    const nat: FirewallNetwork = { bridge: BR, mode: 'nat', ipv4Subnets: [SUBNET] };
    t0 = Date.now();
    await applyNetworkFirewall(host.run, nat);
    await applyNetworkFirewall(host.run, nat);
    const nftMs = (Date.now() - t0) / 2;
    const chains = networkChainNames(BR);
    assert.equal((await listOurChains(host.run)).sort(), [chains.forward, chains.input, chains.postrouting].sort());
    const ruleset = JSON.parse((await host.run(['nft', '-j', 'list', 'ruleset'])).stdout) as {
      nftables: { rule?: { chain: string } }[];
    };
    const ruleCount = (chain: string) => ruleset.nftables.filter((o) => o.rule?.chain === chain).length;
    assert.is(ruleCount(chains.postrouting), 4, 'not doubled by the second apply');
    assert.is(ruleCount(chains.forward), 5);
    assert.is(ruleCount(chains.input), 2);
    assert.ok(await pings(client, busybox, '198.51.100.2'), 'masqueraded ping answered');
    const postroutingText = (await host.run(['nft', 'list', 'chain', 'inet', 'tsvirt', chains.postrouting])).stdout;
    assert.match(postroutingText, /masquerade/);

    // Isolated: replaces the NAT chains; the same ping now fails.
    await applyNetworkFirewall(host.run, { bridge: BR, mode: 'isolated', ipv4Subnets: [SUBNET] });
    assert.equal((await listOurChains(host.run)).sort(), [chains.forward, chains.input].sort());
    assert.not.ok(await pings(client, busybox, '198.51.100.2'), 'isolated: forwarding out of the bridge rejected');

    // Route: with a route back in the outside namespace, both directions work without NAT.
    await outside.run(['ip', 'route', 'add', SUBNET, 'via', '198.51.100.1']);
    await applyNetworkFirewall(host.run, { bridge: BR, mode: 'route', ipv4Subnets: [SUBNET] });
    assert.ok(await pings(client, busybox, '198.51.100.2'), 'routed ping out answered');
    assert.ok(await pings(outside, busybox, '10.77.0.42'), 'routed: the outside reaches the guest');

    // NAT again: new connections from outside to the guest are rejected, replies still pass.
    await applyNetworkFirewall(host.run, nat);
    assert.not.ok(await pings(outside, busybox, '10.77.0.42'), 'nat: no new inbound connection');
    assert.ok(await pings(client, busybox, '198.51.100.2'));

    // Removal leaves nothing of this network.
    await removeNetworkFirewall(host.run, BR);
    await removeNetworkFirewall(host.run, BR);
    assert.equal(await listOurChains(host.run), []);

    // Stop: SIGTERM by verified pid; then the bridge goes.
    assert.is(await stopDnsmasq(pidFile, confFile), dnsmasqPid);
    await waitFor(async () => (await findDnsmasqPid(pidFile, confFile)) === undefined, 10_000, 'dnsmasq to exit');
    dnsmasqPid = undefined;
    await deleteBridge(host.run, BR);
    assert.ok(await linkNameIsFree(host.run, BR));
    console.log(
      `  bridge ${bridgeMs} ms, dnsmasq start ${dnsmasqMs} ms, DHCP lease ${dhcpMs} ms, nft apply ${nftMs} ms`,
    );
  } finally {
    // Also a dnsmasq that started but failed a check before its pid was kept.
    const leftover = dnsmasqPid ?? (await findDnsmasqPid(pidFile, confFile));
    if (leftover !== undefined) {
      try {
        process.kill(leftover, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const ns of Object.values(names)) await deleteNamespace(ns);
    removeTempRoot(root);
  }
});

test.run();
