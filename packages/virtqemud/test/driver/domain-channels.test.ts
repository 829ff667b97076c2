/**
 * Channels and sound through the driver, against real QEMUs (kvm, no OS): a guest-agent
 * channel with no path listens at `<runtime dir>/org.qemu.guest_agent.0`, the live XML shows
 * that path and the pty a pty channel got, the saved definition keeps neither, and the
 * socket goes with the runtime dir at destroy.
 */
import { existsSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '@tsvirt/common/testing';
import { formatDomainDef } from '../../src/conf/domain-xml.js';
import { buildQemuCommandLine } from '../../src/qemu/command-line/index.js';
import { queryChardev } from '../../src/qemu/monitor/index.js';
import { UUID_A } from './helpers.js';
import { withHarness } from './qemu-harness.js';

const XML = `<domain type='kvm'>
  <name>agent1</name>
  <uuid>${UUID_A}</uuid>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <channel type='unix'>
      <source mode='bind'/>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <channel type='pty'>
      <target type='virtio' name='org.example.pty'/>
    </channel>
    <sound model='ich9'/>
    <memballoon model='none'/>
  </devices>
</domain>`;

/** Resolves once something accepts a connection on the unix socket `path`. */
function connects(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(path, () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

test('a pathless guest-agent channel listens in the runtime dir; live XML shows it and the pty, saved XML does not', () =>
  withHarness(async (h) => {
    const driver = await h.driver({ buildCommandLine: buildQemuCommandLine });
    await driver.defineXML(XML);
    const started = Date.now();
    await driver.create(UUID_A);
    const dom = driver.list.getByUuid(UUID_A);
    const socket = join(h.runStateDir, 'domain-1', 'org.qemu.guest_agent.0');
    assert.ok(statSync(socket).isSocket(), `${socket} is a socket`);
    assert.ok(await connects(socket), 'QEMU accepts a connection on it');

    const monitor = dom.runtime?.monitor;
    assert.ok(monitor, 'the domain has a monitor');
    const chardevs = await queryChardev(monitor);
    const agent = chardevs.find((c) => c.label === 'charchannel0');
    // Our connection above was closed again; QEMU reports the listening socket either way.
    assert.match(agent?.filename ?? '', new RegExp(`^(dis)?connected:unix:${socket},server=on`));
    const pty = chardevs.find((c) => c.label === 'charchannel1')?.ptyPath;
    assert.ok(pty?.startsWith('/dev/pts/'), `pty channel got ${pty ?? 'nothing'}`);
    process.stdout.write(`  agent socket and pty up ${Date.now() - started} ms after start\n`);

    const live = formatDomainDef(dom.def, {});
    assert.match(live, `<source mode='bind' path='${socket}'/>`);
    assert.match(live, `<source path='${pty}'/>`);
    assert.match(live, "<address type='virtio-serial' controller='0' bus='0' port='1'/>");
    assert.match(live, "<sound model='ich9'>");
    assert.match(live, "<audio id='1' type='none'/>");
    const saved = formatDomainDef(dom.persistentDef, { inactive: true });
    assert.match(saved, "<source mode='bind'/>");
    assert.not.match(saved, '/dev/pts/');

    await driver.destroy(UUID_A);
    await waitFor(() => !existsSync(socket), 5000, 'the channel socket to go with the runtime dir');
    assert.not.ok(driver.list.getByUuid(UUID_A).persistentDef.devices.channels[0]?.source?.path);
  }));

test.run();
