/**
 * The persistent networks of a real virtnetworkd driven through the client helpers: define,
 * redefine, conflicts, autostart links, survival of a kill -9, undefine, events, read-only
 * connections and hostile names.
 */
import { existsSync, lstatSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  defineNetwork,
  getNetworkAutostart,
  getNetworkXML,
  isNetworkActive,
  isNetworkPersistent,
  listAllNetworks,
  lookupNetworkByName,
  lookupNetworkByUUID,
  setNetworkAutostart,
  destroyNetwork,
  undefineNetwork,
} from '@tsvirt/client';
import { ErrorCode, ErrorDomain } from '@tsvirt/common';
import { NetworkEventType, networkLifecycle } from '@tsvirt/common/protocol';
import { rejectionOf, waitFor } from '@tsvirt/common/testing';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatNetworkDef, networkDefFromXml } from '../../src/conf/index.js';
import { networkDaemonEnv } from './netns-daemon.js';

const UUID1 = '6a1e7c2e-0b7f-4c3d-9f4e-1a2b3c4d5e01';
const UUID2 = '6a1e7c2e-0b7f-4c3d-9f4e-1a2b3c4d5e02';

function netXml(name: string, uuid: string, address = '192.168.150.1'): string {
  return `<network>
  <name>${name}</name>
  <uuid>${uuid}</uuid>
  <forward mode='nat'/>
  <bridge name='tsvbr-${name.slice(0, 6)}'/>
  <mac address='52:54:00:12:34:56'/>
  <ip address='${address}' netmask='255.255.255.0'>
    <dhcp><range start='${address.replace(/\.1$/, '.10')}' end='${address.replace(/\.1$/, '.20')}'/></dhcp>
  </ip>
</network>`;
}

const names = ['DEFINED', 'UNDEFINED', 'STARTED', 'STOPPED'];

test('define, redefine, conflicts, autostart, kill -9 and restart, undefine, with their events', async () => {
  const env = await networkDaemonEnv();
  try {
    const daemon = await env.start();
    const conn = await env.connect();
    const events: string[] = [];
    await conn.subscribe(networkLifecycle, (e) => events.push(`${e.name}:${names[e.event]}:${e.detail}`));

    const xml1 = netXml('net1', UUID1);
    const ref = await defineNetwork(conn, xml1);
    assert.equal(ref, { name: 'net1', uuid: UUID1 });
    await defineNetwork(conn, netXml('alpha', UUID2, '192.168.151.1'));
    assert.equal(
      (await listAllNetworks(conn)).map((n) => n.name),
      ['alpha', 'net1'],
    );
    assert.is(await getNetworkXML(conn, UUID1), formatNetworkDef(networkDefFromXml(xml1)));
    assert.is(await isNetworkActive(conn, UUID1), false);
    assert.is(await isNetworkPersistent(conn, UUID1), true);
    assert.equal(await lookupNetworkByName(conn, 'net1'), ref);
    assert.equal(await lookupNetworkByUUID(conn, UUID1), ref);
    assert.ok(existsSync(join(env.networksDir, 'net1.xml')));

    // Redefinition with the same name and uuid replaces the config.
    const xml1b = netXml('net1', UUID1, '192.168.152.1');
    await defineNetwork(conn, xml1b);
    assert.is(await getNetworkXML(conn, UUID1), formatNetworkDef(networkDefFromXml(xml1b)));

    const nameTaken = await rejectionOf(defineNetwork(conn, netXml('net1', 'aaaaaaaa-0b7f-4c3d-9f4e-1a2b3c4d5e03')));
    assert.is(nameTaken.code, ErrorCode.OPERATION_FAILED);
    assert.is(nameTaken.message, `network 'net1' already exists with uuid ${UUID1}`);
    const uuidTaken = await rejectionOf(defineNetwork(conn, netXml('other', UUID1)));
    assert.is(uuidTaken.code, ErrorCode.OPERATION_FAILED);
    assert.is(uuidTaken.message, `network 'net1' is already defined with uuid ${UUID1}`);
    assert.not.ok(existsSync(join(env.networksDir, 'other.xml')));

    const missing = await rejectionOf(lookupNetworkByName(conn, 'nope'));
    assert.is(missing.code, ErrorCode.NO_NETWORK);
    assert.is(missing.domain, ErrorDomain.NETWORK);
    assert.is(missing.message, "Network not found: no network with matching name 'nope'");

    const link = join(env.networksDir, 'autostart', 'net1.xml');
    await setNetworkAutostart(conn, UUID1, true);
    assert.is(await getNetworkAutostart(conn, UUID1), true);
    assert.is(readlinkSync(link), '../net1.xml');
    assert.equal(
      (await listAllNetworks(conn, { autostart: true })).map((n) => n.name),
      ['net1'],
    );
    assert.equal(
      (await listAllNetworks(conn, { noAutostart: true })).map((n) => n.name),
      ['alpha'],
    );
    assert.equal((await listAllNetworks(conn, { active: true })).length, 0);
    assert.equal((await listAllNetworks(conn, { transient: true })).length, 0);
    await setNetworkAutostart(conn, UUID2, true);
    await setNetworkAutostart(conn, UUID2, false);
    assert.not.ok(existsSync(join(env.networksDir, 'autostart', 'alpha.xml')));

    daemon.child.kill('SIGKILL');
    await daemon.exited;
    writeFileSync(join(env.networksDir, 'broken.xml'), '<network><name>broken');
    const restarted = await env.start();
    const conn2 = await env.connect();
    assert.equal(
      (await listAllNetworks(conn2)).map((n) => n.name),
      ['alpha', 'net1'],
    );
    assert.is(await getNetworkAutostart(conn2, UUID1), true);
    assert.is(await getNetworkAutostart(conn2, UUID2), false);
    assert.is(await getNetworkXML(conn2, UUID1), formatNetworkDef(networkDefFromXml(xml1b)));
    assert.match(restarted.output(), /skipping unreadable network file/);
    // The restarted daemon autostarted net1 (inside the test's namespace).
    assert.is(await isNetworkActive(conn2, UUID1), true);

    const events2: string[] = [];
    await conn2.subscribe(networkLifecycle, (e) => events2.push(`${e.name}:${names[e.event]}:${e.detail}`));
    await destroyNetwork(conn2, UUID1);
    await undefineNetwork(conn2, UUID1);
    assert.not.ok(existsSync(join(env.networksDir, 'net1.xml')));
    assert.throws(() => lstatSync(link));
    assert.equal(
      (await listAllNetworks(conn2)).map((n) => n.name),
      ['alpha'],
    );
    assert.is((await rejectionOf(lookupNetworkByUUID(conn2, UUID1))).code, ErrorCode.NO_NETWORK);

    await waitFor(() => events.length >= 3, 5000, 'first daemon events');
    assert.equal(events, ['net1:DEFINED:0', 'alpha:DEFINED:0', 'net1:DEFINED:0']);
    await waitFor(() => events2.length >= 2, 5000, 'destroy and undefine events');
    assert.equal(events2, [`net1:STOPPED:0`, `net1:UNDEFINED:0`]);
    assert.is(NetworkEventType.UNDEFINED, 1);
  } finally {
    await env.close();
  }
});

