/**
 * The test guest on virtual networks, for real (issue 5): in a network namespace of the test,
 * a real virtnetworkd and a real virtqemud share one root; a second namespace, "outside", is
 * joined to the first by a veth pair whose end in the first is its uplink (default route).
 * A NAT network with DHCP is started, the guest boots with `<interface type='network'>`:
 * virtqemud asks virtnetworkd for a port, plugs a tap into the port's bridge; the guest gets
 * a lease (virtnetworkd's leases and domifaddr show it), pings its gateway, and reaches the
 * outside host, which sees the uplink's address (masquerade). A virtqemud restart keeps the
 * port; at stop, tap and port go. On an isolated network the gateway answers, the outside
 * does not. A destroyed network leaves no bridge, no dnsmasq and no chains behind.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Duplex } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createDomainXML,
  defineNetwork,
  destroyDomain,
  destroyNetwork,
  getDomainInterfaceAddresses,
  getDomainXML,
  getNetworkDHCPLeases,
  getNetworkPortXML,
  listAllDomains,
  listAllNetworkPorts,
  open,
  openDomainConsole,
  resumeDomain,
  startNetwork,
  type Connection,
} from '@tsvirt/client';
import {
  isGone,
  killProcessesMentioning,
  makeTempRoot,
  pidsMentioning,
  removeTempRoot,
  spawnNamedDaemon,
  waitFor,
  type DaemonProcess,
} from '@tsvirt/common/testing';
import { makeNetNamespace, type NetNamespace } from './net-namespace.js';
import { guestXml } from './real-guest.js';

const UPLINK = 'tsvup0';
const UPLINK_ADDR = '10.99.0.1';
const OUTSIDE_DEV = 'tsvout0';
const OUTSIDE_ADDR = '10.99.0.2';
const LISTEN_PORT = 5555;

const NAT = { name: 'tsvnat', bridge: 'tsvnat0', gateway: '10.123.0.1', mac: '52:54:00:12:30:10' };
const ISO = { name: 'tsviso', bridge: 'tsviso0', gateway: '10.124.0.1', mac: '52:54:00:12:40:10' };

const TSVIRSH = fileURLToPath(new URL('../../../../tools/bin/tsvirsh.js', import.meta.url));

function networkXml(net: typeof NAT, forward: boolean): string {
  const prefix = net.gateway.split('.').slice(0, 3).join('.');
  return `<network>
  <name>${net.name}</name>${forward ? "\n  <forward mode='nat'/>" : ''}
  <bridge name='${net.bridge}'/>
  <ip address='${net.gateway}' netmask='255.255.255.0'>
    <dhcp><range start='${prefix}.100' end='${prefix}.200'/></dhcp>
  </ip>
</network>`;
}

/** The guest with its shell on the console (a pty), on `net`. */
function guest(net: typeof NAT): string {
  return guestXml({
    name: `guest-${net.name}`,
    cmdline: 'tsvirt.shell=1',
    serial: 'pty',
    devices: `
    <console type='pty'/>
    <interface type='network'>
      <mac address='${net.mac}'/>
      <source network='${net.name}'/>
      <model type='virtio'/>
    </interface>`,
  });
}

/** What the guest's console delivered, and commands typed into its shell. */
class GuestConsole {
  private text = '';
  private seq = 0;

  constructor(private readonly stream: Duplex) {
    stream.on('data', (chunk: Buffer) => (this.text += chunk.toString('latin1')));
    // The stream ends with its daemon (a restart) or with the guest: neither is a failure here.
    stream.on('error', () => undefined);
  }

  get output(): string {
    return this.text;
  }

  waitFor(needle: string, timeoutMs = 90_000): Promise<unknown> {
    return waitFor(() => this.text.includes(needle), timeoutMs, `'${needle}' on the console; got:\n${this.text}`);
  }

