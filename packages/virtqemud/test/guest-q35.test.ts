/**
 * The test guest on a q35 machine with no PCI address in its XML: virtqemud adds the
 * pcie-root-ports libvirt would, the guest reads its virtio disk and gets a DHCP lease
 * from user networking through virtio devices behind those ports, and QEMU's own view
 * (query-pci once the guest has enumerated the buses) has each device behind its port.
 * Boots under TCG: give it a minute.
 */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDomainXML, getDomainXML } from '@tsvirt/client';
import { waitFor } from '@tsvirt/common/testing';
import { connectUnix, quit } from '../src/qemu/monitor/index.js';
import { guestXml, markerDisk, qemuPidOf, runtimeDir, serialText, withGuestDaemon } from './real-guest.js';

const BOOT_MS = 90_000;

function q35Xml(disk: string, serialLog: string): string {
  return guestXml({
    name: 'q35-guest',
    machine: 'q35',
    serialLog,
    devices: `
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='${disk}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='user'>
      <mac address='52:54:00:35:35:01'/>
      <model type='virtio'/>
    </interface>`,
  });
}

interface PciDevice {
  bus: number;
  slot: number;
  function: number;
  qdev_id: string;
  pci_bridge?: { bus: { secondary: number }; devices?: PciDevice[] };
}

test('q35 without addresses: root ports added, the guest reads its virtio disk and gets 10.0.2.15', async () => {
  await withGuestDaemon(async (g) => {
    const disk = join(g.root, 'q35.img');
    const serialLog = join(g.root, 'q35.serial');
    markerDisk(disk, 'q35');
    const conn = await g.connect();
    const started = Date.now();
    const dom = await createDomainXML(conn, q35Xml(disk, serialLog));

    const live = await getDomainXML(conn, dom.uuid);
    assert.match(live, "<controller type='pci' index='0' model='pcie-root'/>");
    assert.match(
      live,
      /<controller type='pci' index='1' model='pcie-root-port'>\s*<model name='pcie-root-port'\/>\s*<target chassis='1' port='0x8'\/>/,
    );
    assert.match(
      live,
      "<address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0' multifunction='on'/>",
    );
    // NIC, disk, balloon each behind a port of their own, and one spare: four ports.
    assert.match(live, "<controller type='pci' index='4' model='pcie-root-port'>");
    assert.not.match(live, "index='5' model='pcie-root-port'");
    assert.match(live, "<controller type='sata' index='0'>");

    await waitFor(() => serialText(serialLog).includes('TSVIRT-GUEST-IP'), BOOT_MS, 'the guest to report its address');
    const readyAfter = Date.now() - started;
    const serial = serialText(serialLog);
    assert.match(serial, 'TSVIRT-DISK-MARKER q35');
    assert.match(serial, 'TSVIRT-GUEST-IP 10.0.2.15');

    // The daemon owns the QMP socket; once it is gone (QEMU lives on) the test asks QEMU itself.
    const pid = qemuPidOf(g.root, dom.id);
    g.daemon().child.kill('SIGKILL');
    await g.daemon().exited;
    const qmp = await connectUnix(join(runtimeDir(g.root, dom.id), 'monitor.sock'), { timeoutMs: 10_000 });
    const buses = await qmp.execute<Array<{ devices: PciDevice[] }>>('query-pci');
    const root = buses[0]?.devices ?? [];
    const port = (id: string): PciDevice | undefined => root.find((d) => d.qdev_id === id);
    const behind = (portId: string): string[] => (port(portId)?.pci_bridge?.devices ?? []).map((d) => d.qdev_id);
    assert.equal(
      ['pci.1', 'pci.2', 'pci.3', 'pci.4'].map((id) => [id, port(id)?.slot, port(id)?.function]),
      [
        ['pci.1', 1, 0],
        ['pci.2', 1, 1],
        ['pci.3', 1, 2],
        ['pci.4', 1, 3],
      ],
    );
    assert.equal(behind('pci.1'), ['net0']);
    assert.equal(behind('pci.2'), ['virtio-disk0']);
    assert.equal(behind('pci.3'), ['balloon0']);
    assert.equal(behind('pci.4'), []);
    // The guest's firmware numbered the buses behind the ports: the devices are really there.
    assert.ok((port('pci.1')?.pci_bridge?.bus.secondary ?? 0) > 0);
    await quit(qmp);
    // QEMU closing its monitor is its exit; the pid may linger unreaped for a while.
    assert.is((await qmp.closed).reason, 'eof', `QEMU ${pid} closed its monitor`);
    process.stdout.write(`  q35 guest had its address ${readyAfter} ms after create\n`);
  });
});

test.run();
