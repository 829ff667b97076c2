/**
 * DomainNetworkPorts against a scripted network connection (the real daemons are in
 * guest-network-nat.test.ts): the port XML sent for each `<interface type='network'>`, the
 * plug written into the live interface (and shown only in the live XML), ports.json kept
 * before each call, libvirt's refusals, the ports made being deleted when a later one fails,
 * deletes that never throw, reclaim of what a restarted virtnetworkd lost, and leases by MAC;
 * in the driver: a start that fails after its ports were made deletes them, and a restarted
 * daemon deletes the ports of an unfinished start and of a guest that died meanwhile.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, ErrorDomain, TransportError, VirError, type Connection } from '@tsvirt/client';
import { makeTempRoot, rejectionOf, removeTempRoot, virErrorOf } from '@tsvirt/common/testing';
import type { DomainDef } from '../../src/conf/domain-def.js';
import { domainDefFromXml, formatDomainDef } from '../../src/conf/domain-xml.js';
import { formatNetworkPortXml, networkPortPlugFromXml } from '../../src/conf/network-port.js';
import { DomainNetworkPorts, portsOf, readPendingPorts } from '../../src/driver/domain-network-ports.js';
import { SiblingDaemonLink } from '../../src/driver/sibling-daemon.js';
import { recordingLogger } from './helpers.js';
import { smallDomainXml, withHarness } from './qemu-harness.js';

const DOM_UUID = '6a1f0a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const MAC_A = '52:54:00:aa:00:01';
const MAC_B = '52:54:00:aa:00:02';

interface FakeNetwork {
  uuid: string;
  active: boolean;
  plug: string;
  ports: Map<string, string>;
  leases: Array<{ mac: string; ipaddr: string; prefix: number; type: number }>;
}

interface FakeNetd {
  networks: Record<string, FakeNetwork>;
  calls: Array<{ name: string; args: Record<string, unknown> }>;
  /** Procedure name → how many of its next calls fail with a transport error. */
  drops: Map<string, number>;
  /** Procedure name → an error its next call fails with. */
  failNext: Map<string, VirError>;
}

function fakeNetd(): FakeNetd {
  const net = (uuid: string, plug: string, active = true): FakeNetwork => ({
    uuid,
    active,
    plug,
    ports: new Map(),
    leases: [],
  });
  return {
    networks: {
      nat: net(
        '11111111-1111-4111-8111-111111111111',
        `<plug type='network' bridge='virbr3' macTableManager='kernel'/>`,
      ),
      host: net('22222222-2222-4222-8222-222222222222', `<plug type='bridge' bridge='br0'/>`),
      off: net('33333333-3333-4333-8333-333333333333', '', false),
    },
    calls: [],
    drops: new Map(),
    failNext: new Map(),
  };
}

function byUuid(netd: FakeNetd, uuid: unknown): FakeNetwork {
  const n = Object.values(netd.networks).find((x) => x.uuid === uuid);
  if (!n)
    throw new VirError(ErrorCode.NO_NETWORK, ErrorDomain.NETWORK, `no network with matching uuid '${String(uuid)}'`);
  return n;
}

function noPort(uuid: unknown): VirError {
  return new VirError(
    ErrorCode.NO_NETWORK_PORT,
    ErrorDomain.NETWORK,
    `no network port with matching uuid '${String(uuid)}'`,
  );
}

