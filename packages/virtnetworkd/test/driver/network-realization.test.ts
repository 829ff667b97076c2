/**
 * Networks realized for real by a virtnetworkd inside a test namespace: the bridge, dnsmasq,
 * nftables chains and IP forwarding appear on start and are gone after destroy; conflicts are
 * refused with nothing left behind; a real DHCP lease shows in getDHCPLeases; a live update
 * reaches dnsmasq; ports and active networks survive a kill -9 of the daemon undisturbed.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createNetworkPort,
  createNetworkXML,
  defineNetwork,
  destroyNetwork,
  getNetworkBridgeName,
  getNetworkDHCPLeases,
  getNetworkPortXML,
  getNetworkXML,
  isNetworkActive,
  isNetworkPersistent,
  listAllNetworkPorts,
  listAllNetworks,
  startNetwork,
  updateNetwork,
  type Connection,
} from '@tsvirt/client';
import { ErrorCode } from '@tsvirt/common';
import { NetworkEventType, networkLifecycle } from '@tsvirt/common/protocol';
import { rejectionOf, waitFor } from '@tsvirt/common/testing';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findDnsmasqPid } from '../../src/host/dnsmasq-process.js';
import { listOurChains } from '../../src/host/nftables.js';
import { addNamespace, deleteNamespace, findBusybox } from '../host/netns.js';
import { networkDaemonEnv, type NetworkDaemonEnv } from './netns-daemon.js';

const NAT_UUID = '7b2e0c1a-1111-4c3d-9f4e-000000000001';
const CLIENT_MAC = '52:54:00:aa:bb:01';

function natXml(name: string, uuid: string, subnet: string, extra = ''): string {
  return `<network>
  <name>${name}</name>
  <uuid>${uuid}</uuid>
  <forward mode='nat'/>${extra}
  <ip address='${subnet}.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='${subnet}.100' end='${subnet}.150'/>
      <host mac='${CLIENT_MAC}' name='client1' ip='${subnet}.42'/>
    </dhcp>
  </ip>
</network>`;
}

async function linkExists(env: NetworkDaemonEnv, name: string): Promise<boolean> {
  const r = await env.ns.run(['ip', '-j', 'link', 'show', 'dev', name], { okExitCodes: [1, 255] });
  return r.exitCode === 0;
}

function dnsmasqFiles(env: NetworkDaemonEnv, name: string): { confFile: string; pidFile: string } {
  const dir = join(env.runNetworksDir, name);
  return { confFile: join(dir, 'dnsmasq.conf'), pidFile: join(dir, 'dnsmasq.pid') };
}

async function dnsmasqPid(env: NetworkDaemonEnv, name: string): Promise<number | undefined> {
  const f = dnsmasqFiles(env, name);
  return findDnsmasqPid(f.pidFile, f.confFile);
}

/** Everything the network put on the host: present after start, absent after destroy. */
async function hostTrace(env: NetworkDaemonEnv, name: string, bridge: string) {
  return {
    bridge: await linkExists(env, bridge),
    dnsmasq: (await dnsmasqPid(env, name)) !== undefined,
    chains: (await listOurChains(env.ns.run)).filter((c) => c.startsWith(`${bridge}_`)).sort(),
  };
}

/** A real DHCP exchange from a client namespace plugged into the bridge by a veth pair. */
async function dhcpClient(env: NetworkDaemonEnv, bridge: string): Promise<string> {
  chmodSync(env.root, 0o755);
  const busybox = findBusybox(env.root);
  const client = await addNamespace(`${env.ns.name}-c`);
  try {
    await env.ns.run(['ip', 'link', 'add', 'vc-h', 'type', 'veth', 'peer', 'name', 'vc-c', 'netns', client.name]);
    await env.ns.run(['ip', 'link', 'set', 'vc-h', 'master', bridge, 'up']);
    await client.run(['ip', 'link', 'set', 'vc-c', 'address', CLIENT_MAC, 'up']);
    const out = join(env.root, 'udhcpc.out');
    const script = join(env.root, 'udhcpc.script');
    writeFileSync(script, `#!/bin/sh\n[ "$1" = bound ] && echo "$ip $router" > ${out}\nexit 0\n`);
    chmodSync(script, 0o755);
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
    return readFileSync(out, 'utf8').trim();
  } finally {
    await deleteNamespace(client.name);
  }
}

