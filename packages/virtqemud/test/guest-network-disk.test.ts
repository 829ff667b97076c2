/**
 * `<disk type='network'>` for real: qemu-nbd serves two raw images, one on a unix socket in
 * the test's temp dir and one on a loopback TCP port; the test guest boots through virtqemud
 * with the unix export as its virtio vda and the TCP one as vdb, and prints the marker it reads
 * from vda's first sector. The TCP export's connection from QEMU is seen in the socket table.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDomainXML, destroyDomain } from '@tsvirt/client';
import { waitFor } from '@tsvirt/common/testing';
import { freeLoopbackPort, isListening } from './loopback-ports.js';
import { guestXml, markerDisk, serialText, withGuestDaemon } from './real-guest.js';

function qemuNbd(args: string[]): ChildProcess {
  const child = spawn('qemu-nbd', ['--format=raw', '--persistent', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (c: Buffer) => process.stderr.write(`qemu-nbd: ${c.toString()}`));
  return child;
}

/** True when some established TCP connection goes to 127.0.0.1:`port`. */
function connectedTo(port: number): boolean {
  const r = spawnSync('ss', ['-Htn', 'state', 'established', `( dport = :${port} )`], { encoding: 'utf8' });
  return r.stdout.includes(`127.0.0.1:${port}`);
}

test('the test guest boots with an NBD disk over a unix socket and reads its marker; a TCP export attaches too', async () => {
  await withGuestDaemon(async (g) => {
    const unixImage = join(g.root, 'nbd-unix.img');
    const tcpImage = join(g.root, 'nbd-tcp.img');
    const socket = join(g.root, 'nbd.sock');
    markerDisk(unixImage, 'nbd');
    markerDisk(tcpImage, 'tcp');
    const port = await freeLoopbackPort();
    const servers = [
      qemuNbd([`--socket=${socket}`, '--export-name=export', unixImage]),
      qemuNbd(['--bind=127.0.0.1', `--port=${port}`, '--export-name=tcpexport', '--read-only', tcpImage]),
    ];
    try {
      await waitFor(() => existsSync(socket), 10_000, 'qemu-nbd to listen on its socket');
      await waitFor(() => isListening(port), 10_000, 'qemu-nbd to listen on TCP');
      const serialLog = join(g.root, 'serial.log');
      const disks = `
    <disk type='network' device='disk'>
      <source protocol='nbd' name='export'><host transport='unix' socket='${socket}'/></source>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='network' device='disk'>
      <source protocol='nbd' name='tcpexport'><host name='127.0.0.1' port='${port}'/></source>
      <target dev='vdb' bus='virtio'/>
      <readonly/>
    </disk>`;
      const xml = guestXml({
        name: 'nbd-guest',
        uuid: '8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d',
        serialLog,
        devices: disks,
      });
      const conn = await g.connect();
      const started = Date.now();
      const dom = await createDomainXML(conn, xml);
      await waitFor(() => serialText(serialLog).includes('TSVIRT-DISK-MARKER nbd'), 60_000, 'the NBD disk marker');
      const markerAfter = Date.now() - started;
      assert.ok(connectedTo(port), `QEMU holds a connection to the TCP export on port ${port}`);
      await destroyDomain(conn, dom.uuid);
      process.stdout.write(`  NBD disk marker ${markerAfter} ms after create\n`);
    } finally {
      for (const s of servers) if (s.pid !== undefined) s.kill('SIGKILL');
    }
  });
});

test.run();