/** A Connection as far as the network helpers use it: `call` by procedure name, and `close`. */
function fakeConnection(netd: FakeNetd): Connection {
  const answers: Record<string, (a: Record<string, unknown>) => unknown> = {
    'network.lookupByName': (a) => {
      const n = netd.networks[a.name as string];
      if (!n) {
        throw new VirError(
          ErrorCode.NO_NETWORK,
          ErrorDomain.NETWORK,
          `no network with matching name '${String(a.name)}'`,
        );
      }
      return { name: a.name, uuid: n.uuid };
    },
    'network.isActive': (a) => ({ active: byUuid(netd, a.uuid).active }),
    'network.portCreateXML': (a) => {
      const n = byUuid(netd, a.network);
      const xml = a.xml as string;
      const uuid = /<uuid>([^<]+)<\/uuid>/.exec(xml)![1]!;
      const answer = a.reclaim ? xml : xml.replace('</networkport>', `  ${n.plug}\n</networkport>`);
      n.ports.set(uuid, answer);
      return { network: n.uuid, uuid, xml: answer };
    },
    'network.portDelete': (a) => {
      if (!byUuid(netd, a.network).ports.delete(a.uuid as string)) throw noPort(a.uuid);
      return {};
    },
    'network.portLookupByUUID': (a) => {
      if (!byUuid(netd, a.network).ports.has(a.uuid as string)) throw noPort(a.uuid);
      return { network: a.network, uuid: a.uuid };
    },
    'network.getDHCPLeases': (a) => ({
      leases: byUuid(netd, a.uuid)
        .leases.filter((l) => a.mac === undefined || l.mac === a.mac)
        .map((l) => ({ iface: 'virbr3', expirytime: 2_000_000_000, ...l })),
    }),
  };
  return {
    call: async (procedure: { name: string }, args: Record<string, unknown>) => {
      netd.calls.push({ name: procedure.name, args });
      const drops = netd.drops.get(procedure.name) ?? 0;
      if (drops > 0) {
        netd.drops.set(procedure.name, drops - 1);
        throw new TransportError('closed', 'the connection is closed');
      }
      const failure = netd.failNext.get(procedure.name);
      if (failure) {
        netd.failNext.delete(procedure.name);
        throw failure;
      }
      const answer = answers[procedure.name];
      if (!answer) throw new Error(`unexpected call ${procedure.name}`);
      return answer(args);
    },
    close: async () => undefined,
  } as unknown as Connection;
}

function portsOver(netd: FakeNetd, options: { failOpen?: boolean } = {}) {
  const { log, errors } = recordingLogger();
  const open = async (): Promise<Connection> => {
    if (options.failOpen)
      throw new VirError(ErrorCode.NO_CONNECT, ErrorDomain.RPC, 'the network daemon is not running');
    return fakeConnection(netd);
  };
  return { ports: new DomainNetworkPorts(new SiblingDaemonLink('network daemon', open, log), log), errors };
}

function defWith(nets: string): DomainDef {
  return domainDefFromXml(`<domain type='kvm'><name>web</name><uuid>${DOM_UUID}</uuid><memory>1024</memory><vcpu>1</vcpu>
<os><type>hvm</type></os><devices>${nets}</devices></domain>`);
}

const network = (mac: string, name: string): string =>
  `<interface type='network'><mac address='${mac}'/><source network='${name}'/><model type='virtio'/></interface>`;

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = makeTempRoot();
  try {
    await body(dir);
  } finally {
    removeTempRoot(dir);
  }
}

const callNames = (netd: FakeNetd): string[] => netd.calls.map((c) => c.name);

test('the port XML is libvirt networkport; the plug of the answer is read back, other plugs refused', () => {
  const xml = formatNetworkPortXml({
    uuid: 'aaaaaaaa-0000-4000-8000-000000000001',
    owner: { name: "a'b", uuid: DOM_UUID },
    mac: MAC_A,
  });
  assert.is(
    xml,
    `<networkport>\n  <uuid>aaaaaaaa-0000-4000-8000-000000000001</uuid>\n  <owner>\n    <name>a'b</name>\n    <uuid>${DOM_UUID}</uuid>\n  </owner>\n  <mac address='${MAC_A}'/>\n</networkport>\n`,
  );
  const withPlug = formatNetworkPortXml({
    uuid: 'aaaaaaaa-0000-4000-8000-000000000001',
    owner: { name: 'a', uuid: DOM_UUID },
    mac: MAC_A,
    plug: { type: 'bridge', bridge: 'br0' },
  });
  assert.match(withPlug, `<plug type='bridge' bridge='br0'/>`);
  assert.equal(networkPortPlugFromXml(withPlug), { type: 'bridge', bridge: 'br0' });
  const direct = virErrorOf(() =>
    networkPortPlugFromXml(`<networkport><uuid>u</uuid><plug type='direct' dev='eth0'/></networkport>`),
  );
  assert.is(direct.code, ErrorCode.CONFIG_UNSUPPORTED);
  assert.match(direct.message, "plug type 'direct'");
  assert.is(virErrorOf(() => networkPortPlugFromXml('<networkport/>')).code, ErrorCode.CONFIG_UNSUPPORTED);
});

