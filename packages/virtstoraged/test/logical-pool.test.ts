/**
 * The logical pool on a real loop device through a real daemon: build makes the physical
 * volume and the volume group, start and stop (de)activate it, refresh reads the group's
 * size from lvm, delete removes group and PV label; a device that already has content is
 * built over only with --overwrite. LVM only ever sees the test's loop device (a filter).
 * This host's kernel has no device-mapper, so no logical volume can exist here: creating
 * one must fail with a message that says so (volume commands are checked in
 * logical-commands.test.ts with the command runner injected).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '@tsvirt/common';
import { rejectionOf } from '@tsvirt/common/testing';
import {
  buildPool,
  createVolume,
  deleteVolume,
  definePool,
  deletePool,
  destroyPool,
  getPoolInfo,
  getPoolXML,
  isPoolActive,
  listAllVolumes,
  startPool,
  undefinePool,
} from '@tsvirt/client';
import { makeLoopDevice, namespacedStorageEnv } from './host-storage.js';
import { MiB, volXml } from './storage-harness.js';

function lvmConfig(device: string): string {
  return `devices { filter=["a|^${device}$|","r|.*|"] }`;
}

function lvm(command: string, device: string, args: string[]): string {
  return execFileSync(command, ['--config', lvmConfig(device), ...args], {
    encoding: 'utf8',
    env: { ...process.env, LVM_SUPPRESS_FD_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** vg_size and vg_free in bytes, as lvm itself reports them, or undefined when the group does not exist. */
function vgSizes(vg: string, device: string): { size: number; free: number } | undefined {
  try {
    const [size, free] = lvm('vgs', device, ['--noheadings', '--units', 'b', '--nosuffix', '-o', 'vg_size,vg_free', vg])
      .trim()
      .split(/\s+/)
      .map(Number);
    return { size: size!, free: free! };
  } catch {
    return undefined;
  }
}

function blkidType(device: string): string {
  try {
    return execFileSync('blkid', ['-p', '-o', 'value', '-s', 'TYPE', device], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

const hasDeviceMapper = /\bdevice-mapper$/m.test(readFileSync('/proc/misc', 'utf8'));

test('logical pool: pvcreate + vgcreate, activate, sizes from vgs, overwrite rules, vgremove + pvremove', async () => {
  const env = await namespacedStorageEnv();
  const loop = makeLoopDevice(join(env.scratch, 'pv.img'), 64 * MiB);
  const vg = `tsvvg${process.pid}`;
  try {
    await env.startDaemon();
    const conn = await env.connect();
    const xml = `<pool type='logical'>
  <name>${vg}</name>
  <source><device path='${loop.device}'/></source>
</pool>`;
    const ref = await definePool(conn, xml);
    assert.match(await getPoolXML(conn, ref.uuid), `<path>/dev/${vg}</path>`);

    let started = Date.now();
    await buildPool(conn, ref.uuid);
    const buildMs = Date.now() - started;
    assert.is(blkidType(loop.device), 'LVM2_member');
    const sizes = vgSizes(vg, loop.device);
    assert.ok(sizes, 'vgcreate made the group');

    // The device now holds a PV: without --overwrite, build refuses to touch it.
    const refused = await rejectionOf(buildPool(conn, ref.uuid, { noOverwrite: true }));
    assert.is(refused.code, ErrorCode.STORAGE_POOL_BUILT);
    assert.match(refused.message, `Device '${loop.device}' already formatted using 'LVM2_member'`);

    started = Date.now();
    await startPool(conn, ref.uuid);
    const startMs = Date.now() - started;
    assert.ok(await isPoolActive(conn, ref.uuid));
    const info = await getPoolInfo(conn, ref.uuid);
    assert.is(info.capacity, sizes.size);
    assert.is(info.available, sizes.free);
    assert.is(info.allocation, sizes.size - sizes.free);
    assert.ok(info.capacity > 56 * MiB && info.capacity <= 64 * MiB, `vg size ${info.capacity}`);
    assert.equal(await listAllVolumes(conn, vg), []);

    // Where the kernel has device-mapper the LV is a block device at /dev/VG/LV; where not, the error says why.
    if (hasDeviceMapper) {
      await createVolume(conn, vg, volXml('lv1', 8 * MiB));
      assert.ok(statSync(`/dev/${vg}/lv1`).isBlockDevice());
      assert.equal(
        (await listAllVolumes(conn, vg)).map((v) => v.name),
        ['lv1'],
      );
      await deleteVolume(conn, { pool: vg, name: 'lv1' });
    } else {
      const noDm = await rejectionOf(createVolume(conn, vg, volXml('lv1', 8 * MiB)));
      assert.is(noDm.code, ErrorCode.OPERATION_UNSUPPORTED);
      assert.match(noDm.message, "cannot create logical volume 'lv1': the kernel has no device-mapper");
    }
    // Sparse volumes are refused before lvm is asked, whatever the kernel.
    const sparse = await rejectionOf(createVolume(conn, vg, volXml('thin', 8 * MiB, { allocation: 0 })));
    assert.is(sparse.code, ErrorCode.CONFIG_UNSUPPORTED);
    assert.match(sparse.message, 'sparse logical volumes are not supported');

    await destroyPool(conn, ref.uuid);
    assert.not.ok(await isPoolActive(conn, ref.uuid));
    await deletePool(conn, ref.uuid);
    assert.is(vgSizes(vg, loop.device), undefined, 'vgremove removed the group');
    assert.is(blkidType(loop.device), '', 'pvremove wiped the PV label');

    // An overwrite build takes a device whatever it holds (here: an ext4 filesystem).
    execFileSync('mkfs.ext4', ['-q', '-F', loop.device]);
    const formatted = await rejectionOf(buildPool(conn, ref.uuid));
    assert.is(formatted.code, ErrorCode.STORAGE_POOL_BUILT);
    await buildPool(conn, ref.uuid, { overwrite: true });
    assert.is(blkidType(loop.device), 'LVM2_member');
    assert.ok(vgSizes(vg, loop.device));
    await deletePool(conn, ref.uuid);
    await undefinePool(conn, ref.uuid);
    assert.is(vgSizes(vg, loop.device), undefined);
    console.log(`logical pool: build (pvcreate+vgcreate) ${buildMs} ms, start ${startMs} ms`);
  } finally {
    await env.close();
    try {
      lvm('vgremove', loop.device, ['-f', vg]);
    } catch {
      // already removed by the test
    }
    try {
      lvm('pvremove', loop.device, ['-ff', '-y', loop.device]);
    } catch {
      // no PV left
    }
    loop.detach();
  }
});

test.run();
