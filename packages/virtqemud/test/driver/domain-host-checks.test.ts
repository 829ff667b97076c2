/**
 * The start-time refusals for what the host cannot give: host PCI devices VFIO cannot take
 * (read from a sysfs tree the test builds, and from the real /sys, never changing either),
 * and network disks whose block driver the installed QEMU lacks (asked of the real QEMU).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '@tsvirt/common';
import { rejectionOf } from '@tsvirt/common/testing';
import { checkAssignablePciDevice, readHostPciDevice } from '../../src/host/pci-sysfs.js';
import { hasBlockdevDriver } from '../../src/host/blockdev-drivers.js';
import { buildQemuCommandLine } from '../../src/qemu/command-line/index.js';
import { withHarness } from './qemu-harness.js';

const UUID = '7e6d5c4b-3a29-4817-9605-f4e3d2c1b0a9';

/** A sysfs-shaped tree: devices under bus/pci/devices with optional iommu_group and driver links. */
function fakeSysfs(devices: Record<string, { group?: string; driver?: string }>): string {
  const root = mkdtempSync('/tmp/tsv-sysfs-');
  mkdirSync(join(root, 'kernel', 'iommu_groups'), { recursive: true });
  mkdirSync(join(root, 'bus', 'pci', 'drivers'), { recursive: true });
  for (const [name, d] of Object.entries(devices)) {
    const dir = join(root, 'bus', 'pci', 'devices', name);
    mkdirSync(dir, { recursive: true });
    if (d.group !== undefined) {
      mkdirSync(join(root, 'kernel', 'iommu_groups', d.group), { recursive: true });
      symlinkSync(`../../../kernel/iommu_groups/${d.group}`, join(dir, 'iommu_group'));
    }
    if (d.driver !== undefined) {
      mkdirSync(join(root, 'bus', 'pci', 'drivers', d.driver), { recursive: true });
      symlinkSync(`../../../bus/pci/drivers/${d.driver}`, join(dir, 'driver'));
    }
  }
  return root;
}