test('a port per network interface: plug in the live XML only, ports.json written, bridge interfaces left alone', () =>
  withDir(async (dir) => {
    const netd = fakeNetd();
    const { ports } = portsOver(netd);
    const def = defWith(
      `${network(MAC_A, 'nat')}${network(MAC_B, 'host')}<interface type='bridge'><mac address='52:54:00:aa:00:03'/><source bridge='brx'/></interface>`,
    );
    const made = await ports.allocate(def, dir);
    assert.is(made.length, 2);
    assert.equal(
      made.map((p) => [p.network, p.plug]),
      [
        [netd.networks.nat!.uuid, 'network'],
        [netd.networks.host!.uuid, 'bridge'],
      ],
    );
    const creates = netd.calls.filter((c) => c.name === 'network.portCreateXML');
    assert.is(creates.length, 2);
    const sent = creates[0]!.args.xml as string;
    assert.match(sent, `<uuid>${made[0]!.uuid}</uuid>`);
    assert.match(sent, `<owner>\n    <name>web</name>\n    <uuid>${DOM_UUID}</uuid>\n  </owner>`);
    assert.match(sent, `<mac address='${MAC_A}'/>`);
    assert.not.match(sent, '<plug');
    assert.is(creates[0]!.args.reclaim, undefined);

    const [a, b, c] = def.devices.nets;
    assert.equal(a!.source, { network: 'nat', portid: made[0]!.uuid, bridge: 'virbr3' });
    assert.equal(b!.source, { network: 'host', portid: made[1]!.uuid, bridge: 'br0' });
    assert.equal(c!.source, { bridge: 'brx' });
    const live = formatDomainDef(def, {});
    assert.match(live, `<source network='nat' portid='${made[0]!.uuid}' bridge='virbr3'/>`);
    const inactive = formatDomainDef(def, { inactive: true });
    assert.match(inactive, `<source network='nat'/>`);
    assert.not.match(inactive, 'portid');
    // The live XML reads back as it was (a restarted daemon parses it from status.json).
    assert.equal(domainDefFromXml(live).devices.nets[0]!.source, a!.source);

    assert.equal(JSON.parse(readFileSync(join(dir, 'ports.json'), 'utf8')), made);
    assert.equal(await readPendingPorts(dir), made);
    assert.equal(portsOf([made[0], { network: 'x' }, 'junk']), [made[0]]);
    await ports.close();
  }));

test('a definition without network interfaces never reaches virtnetworkd', () =>
  withDir(async (dir) => {
    const netd = fakeNetd();
    const { ports } = portsOver(netd, { failOpen: true });
    const def = defWith(`<interface type='user'/>`);
    assert.equal(await ports.allocate(def, dir), []);
    assert.equal(await ports.leaseAddresses(def), []);
    await ports.release([]);
    assert.equal(netd.calls, []);
  }));

test("refusals: an inactive network in libvirt's words, an unknown one as virtnetworkd says; a later failure deletes the ports made", () =>
  withDir(async (dir) => {
    const netd = fakeNetd();
    const { ports } = portsOver(netd);
    const inactive = await rejectionOf(ports.allocate(defWith(network(MAC_A, 'off')), dir));
    assert.is(inactive.code, ErrorCode.OPERATION_INVALID);
    assert.is(inactive.message, "network 'off' is not active");
    assert.not.ok(callNames(netd).includes('network.portCreateXML'), 'no port asked of an inactive network');

    const unknown = await rejectionOf(ports.allocate(defWith(network(MAC_A, 'nope')), dir));
    assert.is(unknown.code, ErrorCode.NO_NETWORK);
    assert.is(unknown.message, "no network with matching name 'nope'");

    netd.calls.length = 0;
    const def = defWith(`${network(MAC_A, 'nat')}${network(MAC_B, 'off')}`);
    const later = await rejectionOf(ports.allocate(def, dir));
    assert.is(later.code, ErrorCode.OPERATION_INVALID);
    assert.is(netd.networks.nat!.ports.size, 0, 'the first port is deleted again');
    assert.ok(callNames(netd).includes('network.portDelete'));

    // A create refused by the network leaves no record behind.
    netd.failNext.set(
      'network.portCreateXML',
      new VirError(ErrorCode.OPERATION_FAILED, ErrorDomain.NETWORK, 'network port creation failed'),
    );
    const refused = await rejectionOf(ports.allocate(defWith(network(MAC_A, 'nat')), dir));
    assert.is(refused.code, ErrorCode.OPERATION_FAILED);
    assert.equal(await readPendingPorts(dir), []);
    await ports.close();
  }));

