/**
 * Tap devices of `<interface type='ethernet'|'bridge'>`, for real: a virtqemud runs inside
 * a network namespace of the test, starts OS-less KVM guests there, and the test looks at
 * the namespace's links from outside. A tap exists (up, named in the live XML) while its
 * QEMU runs and is gone after destroy, a crash of QEMU, a failed start, and a daemon
 * restart that finds the QEMU dead.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createDomainXML,
  destroyDomain,
  getDomainXML,
  listAllDomains,
  open,
  type Connection,
  type DomainRef,
} from '@tsvirt/client';
import { ErrorCode } from '@tsvirt/common';
import {
  isGone,
  killProcessesMentioning,
  makeTempRoot,
  pidsMentioning,
  rejectionOf,
  removeTempRoot,
  waitFor,
  type DaemonProcess,
} from '@tsvirt/common/testing';
import { makeNetNamespace, type NetNamespace } from './net-namespace.js';

const MAC_A = '52:54:00:7a:00:01';
const MAC_B = '52:54:00:7a:00:02';

function guestXml(name: string, interfaces: string): string {
  return `<domain type='kvm'>
  <name>${name}</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
${interfaces}
  </devices>
</domain>`;
}

function ethernet(mac: string, target?: string, mtu?: number): string {
  const dev = target === undefined ? '' : `<target dev='${target}'/>`;
  const size = mtu === undefined ? '' : `<mtu size='${mtu}'/>`;
  return `<interface type='ethernet'><mac address='${mac}'/>${dev}<model type='virtio'/>${size}</interface>`;
}

function bridged(mac: string, bridge: string): string {
  return `<interface type='bridge'><mac address='${mac}'/><source bridge='${bridge}'/><model type='virtio'/></interface>`;
}

function qemuPids(root: string): number[] {
  return pidsMentioning(root).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('qemu');
    } catch {
      return false;
    }
  });
}

/** Names of the namespace's links other than loopback and the bridges the test made. */
function tapNames(ns: NetNamespace): string[] {
  return ns
    .links()
    .map((l) => l.ifname)
    .filter((n) => n !== 'lo' && !n.startsWith('tsvbr'))
    .sort();
}

interface Bed {
  ns: NetNamespace;
  root: string;
  daemons: DaemonProcess[];
  conns: Connection[];
  connect(): Promise<Connection>;
}

/** A namespace, a temp root and a daemon in it; everything is stopped and removed afterwards. */
async function withBed(tag: string, body: (bed: Bed) => Promise<void>): Promise<void> {
  const ns = makeNetNamespace(tag);
  const root = makeTempRoot();
  const bed: Bed = {
    ns,
    root,
    daemons: [],
    conns: [],
    async connect() {
      const conn = await open('qemu:///session', { env: { ...process.env, TSVIRT_ROOT: root }, autostart: false });
      bed.conns.push(conn);
      return conn;
    },
  };
  try {
    bed.daemons.push(await ns.spawnVirtqemud(root));
    await body(bed);
  } finally {
    for (const conn of bed.conns) await conn.close().catch(() => undefined);
    for (const daemon of bed.daemons) await daemon.stop(2000);
    killProcessesMentioning(root);
    ns.remove();
    removeTempRoot(root);
  }
}

test('type ethernet: vnet0 exists and is up while QEMU runs, shows in the live XML, and goes with destroy and with a crash', () =>
  withBed('tap-eth', async ({ ns, root, connect }) => {
    const conn = await connect();
    let started = Date.now();
    let dom = await createDomainXML(conn, guestXml('tap-eth', ethernet(MAC_A)));
    const startMs = Date.now() - started;
    const tap = ns.link('vnet0');
    assert.ok(tap, 'vnet0 exists in the namespace');
    assert.ok(tap.flags.includes('UP'), `vnet0 is up: ${tap.flags.join(',')}`);
    assert.is(tap.address, 'fe:54:00:7a:00:01', "the tap's own MAC is the guest's with 0xfe first");
    assert.equal(tapNames(ns), ['vnet0']);
    const live = await getDomainXML(conn, dom.uuid);
    assert.match(live, /<interface type='ethernet'>[^]*<target dev='vnet0'\/>[^]*<\/interface>/);

    started = Date.now();
    await destroyDomain(conn, dom.uuid);
    const destroyMs = Date.now() - started;
    assert.equal(tapNames(ns), [], 'no tap left after destroy');

    // The crash path: QEMU killed behind the daemon's back.
    dom = await createDomainXML(conn, guestXml('tap-eth', ethernet(MAC_A)));
    assert.equal(tapNames(ns), ['vnet0'], 'the name is free again and reused');
    const [pid] = qemuPids(root);
    assert.ok(pid, 'QEMU runs');
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => (await listAllDomains(conn)).length === 0, 15_000, 'the crashed guest to be gone');
    assert.equal(tapNames(ns), [], 'no tap left after the crash');
    process.stdout.write(`  start with a tap ${startMs} ms, destroy ${destroyMs} ms\n`);
  }));