test('a read-only connection lists and describes but cannot define; hostile names write nothing', async () => {
  const env = await networkDaemonEnv();
  try {
    await env.start();
    const conn = await env.connect();
    const xml = netXml('ro1', UUID1);
    await defineNetwork(conn, xml);
    const ro = await env.connect(true);
    assert.equal(
      (await listAllNetworks(ro)).map((n) => n.name),
      ['ro1'],
    );
    assert.is(await getNetworkXML(ro, UUID1), formatNetworkDef(networkDefFromXml(xml)));
    const denied = await rejectionOf(defineNetwork(ro, netXml('ro2', UUID2)));
    assert.is(denied.code, ErrorCode.OPERATION_DENIED);
    assert.is((await rejectionOf(undefineNetwork(ro, UUID1))).code, ErrorCode.OPERATION_DENIED);

    const before = readdirSync(join(env.root, 'lib', 'virtnetworkd')).sort();
    const hostile: Array<[string, string]> = [
      ['../escape', "network name '../escape' cannot start with '.'"],
      ['.hidden', "network name '.hidden' cannot start with '.'"],
      ['a/b', "network name 'a/b' cannot contain '/'"],
      ['..', "network name '..' cannot start with '.'"],
    ];
    for (const [name, message] of hostile) {
      const err = await rejectionOf(defineNetwork(conn, netXml(name, UUID2).replace(/<bridge[^>]*>/, '')));
      assert.is(err.code, ErrorCode.INVALID_ARG, name);
      assert.is(err.message, message);
    }
    assert.equal(readdirSync(join(env.root, 'lib', 'virtnetworkd')).sort(), before);
    assert.equal(readdirSync(env.networksDir).sort(), ['autostart', 'ro1.xml']);
    assert.not.ok(existsSync(join(env.root, 'lib', 'escape.xml')));
    assert.equal(
      (await listAllNetworks(conn)).map((n) => n.name),
      ['ro1'],
    );
  } finally {
    await env.close();
  }
});

test.run();