test('a link that drops mid-start is reopened and the start goes on; the port whose answer was lost stays recorded', () =>
  withDir(async (dir) => {
    const netd = fakeNetd();
    const { ports } = portsOver(netd);
    netd.drops.set('network.portCreateXML', 1);
    const def = defWith(`${network(MAC_A, 'nat')}${network(MAC_B, 'nat')}`);
    const made = await ports.allocate(def, dir);
    // The lost one, then the two that succeeded: all deleted at the end, the lost one as "already gone".
    assert.is(made.length, 3);
    assert.is(netd.networks.nat!.ports.size, 2);
    assert.equal(
      def.devices.nets.map((n) => n.source?.portid),
      [made[1]!.uuid, made[2]!.uuid],
    );
    await ports.release(made);
    assert.is(netd.networks.nat!.ports.size, 0);
    await ports.close();
  }));

test('release: ports already gone are fine, other failures and an absent daemon are logged, never thrown', () =>
  withDir(async (dir) => {
    const netd = fakeNetd();
    const { ports, errors } = portsOver(netd);
    const made = await ports.allocate(defWith(`${network(MAC_A, 'nat')}${network(MAC_B, 'host')}`), dir);
    netd.networks.nat!.ports.clear();
    netd.failNext.set('network.portDelete', new VirError(ErrorCode.NO_NETWORK_PORT, ErrorDomain.NETWORK, 'gone'));
    await ports.release(made);
    assert.is(netd.networks.host!.ports.size, 0, 'the second port is still deleted');
    assert.equal(errors, []);

    const again = await ports.allocate(defWith(network(MAC_A, 'nat')), dir);
    netd.failNext.set('network.portDelete', new VirError(ErrorCode.INTERNAL_ERROR, ErrorDomain.NETWORK, 'boom'));
    await ports.release(again);
    assert.is(errors.length, 1);
    assert.is(errors[0]!.msg, 'cannot delete network port');

    const absent = portsOver(netd, { failOpen: true });
    await absent.ports.release(again);
    assert.is(absent.errors.length, 1);
    assert.is(absent.errors[0]!.msg, 'cannot delete network ports');
    await ports.close();
  }));

test('reclaim: a port virtnetworkd still has is left alone, a lost one is created again with reclaim and its plug', () =>
  withDir(async (dir) => {
    const netd = fakeNetd();
    const { ports, errors } = portsOver(netd);
    const def = defWith(`${network(MAC_A, 'nat')}${network(MAC_B, 'host')}`);
    const made = await ports.allocate(def, dir);
    const live = domainDefFromXml(formatDomainDef(def, {}));
    netd.networks.host!.ports.clear();
    netd.calls.length = 0;
    await ports.reclaim(live, made);
    const creates = netd.calls.filter((c) => c.name === 'network.portCreateXML');
    assert.is(creates.length, 1, 'only the lost port');
    assert.is(creates[0]!.args.reclaim, true);
    assert.is(creates[0]!.args.network, netd.networks.host!.uuid);
    assert.match(creates[0]!.args.xml as string, `<uuid>${made[1]!.uuid}</uuid>`);
    assert.match(creates[0]!.args.xml as string, `<plug type='bridge' bridge='br0'/>`);
    assert.ok(netd.networks.host!.ports.has(made[1]!.uuid));
    assert.equal(errors, []);

    // A network that went away: logged, the other ports still handled.
    netd.networks.nat!.ports.clear();
    delete netd.networks.host;
    await ports.reclaim(live, made);
    assert.ok(netd.networks.nat!.ports.has(made[0]!.uuid));
    assert.is(errors.length, 1);
    assert.is(errors[0]!.msg, 'cannot reclaim network port');
    await ports.close();
  }));

