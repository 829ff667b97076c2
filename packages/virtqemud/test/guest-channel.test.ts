/**
 * The guest-agent channel seen from inside the real test guest (TCG), through the driver:
 * the guest's virtio_console lists a port named org.qemu.guest_agent.0, and a line the
 * guest writes to that port arrives on the host's unix socket, which the driver placed in
 * the domain's runtime dir because the XML gave no path. The guest's shell is on a serial
 * port backed by a unix socket the test talks to.
 */
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '@tsvirt/common/testing';
import { buildQemuCommandLine } from '../src/qemu/command-line/index.js';
import { guestXml } from './real-guest.js';
import { UUID_A } from './driver/helpers.js';
import { withHarness } from './driver/qemu-harness.js';

const AGENT = 'org.qemu.guest_agent.0';

function channelGuestXml(consoleSocket: string): string {
  return guestXml({
    name: 'chan-guest',
    uuid: UUID_A,
    cmdline: 'tsvirt.shell=1',
    serial: { unix: consoleSocket },
    devices: `
    <channel type='unix'>
      <source mode='bind'/>
      <target type='virtio' name='${AGENT}'/>
    </channel>
    <memballoon model='none'/>`,
  });
}

/** A client of a unix socket that keeps everything it has read. */
async function reader(path: string): Promise<{ sock: Socket; text(): string }> {
  let text = '';
  const sock = await new Promise<Socket>((resolve, reject) => {
    const s = connect(path, () => resolve(s));
    s.once('error', reject);
  });
  sock.on('data', (c: Buffer) => (text += c.toString('latin1')));
  return { sock, text: () => text };
}

test('the guest sees the agent port by name and its writes reach the host socket', () =>
  withHarness(async (h) => {
    const consoleSocket = join(h.dir, 'console.sock');
    const driver = await h.driver({ buildCommandLine: buildQemuCommandLine });
    await driver.defineXML(channelGuestXml(consoleSocket));
    const started = Date.now();
    // Paused first, so that both sockets have their reader before the guest runs.
    await driver.create(UUID_A, { paused: true });
    const agentPath = driver.list.getByUuid(UUID_A).def.devices.channels[0]?.source?.path ?? '';
    assert.is(agentPath, join(h.runStateDir, 'domain-1', AGENT));
    const serial = await reader(consoleSocket);
    const agent = await reader(agentPath);
    try {
      await driver.resume(UUID_A);
      await waitFor(() => serial.text().includes('TSVIRT-GUEST-DONE'), 60_000, 'the guest to finish booting');
      const booted = Date.now() - started;
      serial.sock.write(
        'for p in /sys/class/virtio-ports/*; do echo "PORT $(basename $p) $(cat $p/name)"; ' +
          'echo TSVIRT-CHANNEL-HELLO > /dev/$(basename $p); done\n',
      );
      await waitFor(() => /PORT vport\d+p1 org\.qemu\.guest_agent\.0/.test(serial.text()), 30_000, 'the port list');
      await waitFor(() => agent.text().includes('TSVIRT-CHANNEL-HELLO'), 30_000, 'the guest line on the host socket');
      process.stdout.write(`  guest booted in ${booted} ms; its line reached ${agentPath}\n`);
    } finally {
      serial.sock.destroy();
      agent.sock.destroy();
    }
    await driver.destroy(UUID_A);
  }));

test.run();