test('a NAT network: realized, leased, updated live, kept across a daemon kill -9, then removed completely', async () => {
  const env = await networkDaemonEnv();
  try {
    await env.start();
    const conn = await env.connect();
    const events: string[] = [];
    await conn.subscribe(networkLifecycle, (e) => events.push(`${e.name}:${e.event}`));
    const net = await defineNetwork(conn, natXml('nat1', NAT_UUID, '10.91.0'));
    // No bridge name given: the lowest free virbrN, settled at define time as libvirt does.
    assert.match(await getNetworkXML(conn, NAT_UUID), /<bridge name='virbr0' stp='on' delay='0'\/>/);

    const t0 = performance.now();
    await startNetwork(conn, net.uuid);
    const startMs = performance.now() - t0;
    assert.is(await isNetworkActive(conn, NAT_UUID), true);
    assert.is(await getNetworkBridgeName(conn, NAT_UUID), 'virbr0');
    assert.equal(await hostTrace(env, 'nat1', 'virbr0'), {
      bridge: true,
      dnsmasq: true,
      chains: ['virbr0_forward', 'virbr0_input', 'virbr0_postrouting'],
    });
    const addr = JSON.parse((await env.ns.run(['ip', '-j', '-4', 'addr', 'show', 'dev', 'virbr0'])).stdout)[0];
    assert.is(`${addr.addr_info[0].local}/${addr.addr_info[0].prefixlen}`, '10.91.0.1/24');
    assert.is((await env.ns.run(['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim(), '1');
    assert.is((await rejectionOf(startNetwork(conn, NAT_UUID))).code, ErrorCode.OPERATION_INVALID);

    // A real lease, reported as libvirt reports it.
    assert.is(await dhcpClient(env, 'virbr0'), '10.91.0.42 10.91.0.1');
    const leases = await waitFor(
      async () => {
        const l = await getNetworkDHCPLeases(conn, NAT_UUID);
        return l.length > 0 ? l : undefined;
      },
      10_000,
      'the lease',
    );
    assert.equal(
      { ...leases[0]!, expirytime: 0 },
      {
        iface: 'virbr0',
        expirytime: 0,
        type: 0,
        mac: CLIENT_MAC,
        ipaddr: '10.91.0.42',
        prefix: 24,
        hostname: 'client1',
        clientid: leases[0]!.clientid,
      },
    );
    assert.ok(leases[0]!.expirytime > Date.now() / 1000, 'an unexpired lease');
    assert.equal(await getNetworkDHCPLeases(conn, NAT_UUID, '52:54:00:00:00:99'), []);

    // A live update reaches dnsmasq (restarted on its new conf); the saved config is untouched.
    const pidBefore = await dnsmasqPid(env, 'nat1');
    await updateNetwork(conn, NAT_UUID, {
      command: 'add-last',
      section: 'ip-dhcp-host',
      xml: "<host mac='52:54:00:aa:bb:02' name='client2' ip='10.91.0.43'/>",
    });
    assert.match(await getNetworkXML(conn, NAT_UUID), /client2/);
    assert.not.match(await getNetworkXML(conn, NAT_UUID, { inactive: true }), /client2/);
    assert.match(
      readFileSync(dnsmasqFiles(env, 'nat1').confFile, 'utf8'),
      /dhcp-host=52:54:00:aa:bb:02,10\.91\.0\.43,client2/,
    );
    const pidAfter = await dnsmasqPid(env, 'nat1');
    assert.ok(pidAfter !== undefined && pidAfter !== pidBefore, `dnsmasq restarted: ${pidBefore} → ${pidAfter}`);
    assert.is(
      (
        await rejectionOf(
          updateNetwork(conn, NAT_UUID, { command: 'add-last', section: 'ip-dhcp-range', xml: '<range/>' }),
        )
      ).code,
      ErrorCode.OPERATION_UNSUPPORTED,
    );

    // A port for a guest: the plug names the bridge its tap must join.
    const port = await createNetworkPort(
      conn,
      NAT_UUID,
      "<networkport><owner><name>g1</name><uuid>11111111-2222-3333-4444-555555555555</uuid></owner><mac address='52:54:00:aa:bb:03'/></networkport>",
    );
    assert.match(port.xml, /<plug type='network' bridge='virbr0' macTableManager='kernel'\/>/);

    // kill -9: the next daemon finds the network active and its dnsmasq and port untouched.
    const first = env.daemons[0]!;
    first.child.kill('SIGKILL');
    await first.exited;
    await env.start();
    const conn2 = await env.connect();
    assert.is(await isNetworkActive(conn2, NAT_UUID), true);
    assert.is(await dnsmasqPid(env, 'nat1'), pidAfter, 'the same dnsmasq process');
    assert.equal(await listAllNetworkPorts(conn2, NAT_UUID), [{ network: NAT_UUID, uuid: port.uuid }]);
    assert.is(await getNetworkPortXML(conn2, port), port.xml);
    const reclaimed = await createNetworkPort(conn2, NAT_UUID, port.xml, { reclaim: true });
    assert.is(reclaimed.uuid, port.uuid);
    assert.is((await rejectionOf(createNetworkPort(conn2, NAT_UUID, port.xml))).code, ErrorCode.INTERNAL_ERROR);
    assert.match(await getNetworkXML(conn2, NAT_UUID), /client2/, 'the live definition survived');

    const events2: string[] = [];
    await conn2.subscribe(networkLifecycle, (e) => events2.push(`${e.name}:${e.event}`));
    const t1 = performance.now();
    await destroyNetwork(conn2, NAT_UUID);
    const destroyMs = performance.now() - t1;
    await waitFor(async () => (await dnsmasqPid(env, 'nat1')) === undefined, 5000, 'dnsmasq to exit');
    assert.equal(await hostTrace(env, 'nat1', 'virbr0'), { bridge: false, dnsmasq: false, chains: [] });
    assert.not.ok(existsSync(join(env.runNetworksDir, 'nat1.xml')), 'no status file');
    assert.is(await isNetworkActive(conn2, NAT_UUID), false);
    assert.is(await isNetworkPersistent(conn2, NAT_UUID), true);
    assert.equal(events, [`nat1:${NetworkEventType.DEFINED}`, `nat1:${NetworkEventType.STARTED}`]);
    await waitFor(() => events2.length >= 1, 5000, 'STOPPED');
    assert.equal(events2, [`nat1:${NetworkEventType.STOPPED}`]);
    console.log(`    net-start ${startMs.toFixed(1)} ms, net-destroy ${destroyMs.toFixed(1)} ms`);
  } finally {
    await env.close();
  }
});

test('conflicts are refused and leave nothing behind; transient, isolated, open and bridge networks', async () => {
  const env = await networkDaemonEnv();
  try {
    await env.start();
    const conn: Connection = await env.connect();
    await createNetworkXML(
      conn,
      natXml('first', NAT_UUID, '10.92.0').replace('<forward', "<bridge name='tsvbrA'/><forward"),
    );

    // Same subnet as an active network: its bridge holds the route.
    const overlap = await defineNetwork(conn, natXml('overlap', '7b2e0c1a-1111-4c3d-9f4e-000000000002', '10.92.0'));
    const err = await rejectionOf(startNetwork(conn, overlap.uuid));
    assert.is(err.code, ErrorCode.INTERNAL_ERROR);
    assert.match(err.message, /Network is already in use by interface tsvbrA/);
    // A bridge name another network has, at define.
    const taken = await rejectionOf(
      defineNetwork(
        conn,
        natXml('taken', '7b2e0c1a-1111-4c3d-9f4e-000000000003', '10.93.0').replace(
          '<forward',
          "<bridge name='tsvbrA'/><forward",
        ),
      ),
    );
    assert.match(taken.message, /bridge name 'tsvbrA' already in use/);
    // A bridge name a host device holds, at start.
    await env.ns.run(['ip', 'link', 'add', 'tsvdummy0', 'type', 'bridge']);
    const clash = await defineNetwork(
      conn,
      natXml('clash', '7b2e0c1a-1111-4c3d-9f4e-000000000004', '10.94.0').replace(
        '<forward',
        "<bridge name='tsvdummy0'/><forward",
      ),
    );
    assert.match(
      (await rejectionOf(startNetwork(conn, clash.uuid))).message,
      /Unable to create bridge tsvdummy0: File exists/,
    );
    assert.equal(
      (await listOurChains(env.ns.run)).filter((c) => !c.startsWith('tsvbrA_')),
      [],
      'no chains of the refused networks',
    );
    assert.equal(
      (await listAllNetworks(conn, { active: true })).map((n) => n.name),
      ['first'],
    );

    // Transient: gone from the list after destroy, with its runtime dir.
    assert.is(await isNetworkPersistent(conn, NAT_UUID), false);
    await destroyNetwork(conn, NAT_UUID);
    assert.equal(
      (await listAllNetworks(conn)).map((n) => n.name),
      ['clash', 'overlap'],
    );
    assert.not.ok(existsSync(join(env.runNetworksDir, 'first')));
    assert.not.ok(await linkExists(env, 'tsvbrA'));

    // Isolated: no forwarding chains but rejects; open: no chains at all; bridge: nothing made.
    const isolated = await createNetworkXML(
      conn,
      `<network><name>iso</name><bridge name='tsvbrI'/><ip address='10.95.0.1' prefix='24'/></network>`,
    );
    assert.equal((await listOurChains(env.ns.run)).sort(), ['tsvbrI_forward', 'tsvbrI_input']);
    await destroyNetwork(conn, isolated.uuid);
    const open = await createNetworkXML(
      conn,
      `<network><name>open</name><forward mode='open'/><bridge name='tsvbrO'/><ip address='10.96.0.1' prefix='24'/></network>`,
    );
    assert.ok(await linkExists(env, 'tsvbrO'));
    assert.equal(await listOurChains(env.ns.run), []);
    await destroyNetwork(conn, open.uuid);
    await env.ns.run(['ip', 'link', 'add', 'br-host', 'type', 'bridge']);
    const bridged = await createNetworkXML(
      conn,
      `<network><name>hostbr</name><forward mode='bridge'/><bridge name='br-host'/></network>`,
    );
    const port = await createNetworkPort(
      conn,
      bridged.uuid,
      "<networkport><owner><name>g1</name><uuid>11111111-2222-3333-4444-555555555555</uuid></owner><mac address='52:54:00:aa:bb:04'/></networkport>",
    );
    assert.match(port.xml, /<plug type='bridge' bridge='br-host'\/>/);
    await destroyNetwork(conn, bridged.uuid);
    assert.ok(await linkExists(env, 'br-host'), 'a host bridge is never deleted');
  } finally {
    await env.close();
  }
});

test('a network whose bridge vanished while the daemon was down comes back inactive, its dnsmasq ended', async () => {
  const env = await networkDaemonEnv();
  try {
    const daemon = await env.start();
    const conn = await env.connect();
    await defineNetwork(conn, natXml('gone', NAT_UUID, '10.97.0'));
    await startNetwork(conn, NAT_UUID);
    const pid = await dnsmasqPid(env, 'gone');
    assert.ok(pid !== undefined);
    daemon.child.kill('SIGKILL');
    await daemon.exited;
    await env.ns.run(['ip', 'link', 'del', 'dev', 'virbr0']);
    await env.start();
    const conn2 = await env.connect();
    assert.is(await isNetworkActive(conn2, NAT_UUID), false);
    await waitFor(async () => (await dnsmasqPid(env, 'gone')) === undefined, 5000, 'the orphaned dnsmasq to end');
    assert.equal(await listOurChains(env.ns.run), []);
    await startNetwork(conn2, NAT_UUID);
    assert.ok(await linkExists(env, 'virbr0'), 'it starts again');
  } finally {
    await env.close();
  }
});

test("DNS hosts and domain answered by the network's dnsmasq; IPv6 address and DHCPv6 range; MTU", async () => {
  const env = await networkDaemonEnv();
  const client = await addNamespace(`${env.ns.name}-d`);
  try {
    await env.start();
    const conn = await env.connect();
    const net = await createNetworkXML(
      conn,
      `<network>
  <name>dns1</name>
  <forward mode='route'/>
  <bridge name='tsvbrD'/>
  <mtu size='1400'/>
  <domain name='tsv.test' localOnly='yes'/>
  <dns><host ip='10.98.0.77'><hostname>web</hostname><hostname>www</hostname></host></dns>
  <ip address='10.98.0.1' prefix='24'/>
  <ip family='ipv6' address='fd00:98::1' prefix='64'><dhcp><range start='fd00:98::100' end='fd00:98::1ff'/></dhcp></ip>
</network>`,
    );
    const link = JSON.parse((await env.ns.run(['ip', '-j', 'addr', 'show', 'dev', 'tsvbrD'])).stdout)[0];
    assert.is(link.mtu, 1400);
    assert.ok(
      link.addr_info.some((a: { local: string; prefixlen: number }) => a.local === 'fd00:98::1' && a.prefixlen === 64),
      'the IPv6 address is on the bridge',
    );
    const conf = readFileSync(dnsmasqFiles(env, 'dns1').confFile, 'utf8');
    assert.match(conf, /^dhcp-range=fd00:98::100,fd00:98::1ff,64$/m);
    assert.match(conf, /^enable-ra$/m);
    assert.is((await env.ns.run(['sysctl', '-n', 'net.ipv6.conf.all.forwarding'])).stdout.trim(), '1');

    // A real DNS query from a client on the bridge, for a <dns><host> name and a domain name.
    chmodSync(env.root, 0o755);
    const busybox = findBusybox(env.root);
    await env.ns.run(['ip', 'link', 'add', 'vd-h', 'type', 'veth', 'peer', 'name', 'vd-c', 'netns', client.name]);
    await env.ns.run(['ip', 'link', 'set', 'vd-h', 'master', 'tsvbrD', 'up']);
    await client.run(['ip', 'addr', 'add', '10.98.0.5/24', 'dev', 'vd-c']);
    await client.run(['ip', 'link', 'set', 'vd-c', 'up']);
    // busybox nslookup also asks for AAAA, which dnsmasq refuses (exit 1): the A answer is what counts.
    const answer = await waitFor(
      async () => {
        const r = await client.run([busybox, 'nslookup', 'www.tsv.test', '10.98.0.1'], { okExitCodes: [1] });
        return /10\.98\.0\.77/.test(r.stdout) ? r.stdout : undefined;
      },
      10_000,
      'an answer from dnsmasq',
    );
    assert.match(answer, /Address:\s+10\.98\.0\.77/);
    await destroyNetwork(conn, net.uuid);
    assert.not.ok(await linkExists(env, 'tsvbrD'));
  } finally {
    await deleteNamespace(client.name);
    await env.close();
  }
});

test.run();