test('lease addresses: per network interface, the leases of its MAC; an interface without any is left out', async () => {
  const netd = fakeNetd();
  netd.networks.nat!.leases = [
    { mac: MAC_A, ipaddr: '10.123.0.150', prefix: 24, type: 0 },
    { mac: MAC_A, ipaddr: 'fd00::150', prefix: 64, type: 1 },
    { mac: '52:54:00:ff:ff:ff', ipaddr: '10.123.0.151', prefix: 24, type: 0 },
  ];
  const { ports } = portsOver(netd);
  const def = defWith(
    `${network(MAC_A, 'nat')}${network(MAC_B, 'nat')}<interface type='bridge'><mac address='52:54:00:ff:ff:ff'/><source bridge='b'/></interface>`,
  );
  def.devices.nets[0]!.targetDev = 'vnet4';
  assert.equal(await ports.leaseAddresses(def), [
    {
      name: 'vnet4',
      hwaddr: MAC_A,
      addrs: [
        { type: 0, addr: '10.123.0.150', prefix: 24 },
        { type: 1, addr: 'fd00::150', prefix: 64 },
      ],
    },
  ]);
  const leaseCalls = netd.calls.filter((c) => c.name === 'network.getDHCPLeases').map((c) => c.args.mac);
  assert.equal(leaseCalls, [MAC_A, MAC_B], 'asked by MAC, only for network interfaces');
  await ports.close();
});

test('driver: a start failing after its ports were made deletes them; the domain stays shut off', () =>
  withHarness(async (h) => {
    const netd = fakeNetd();
    // A bridge that does not exist: the tap step fails after the port was made.
    netd.networks.nat!.plug = `<plug type='network' bridge='tsvnobr9'/>`;
    const { ports } = portsOver(netd);
    const driver = await h.driver({ ports });
    const xml = smallDomainXml('portfail', DOM_UUID).replace(
      '</os>',
      `</os><devices>${network(MAC_A, 'nat')}</devices>`,
    );
    const err = await rejectionOf(driver.createXML(xml, { paused: true }));
    assert.is(err.code, ErrorCode.SYSTEM_ERROR);
    assert.match(err.message, "'tsvnobr9'");
    assert.equal(callNames(netd), [
      'network.lookupByName',
      'network.isActive',
      'network.portCreateXML',
      'network.portDelete',
    ]);
    assert.is(netd.networks.nat!.ports.size, 0);
    assert.equal(driver.list.list({}), []);
    await ports.close();
  }));

test('driver: a restarted daemon deletes the ports of an unfinished start and of a guest whose QEMU is gone', () =>
  withHarness(async (h) => {
    const netd = fakeNetd();
    const { ports } = portsOver(netd);
    const pending = { network: netd.networks.nat!.uuid, uuid: 'aaaaaaaa-0000-4000-8000-000000000007', plug: 'network' };
    const crashed = { network: netd.networks.host!.uuid, uuid: 'aaaaaaaa-0000-4000-8000-000000000008', plug: 'bridge' };
    netd.networks.nat!.ports.set(pending.uuid, '<networkport/>');
    netd.networks.host!.ports.set(crashed.uuid, '<networkport/>');
    // Killed in the middle of a start: ports.json and no status.
    const unfinished = join(h.runStateDir, 'domain-3');
    mkdirSync(unfinished);
    writeFileSync(join(unfinished, 'ports.json'), JSON.stringify([pending]));
    // Running when the daemon went, its QEMU gone since (pid 2 is never one of ours).
    const gone = join(h.runStateDir, 'domain-4');
    mkdirSync(gone);
    const live = smallDomainXml('gone', DOM_UUID).replace(
      '</os>',
      `</os><devices><interface type='network'><mac address='${MAC_B}'/><source network='host' portid='${crashed.uuid}' bridge='br0'/><target dev='vnet5'/></interface></devices>`,
    );
    writeFileSync(
      join(gone, 'status.json'),
      JSON.stringify({
        version: 1,
        id: 4,
        pid: 2,
        name: 'gone',
        uuid: DOM_UUID,
        persistent: false,
        monitorPath: join(gone, 'monitor.sock'),
        startedAt: new Date().toISOString(),
        state: 1,
        reason: 1,
        xml: live,
        taps: [],
        ports: [crashed],
      }),
    );
    await h.driver({ ports });
    assert.is(netd.networks.nat!.ports.size, 0, 'the port of the unfinished start is deleted');
    assert.is(netd.networks.host!.ports.size, 0, 'the port of the dead guest is deleted');
    assert.not.ok(existsSync(unfinished));
    assert.not.ok(existsSync(gone));
    await ports.close();
  }));

test.run();