  /** Types until the shell answers: it may still be starting when the first line arrives. */
  async shellReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // The typed line echoes `$((6*7))`; only the shell's answer shows 42.
    while (!this.text.includes('TSVIRT-SHELL-42')) {
      if (Date.now() > deadline) throw new Error(`no shell on the console:\n${this.text}`);
      this.stream.write('echo TSVIRT-SHELL-$((6*7))\n');
      await waitFor(() => this.text.includes('TSVIRT-SHELL-42'), 3000, 'shell').catch(() => undefined);
    }
  }

  /** Runs `command` once in the guest's shell: true if it exited 0. */
  async succeeds(command: string, timeoutMs = 30_000): Promise<boolean> {
    const tag = `TSVIRT-R${++this.seq}`;
    const ok = `${tag}-OK-42`;
    const fail = `${tag}-FAIL-42`;
    this.stream.write(`${command} >/dev/null 2>&1 && echo ${tag}-OK-$((6*7)) || echo ${tag}-FAIL-$((6*7))\n`);
    await waitFor(() => this.text.includes(ok) || this.text.includes(fail), timeoutMs, `${command}:\n${this.text}`);
    return this.text.includes(ok);
  }
}

/** A TCP listener in `ns` that prints the address of each peer; stopped by pid. */
function startListener(ns: string): { child: ChildProcess; output: () => string } {
  const script = `require('net').createServer((s) => { console.log('FROM ' + s.remoteAddress); s.end('pong\\n'); })
    .listen(${LISTEN_PORT}, '${OUTSIDE_ADDR}', () => console.log('LISTENING'));`;
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { child, output: () => text };
}

/** The chains of `table inet tsvirt` in the namespace (none when the table is gone). */
function nftChains(ns: string): string[] {
  let text: string;
  try {
    text = execFileSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', 'inet', 'tsvirt'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch {
    return [];
  }
  return [...text.matchAll(/^\s*chain (\S+)/gm)].map((m) => m[1]!);
}

/** The dnsmasq processes of this root (their command line names its conf file). */
function dnsmasqPids(root: string): number[] {
  return pidsMentioning(root).filter((pid) => {
    try {
      return execFileSync('cat', [`/proc/${pid}/comm`], { encoding: 'utf8' }).startsWith('dnsmasq');
    } catch {
      return false;
    }
  });
}

function tsvirsh(root: string, ...args: string[]): string {
  return execFileSync(process.execPath, [TSVIRSH, '-c', 'qemu:///session', ...args], {
    encoding: 'utf8',
    env: { ...process.env, TSVIRT_ROOT: root },
  });
}

interface Bed {
  ns: NetNamespace;
  outside: NetNamespace;
  root: string;
  net: Connection;
  qemu: Connection;
  restartQemud(): Promise<void>;
  /** kill -9 of virtnetworkd, then a new one on the same root. */
  crashAndRestartNetd(): Promise<void>;
}

/** Boots the guest on `net` (started paused, so the console sees everything) up to its shell. */
async function bootGuest(bed: Bed, net: typeof NAT): Promise<{ uuid: string; console: GuestConsole; ms: number }> {
  const started = Date.now();
  const dom = await createDomainXML(bed.qemu, guest(net), { paused: true });
  const console = new GuestConsole(await openDomainConsole(bed.qemu, dom.uuid));
  await resumeDomain(bed.qemu, dom.uuid);
  await console.waitFor('TSVIRT-GUEST-DONE');
  const ms = Date.now() - started;
  await console.shellReady();
  return { uuid: dom.uuid, console, ms };
}

async function withBed(body: (bed: Bed) => Promise<void>): Promise<void> {
  const ns = makeNetNamespace('nat');
  const outside = makeNetNamespace('out');
  const root = makeTempRoot();
  const env = { ...process.env, TSVIRT_ROOT: root };
  const daemons: DaemonProcess[] = [];
  const conns: Connection[] = [];
  try {
    // The uplink: NS reaches "outside" over a veth pair, and routes everything else there.
    ns.ip('link', 'add', UPLINK, 'type', 'veth', 'peer', 'name', OUTSIDE_DEV, 'netns', outside.name);
    ns.ip('addr', 'add', `${UPLINK_ADDR}/24`, 'dev', UPLINK);
    ns.ip('link', 'set', UPLINK, 'up');
    outside.ip('addr', 'add', `${OUTSIDE_ADDR}/24`, 'dev', OUTSIDE_DEV);
    outside.ip('link', 'set', OUTSIDE_DEV, 'up');
    ns.ip('route', 'add', 'default', 'via', OUTSIDE_ADDR);

    const wrapper = ['ip', 'netns', 'exec', ns.name];
    daemons.push(await spawnNamedDaemon('virtnetworkd', root, [], {}, { wrapper }));
    daemons.push(await ns.spawnVirtqemud(root));
    const connect = async (uri: string): Promise<Connection> => {
      const conn = await open(uri, { env, autostart: false });
      conns.push(conn);
      return conn;
    };
    const bed: Bed = {
      ns,
      outside,
      root,
      net: await connect('network:///session'),
      qemu: await connect('qemu:///session'),
      async restartQemud() {
        const old = daemons.find((d) => d.child.spawnargs.some((a) => a.includes('virtqemud')));
        await old?.stop(5000);
        daemons.push(await ns.spawnVirtqemud(root));
        bed.qemu = await connect('qemu:///session');
      },
      async crashAndRestartNetd() {
        const old = daemons.find((d) => d.child.spawnargs.some((a) => a.includes('virtnetworkd')));
        old?.child.kill('SIGKILL');
        await old?.exited;
        daemons.push(await spawnNamedDaemon('virtnetworkd', root, [], {}, { wrapper }));
        bed.net = await connect('network:///session');
      },
    };
    await body(bed);
  } finally {
    for (const conn of conns) await conn.close().catch(() => undefined);
    for (const daemon of daemons) await daemon.stop(3000);
    killProcessesMentioning(root);
    ns.remove();
    outside.remove();
    removeTempRoot(root);
  }
}