test("user-given target names are kept; a 'vnet' name is the driver's to pick, as in libvirt; <mtu> sets the tap's", () =>
  withBed('tap-name', async ({ ns, connect }) => {
    const conn = await connect();
    const xml = guestXml('tap-name', `${ethernet(MAC_A, 'tsvguest0', 9000)}\n${ethernet(MAC_B, 'vnet7')}`);
    const dom: DomainRef = await createDomainXML(conn, xml);
    assert.equal(tapNames(ns), ['tsvguest0', 'vnet0']);
    assert.is(ns.link('tsvguest0')?.mtu, 9000);
    assert.is(ns.link('vnet0')?.mtu, 1500);
    const live = await getDomainXML(conn, dom.uuid);
    assert.match(live, "<mtu size='9000'/>");
    assert.match(live, "<target dev='tsvguest0'/>");
    assert.match(live, "<target dev='vnet0'/>");
    assert.not.match(live, 'vnet7');

    // A second guest asking for a name in use is refused, and leaves the first one's taps alone.
    const err = await rejectionOf(createDomainXML(conn, guestXml('tap-name2', ethernet(MAC_B, 'tsvguest0'))));
    assert.is(err.code, ErrorCode.OPERATION_FAILED);
    assert.is(err.message, 'The tsvguest0 interface already exists');
    assert.equal(tapNames(ns), ['tsvguest0', 'vnet0']);

    await destroyDomain(conn, dom.uuid);
    assert.equal(tapNames(ns), []);
  }));

test('type bridge: the tap is a port of the bridge with its MTU; a missing bridge fails the start cleanly', () =>
  withBed('tap-br', async ({ ns, root, connect }) => {
    ns.ip('link', 'add', 'tsvbr0', 'mtu', '1400', 'type', 'bridge');
    ns.ip('link', 'set', 'tsvbr0', 'up');
    const conn = await connect();
    const dom = await createDomainXML(conn, guestXml('tap-br', bridged(MAC_A, 'tsvbr0')));
    const tap = ns.link('vnet0');
    assert.ok(tap, 'vnet0 exists');
    assert.is(tap.master, 'tsvbr0');
    assert.is(tap.mtu, 1400, "the tap takes the bridge's MTU");
    assert.is(ns.ip('-d', 'link', 'show', 'dev', 'vnet0').includes('bridge_slave'), true);
    assert.match(await getDomainXML(conn, dom.uuid), "<source bridge='tsvbr0'/>");
    await destroyDomain(conn, dom.uuid);
    assert.equal(tapNames(ns), []);

    // The ethernet tap is made first; the missing bridge then fails the start, and it goes too.
    const xml = guestXml('tap-nobr', `${ethernet(MAC_A)}\n${bridged(MAC_B, 'tsvnobr')}`);
    const err = await rejectionOf(createDomainXML(conn, xml));
    assert.is(err.code, ErrorCode.SYSTEM_ERROR);
    assert.is(err.message, "Cannot get interface MTU on 'tsvnobr': No such device");
    assert.equal(tapNames(ns), [], 'no tap left after the failed start');
    assert.equal(qemuPids(root), [], 'no QEMU left after the failed start');
    assert.equal(await listAllDomains(conn), []);
  }));

test('type network on a network virtnetworkd does not have is refused with its error, before any tap is made', () =>
  withBed('tap-net', async ({ ns, connect }) => {
    const conn = await connect();
    const xml = guestXml(
      'tap-net',
      `${ethernet(MAC_A)}\n<interface type='network'><mac address='${MAC_B}'/><source network='default'/></interface>`,
    );
    const err = await rejectionOf(createDomainXML(conn, xml));
    // The session virtnetworkd of the same root, autostarted, knows no network 'default'.
    assert.is(err.code, ErrorCode.NO_NETWORK);
    assert.match(err.message, "network with matching name 'default'");
    assert.equal(tapNames(ns), []);
  }));

test('a daemon killed while a tap guest runs, then the QEMU killed: the next daemon removes the tap', () =>
  withBed('tap-rst', async (bed) => {
    const { ns, root } = bed;
    let conn = await bed.connect();
    await createDomainXML(conn, guestXml('tap-rst', ethernet(MAC_A)));
    const [pid] = qemuPids(root);
    assert.ok(pid, 'QEMU runs');
    bed.daemons[0]!.child.kill('SIGKILL');
    await bed.daemons[0]!.exited;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => isGone(pid), 10_000, 'QEMU to die');
    assert.equal(tapNames(ns), ['vnet0'], 'the persistent tap outlives its QEMU and the daemon');

    const started = Date.now();
    bed.daemons.push(await ns.spawnVirtqemud(root));
    conn = await bed.connect();
    await waitFor(() => tapNames(ns).length === 0, 10_000, 'the new daemon to remove vnet0');
    const cleanedMs = Date.now() - started;
    assert.equal(await listAllDomains(conn), []);
    process.stdout.write(`  restarted daemon removed the stale tap ${cleanedMs} ms after spawn\n`);
  }));

test('taps of a start the daemon never finished (no status yet, only taps.json) are removed by the next daemon', async () => {
  const ns = makeNetNamespace('tap-half');
  const root = makeTempRoot();
  let daemon: DaemonProcess | undefined;
  try {
    // What a daemon killed between creating the tap and spawning QEMU leaves behind.
    ns.ip('tuntap', 'add', 'dev', 'vnet3', 'mode', 'tap');
    const dir = join(root, 'run', 'virtqemud', 'domain-7');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'taps.json'), '["vnet3"]\n');
    daemon = await ns.spawnVirtqemud(root);
    await waitFor(() => !existsSync(dir), 10_000, 'the new daemon to clear the unfinished start');
    assert.equal(tapNames(ns), []);
  } finally {
    await daemon?.stop(2000);
    ns.remove();
    removeTempRoot(root);
  }
});

test.run();