test('sysfs: a device bound to vfio-pci in an IOMMU group is assignable; every other case is refused by name', async () => {
  const root = fakeSysfs({
    '0000:00:04.0': { group: '7', driver: 'vfio-pci' },
    '0000:00:05.0': { group: '8', driver: 'e1000e' },
    '0000:00:06.0': { group: '9' },
    '0000:00:07.0': { driver: 'vfio-pci' },
  });
  try {
    assert.equal(await checkAssignablePciDevice('0000:00:04.0', true, root), {
      name: '0000:00:04.0',
      iommuGroup: '7',
      driver: 'vfio-pci',
    });
    assert.equal(await checkAssignablePciDevice('0000:00:04.0', false, root), {
      name: '0000:00:04.0',
      iommuGroup: '7',
      driver: 'vfio-pci',
    });

    let err = await rejectionOf(checkAssignablePciDevice('0000:00:1f.7', true, root));
    assert.is(err.code, ErrorCode.NO_NODE_DEVICE);
    assert.is(err.message, 'PCI device 0000:00:1f.7 not found');

    err = await rejectionOf(checkAssignablePciDevice('0000:00:05.0', true, root));
    assert.is(err.code, ErrorCode.CONFIG_UNSUPPORTED);
    assert.match(err.message, "PCI device 0000:00:05.0 is bound to driver 'e1000e', not 'vfio-pci'");
    assert.match(err.message, 'managed detach needs virtnodedevd (issue 6)');

    err = await rejectionOf(checkAssignablePciDevice('0000:00:06.0', true, root));
    assert.is(err.code, ErrorCode.CONFIG_UNSUPPORTED);
    assert.match(err.message, "PCI device 0000:00:06.0 is bound to no driver, not 'vfio-pci'");

    err = await rejectionOf(checkAssignablePciDevice('0000:00:05.0', false, root));
    assert.is(err.code, ErrorCode.OPERATION_INVALID);
    assert.match(err.message, 'is not managed');

    err = await rejectionOf(checkAssignablePciDevice('0000:00:07.0', true, root));
    assert.is(err.code, ErrorCode.OPERATION_INVALID);
    assert.match(err.message, 'PCI device 0000:00:07.0 is in no IOMMU group');

    // A name that is not a PCI address never reaches the file system.
    err = await rejectionOf(readHostPciDevice('../../etc', root));
    assert.is(err.code, ErrorCode.NO_NODE_DEVICE);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

function hostdevXml(addr: { bus: string; slot: string; fn: string }): string {
  return `<domain type='kvm'>
  <name>hostdev-guest</name>
  <uuid>${UUID}</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0x0000' bus='${addr.bus}' slot='${addr.slot}' function='${addr.fn}'/></source>
    </hostdev>
  </devices>
</domain>`;
}

test('start refuses a hostdev the real /sys lacks or cannot assign, and starts no QEMU', async () => {
  await withHarness(async (h) => {
    const driver = await h.driver({ buildCommandLine: buildQemuCommandLine });
    // 00:1f.7 is not on this machine (its functions stop well before); checked, not assumed.
    assert.not.ok(existsSync('/sys/bus/pci/devices/0000:00:1f.7'));
    await driver.defineXML(hostdevXml({ bus: '0x00', slot: '0x1f', fn: '0x7' }));
    let err = await rejectionOf(driver.create(UUID));
    assert.is(err.message, 'PCI device 0000:00:1f.7 not found');
    assert.not.ok(driver.list.getByUuid(UUID).active);

    // 00:00.0 (the host bridge) always exists; without an IOMMU group VFIO cannot take it.
    const hostBridge = '/sys/bus/pci/devices/0000:00:00.0';
    if (existsSync(hostBridge) && !existsSync(join(hostBridge, 'iommu_group'))) {
      await driver.defineXML(hostdevXml({ bus: '0x00', slot: '0x00', fn: '0x0' }));
      err = await rejectionOf(driver.create(UUID));
      assert.is(err.code, ErrorCode.OPERATION_INVALID);
      assert.match(err.message, 'PCI device 0000:00:00.0 is in no IOMMU group');
    } else {
      // With an IOMMU, the bridge is bound to no vfio-pci: refused as needing virtnodedevd.
      await driver.defineXML(hostdevXml({ bus: '0x00', slot: '0x00', fn: '0x0' }));
      err = await rejectionOf(driver.create(UUID));
      assert.is(err.code, ErrorCode.CONFIG_UNSUPPORTED);
      assert.match(err.message, 'managed detach needs virtnodedevd');
    }
    assert.not.ok(driver.list.getByUuid(UUID).active);
  });
});

test("the installed QEMU's network block drivers: nbd built in, sheepdog gone, modules as installed", async () => {
  assert.is(await hasBlockdevDriver('qemu-system-x86_64', 'nbd'), true);
  assert.is(await hasBlockdevDriver('qemu-system-x86_64', 'sheepdog'), false, 'removed from QEMU in 6.0');
  // Debian ships gluster and curl as modules of qemu-block-extra: the probe must agree with the disk.
  const moduleDir = '/usr/lib/x86_64-linux-gnu/qemu';
  assert.is(await hasBlockdevDriver('qemu-system-x86_64', 'gluster'), existsSync(`${moduleDir}/block-gluster.so`));
  assert.is(await hasBlockdevDriver('qemu-system-x86_64', 'http'), existsSync(`${moduleDir}/block-curl.so`));
});

test('start refuses a network disk whose protocol this QEMU cannot open', async () => {
  await withHarness(async (h) => {
    const driver = await h.driver({ buildCommandLine: buildQemuCommandLine });
    await driver.defineXML(`<domain type='kvm'>
  <name>sheep</name>
  <uuid>${UUID}</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <disk type='network' device='disk'>
      <source protocol='sheepdog' name='image'><host name='127.0.0.1'/></source>
      <target dev='vda' bus='virtio'/>
    </disk>
  </devices>
</domain>`);
    const err = await rejectionOf(driver.create(UUID));
    assert.is(err.code, ErrorCode.CONFIG_UNSUPPORTED);
    assert.is(
      err.message,
      "unsupported configuration: network disk 'vda' needs QEMU's 'sheepdog' block driver, which 'qemu-system-x86_64' does not have",
    );
    assert.not.ok(driver.list.getByUuid(UUID).active);
  });
});

test.run();
