/**
 * The test guest on a bridge, for real: inside a network namespace of the test, a bridge
 * with 192.168.77.1/24 and a dnsmasq serving DHCP on it; virtqemud runs in the namespace
 * and plugs the guest's virtio NIC (a tap) into the bridge. The guest's init asks for a
 * lease with udhcpc and pings the gateway; its serial log shows both. An ACPI shutdown
 * then ends the guest and its tap. TCG boot: 3-10 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDomainXML, getDomainXML, listAllDomains, open, shutdownDomain, type Connection } from '@tsvirt/client';
import { VirError } from '@tsvirt/common';
import { domainGetStats } from '@tsvirt/common/protocol';
import {
  killProcessesMentioning,
  makeTempRoot,
  removeTempRoot,
  waitFor,
  type DaemonProcess,
} from '@tsvirt/common/testing';
import { makeNetNamespace } from './net-namespace.js';
import { guestXml, serialText } from './real-guest.js';

const BRIDGE = 'tsvbr0';
const GATEWAY = '192.168.77.1';

const guest = (serialLog: string): string =>
  guestXml({
    name: 'bridge-dhcp',
    serialLog,
    devices: `
    <interface type='bridge'>
      <mac address='52:54:00:77:00:10'/>
      <source bridge='${BRIDGE}'/>
      <model type='virtio'/>
    </interface>`,
  });

/** A dnsmasq serving DHCP only (no DNS) on the bridge, in the namespace; stopped by pid. */
function startDnsmasq(ns: string, root: string): ChildProcess {
  return spawn(
    'ip',
    [
      'netns',
      'exec',
      ns,
      'dnsmasq',
      '--no-daemon',
      '--conf-file=/dev/null',
      `--interface=${BRIDGE}`,
      '--bind-interfaces',
      '--port=0',
      '--dhcp-range=192.168.77.10,192.168.77.50',
      '--no-ping',
      `--pid-file=${join(root, 'dnsmasq.pid')}`,
      `--dhcp-leasefile=${join(root, 'dnsmasq.leases')}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

/** net.0.tx.pkts from domain stats, or undefined while no daemon of this tree reports stats. */
async function netTxPackets(conn: Connection, uuid: string): Promise<number | undefined> {
  try {
    const { records } = await conn.call(domainGetStats, { uuids: [uuid], groups: ['interface'] });
    const value = records[0]?.params['net.0.tx.pkts'];
    return typeof value === 'number' ? value : -1;
  } catch (err) {
    if (err instanceof VirError && /getStats|not supported|unknown procedure/i.test(err.message)) return undefined;
    throw err;
  }
}

test('the test guest on a bridge gets a DHCP lease from dnsmasq and pings the gateway', async () => {
  const ns = makeNetNamespace('br-dhcp');
  const root = makeTempRoot();
  const serialLog = join(root, 'serial.log');
  let dnsmasq: ChildProcess | undefined;
  let daemon: DaemonProcess | undefined;
  let conn: Connection | undefined;
  try {
    ns.ip('link', 'add', BRIDGE, 'type', 'bridge');
    ns.ip('addr', 'add', `${GATEWAY}/24`, 'dev', BRIDGE);
    ns.ip('link', 'set', BRIDGE, 'up');
    dnsmasq = startDnsmasq(ns.name, root);
    let dnsmasqErr = '';
    dnsmasq.stderr!.on('data', (chunk: Buffer) => (dnsmasqErr += chunk.toString()));
    // In the foreground dnsmasq writes no pidfile: its log line says when it serves DHCP.
    await waitFor(() => /DHCP, sockets bound/.test(dnsmasqErr) || dnsmasq!.exitCode !== null, 10_000, 'dnsmasq');
    assert.is(dnsmasq.exitCode, null, `dnsmasq runs: ${dnsmasqErr}`);

    daemon = await ns.spawnVirtqemud(root);
    conn = await open('qemu:///session', { env: { ...process.env, TSVIRT_ROOT: root }, autostart: false });
    const started = Date.now();
    const dom = await createDomainXML(conn, guest(serialLog));
    assert.is(ns.link('vnet0')?.master, BRIDGE, 'the tap is a port of the bridge');
    assert.match(await getDomainXML(conn, dom.uuid), "<target dev='vnet0'/>");

    const serial = (): string => serialText(serialLog);
    await waitFor(() => serial().includes('TSVIRT-PING-GW'), 90_000, 'the guest to try the gateway');
    const pingedAfter = Date.now() - started;
    const ip = /TSVIRT-GUEST-IP (\S+)/.exec(serial())?.[1];
    assert.ok(ip, `the guest got an address: ${serial().slice(-2000)}`);
    assert.match(ip, /^192\.168\.77\.(\d+)$/);
    const host = Number(ip.split('.')[3]);
    assert.ok(host >= 10 && host <= 50, `${ip} is in the DHCP range`);
    assert.match(serial(), `TSVIRT-GUEST-GW ${GATEWAY}`);
    assert.match(serial(), 'TSVIRT-PING-GW ok');
    assert.match(readFileSync(join(root, 'dnsmasq.leases'), 'utf8'), `52:54:00:77:00:10 ${ip}`);

    const txPackets = await netTxPackets(conn, dom.uuid);
    if (txPackets !== undefined) assert.ok(txPackets > 0, `net.0.tx.pkts ${txPackets} > 0 after the ping`);

    // The guest's own power-off ends QEMU; the tap goes with it.
    await shutdownDomain(conn, dom.uuid);
    await waitFor(async () => (await listAllDomains(conn!)).length === 0, 30_000, 'the guest to power off');
    assert.match(serial(), 'TSVIRT-GUEST-POWERDOWN');
    assert.is(ns.link('vnet0'), undefined, 'the tap goes with the guest');
    process.stdout.write(
      `  lease ${ip} and gateway ping ${pingedAfter} ms after create; stats ${txPackets === undefined ? 'not served yet' : `tx.pkts ${txPackets}`}\n`,
    );
  } finally {
    await conn?.close().catch(() => undefined);
    await daemon?.stop(2000);
    killProcessesMentioning(root);
    if (dnsmasq?.pid !== undefined && dnsmasq.exitCode === null) dnsmasq.kill('SIGKILL');
    ns.remove();
    removeTempRoot(root);
  }
});

test.run();