test('a guest on a NAT network: port, lease, gateway, the outside through NAT; stop and destroy leave nothing', () =>
  withBed(async (bed) => {
    const { ns, root } = bed;
    const listener = startListener(bed.outside.name);
    try {
      await waitFor(() => listener.output().includes('LISTENING'), 20_000, 'the outside listener');
      const nat = await defineNetwork(bed.net, networkXml(NAT, true));
      await startNetwork(bed.net, nat.uuid);
      assert.ok(ns.link(NAT.bridge), 'the network bridge exists');
      const [dnsmasq] = dnsmasqPids(root);
      assert.ok(dnsmasq, 'the network runs a dnsmasq');

      const { uuid, console, ms } = await bootGuest(bed, NAT);
      const tap = ns.links().find((l) => l.ifname.startsWith('vnet'));
      assert.ok(tap, 'a tap exists');
      assert.is(tap.master, NAT.bridge, 'the tap is a port of the network bridge');

      // The live XML in libvirt's shape for a network interface; the port is virtnetworkd's.
      const live = await getDomainXML(bed.qemu, uuid);
      const portid = new RegExp(`<source network='${NAT.name}' portid='([0-9a-f-]{36})' bridge='${NAT.bridge}'/>`).exec(
        live,
      )?.[1];
      assert.ok(portid, live);
      assert.match(live, `<target dev='${tap.ifname}'/>`);
      const ports = await listAllNetworkPorts(bed.net, nat.uuid);
      assert.equal(ports, [{ network: nat.uuid, uuid: portid }]);
      const portXml = await getNetworkPortXML(bed.net, ports[0]!);
      assert.match(portXml, `<mac address='${NAT.mac}'/>`);
      assert.match(portXml, `<uuid>${uuid}</uuid>`);
      assert.match(portXml, `bridge='${NAT.bridge}'`);

      // The lease: on the guest's console, in virtnetworkd, in domifaddr.
      const ip = /TSVIRT-GUEST-IP (\S+)/.exec(console.output)?.[1];
      assert.ok(ip, console.output);
      const host = Number(/^10\.123\.0\.(\d+)$/.exec(ip)?.[1]);
      assert.ok(host >= 100 && host <= 200, `${ip} is in the DHCP range`);
      assert.match(console.output, `TSVIRT-GUEST-GW ${NAT.gateway}`);
      assert.match(console.output, 'TSVIRT-PING-GW ok');
      const leases = await getNetworkDHCPLeases(bed.net, nat.uuid, NAT.mac);
      assert.is(leases.length, 1);
      assert.is(leases[0]!.ipaddr, ip);
      assert.is(leases[0]!.prefix, 24);
      assert.equal(await getDomainInterfaceAddresses(bed.qemu, uuid), [
        { name: tap.ifname, hwaddr: NAT.mac, addrs: [{ type: 0, addr: ip, prefix: 24 }] },
      ]);
      const domifaddr = tsvirsh(root, 'domifaddr', `guest-${NAT.name}`);
      assert.match(domifaddr, ` ${tap.ifname.padEnd(10)} ${NAT.mac}    ipv4         ${ip}/24\n`);

      // Through NAT: "outside" has no route to 10.123.0.0/24, so any answer proves the masquerade.
      assert.ok(await console.succeeds(`ping -c 2 -W 2 ${NAT.gateway}`), 'the gateway answers');
      assert.ok(await console.succeeds(`ping -c 2 -W 2 ${OUTSIDE_ADDR}`), 'the outside host answers');
      assert.ok(
        await console.succeeds(`echo hello | nc -w 3 ${OUTSIDE_ADDR} ${LISTEN_PORT}`),
        'nc reaches the listener',
      );
      await waitFor(() => listener.output().includes('FROM '), 10_000, 'the listener to see the guest');
      assert.match(listener.output(), `FROM ${UPLINK_ADDR}\n`, 'the outside sees the uplink address, not the guest');
      assert.not.match(listener.output(), ip);

      // virtnetworkd killed and restarted under the running guest: network, dnsmasq and port
      // untouched, and the guest still gets out.
      await bed.crashAndRestartNetd();
      assert.equal(dnsmasqPids(root), [dnsmasq], 'the same dnsmasq serves on');
      assert.equal(await listAllNetworkPorts(bed.net, nat.uuid), [{ network: nat.uuid, uuid: portid }]);
      assert.ok(await console.succeeds(`ping -c 2 -W 2 ${OUTSIDE_ADDR}`), 'the outside still answers');

      // A restarted virtqemud finds the guest and its port, and still deletes it at stop.
      await bed.restartQemud();
      assert.equal(await listAllNetworkPorts(bed.net, nat.uuid), [{ network: nat.uuid, uuid: portid }]);
      await destroyDomain(bed.qemu, uuid);
      assert.equal(await listAllDomains(bed.qemu), []);
      assert.is(ns.link(tap.ifname), undefined, 'the tap goes with the guest');
      assert.equal(await listAllNetworkPorts(bed.net, nat.uuid), [], 'the port goes with the guest');

      await destroyNetwork(bed.net, nat.uuid);
      assert.is(ns.link(NAT.bridge), undefined, 'no bridge after destroy');
      await waitFor(() => isGone(dnsmasq), 10_000, 'dnsmasq to end');
      assert.equal(
        nftChains(ns.name).filter((c) => c.startsWith(NAT.bridge)),
        [],
        'no chain of the network left',
      );
      process.stdout.write(`  NAT guest: DHCP ${ip} and gateway ping ${ms} ms after create\n`);
    } finally {
      if (listener.child.exitCode === null) listener.child.kill('SIGKILL');
    }
  }));

test('a guest on an isolated network: the gateway answers, the outside does not', () =>
  withBed(async (bed) => {
    const { ns, root } = bed;
    const iso = await defineNetwork(bed.net, networkXml(ISO, false));
    await startNetwork(bed.net, iso.uuid);
    const [dnsmasq] = dnsmasqPids(root);
    assert.ok(dnsmasq, 'the network runs a dnsmasq');
    const { uuid, console, ms } = await bootGuest(bed, ISO);
    const ip = /TSVIRT-GUEST-IP (\S+)/.exec(console.output)?.[1];
    assert.match(ip ?? '', /^10\.124\.0\.\d+$/, console.output);
    assert.ok(await console.succeeds(`ping -c 2 -W 2 ${ISO.gateway}`), 'the gateway answers');
    assert.not.ok(await console.succeeds(`ping -c 2 -W 2 ${OUTSIDE_ADDR}`), 'the outside is out of reach');
    // Even with a route the guest sets itself, the network forwards nothing.
    await console.succeeds(`ip route replace default via ${ISO.gateway}`);
    assert.not.ok(await console.succeeds(`ping -c 2 -W 2 ${OUTSIDE_ADDR}`), 'still out of reach with a route');
    assert.is((await listAllNetworkPorts(bed.net, iso.uuid)).length, 1);

    await destroyDomain(bed.qemu, uuid);
    assert.equal(await listAllNetworkPorts(bed.net, iso.uuid), []);
    assert.equal(
      ns.links().filter((l) => l.ifname.startsWith('vnet')),
      [],
    );
    await destroyNetwork(bed.net, iso.uuid);
    assert.is(ns.link(ISO.bridge), undefined, 'no bridge after destroy');
    await waitFor(() => isGone(dnsmasq), 10_000, 'dnsmasq to end');
    assert.equal(nftChains(ns.name), [], 'no chain left once no network runs');
    process.stdout.write(`  isolated guest: DHCP ${ip ?? ''} ${ms} ms after create\n`);
  }));

test.run();
