/**
 * The fs pool on a real loop device, with the daemon in a private mount namespace: build
 * makes ext4, start mounts it, volumes are files on that filesystem, a kill -9 restart
 * keeps the pool active and mounted, refresh sees files added outside, stop unmounts, and
 * nothing ever shows in the host's mount table.
 */
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '@tsvirt/common';
import { rejectionOf } from '@tsvirt/common/testing';
import {
  buildPool,
  createVolume,
  definePool,
  deletePool,
  destroyPool,
  getPoolInfo,
  getStoragePoolCapabilities,
  isPoolActive,
  listAllVolumes,
  lookupPoolByName,
  refreshPool,
  startPool,
  uploadVolume,
} from '@tsvirt/client';
import { hostHasMount, makeLoopDevice, namespacedStorageEnv } from './host-storage.js';
import { MiB, volXml } from './storage-harness.js';

function fsPoolXml(name: string, device: string, target: string): string {
  return `<pool type='fs'>
  <name>${name}</name>
  <source><device path='${device}'/><format type='ext4'/></source>
  <target><path>${target}</path></target>
</pool>`;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function blkidType(device: string): string {
  return execFileSync('blkid', ['-p', '-o', 'value', '-s', 'TYPE', device], { encoding: 'utf8' }).trim();
}

test('fs pool: mkfs, mount, volumes on the filesystem, restart, refresh, unmount, delete', async () => {
  const env = await namespacedStorageEnv();
  const loop = makeLoopDevice(join(env.scratch, 'fs.img'), 64 * MiB);
  const { ns } = env;
  const target = join(env.scratch, 'mnt');
  try {
    let daemon = await env.startDaemon();
    let conn = await env.connect();

    const caps = await getStoragePoolCapabilities(conn);
    for (const type of ['dir', 'fs', 'netfs', 'logical']) {
      assert.ok(caps.includes(`<pool type='${type}' supported='yes'>`), `${type} supported in\n${caps}`);
    }

    const ref = await definePool(conn, fsPoolXml('fsp', loop.device, target));
    let started = Date.now();
    await buildPool(conn, ref.uuid, { noOverwrite: true });
    const mkfsMs = Date.now() - started;
    assert.is(blkidType(loop.device), 'ext4');
    assert.ok(statSync(target).isDirectory(), 'build made the mount point');

    // A device with a filesystem is built over only with --overwrite.
    const refused = await rejectionOf(buildPool(conn, ref.uuid, { noOverwrite: true }));
    assert.is(refused.code, ErrorCode.STORAGE_POOL_BUILT);
    assert.match(refused.message, `Device '${loop.device}' already formatted using 'ext4'`);
    await buildPool(conn, ref.uuid, { overwrite: true });
    assert.is(blkidType(loop.device), 'ext4');

    started = Date.now();
    await startPool(conn, ref.uuid);
    const startMs = Date.now() - started;
    const mounted = ns.mountAt(target);
    assert.equal(mounted, { source: loop.device, fstype: 'ext4' });
    assert.not.ok(hostHasMount(target), 'the mount stays in the daemon namespace');

    const info = await getPoolInfo(conn, ref.uuid);
    const [blocks, blockSize, free] = ns.exec(['stat', '-f', '-c', '%b %S %a', target]).trim().split(' ').map(Number);
    assert.is(info.capacity, blocks! * blockSize!);
    assert.is(info.available, free! * blockSize!);
    assert.ok(info.capacity > 50 * MiB && info.capacity < 64 * MiB, `ext4 capacity ${info.capacity}`);

    await createVolume(conn, 'fsp', volXml('disk.raw', 2 * MiB));
    const data = randomBytes(2 * MiB);
    const upload = join(env.root, 'upload.bin');
    writeFileSync(upload, data);
    await uploadVolume(conn, { pool: 'fsp', name: 'disk.raw' }, upload);
    // The file is on the ext4 mount, not in the bare mount point the host sees.
    assert.not.ok(existsSync(join(target, 'disk.raw')), 'host view of the mount point is empty');
    assert.is(sha256(readFileSync(ns.path(join(target, 'disk.raw')))), sha256(data));

    // kill -9 and a new daemon: the pool is still active, still mounted, same volume.
    daemon.child.kill('SIGKILL');
    await daemon.exited;
    await conn.close().catch(() => undefined);
    daemon = await env.startDaemon();
    conn = await env.connect();
    const again = await lookupPoolByName(conn, 'fsp');
    assert.ok(await isPoolActive(conn, again.uuid), 'active after restart');
    assert.equal(ns.mountAt(target), { source: loop.device, fstype: 'ext4' });
    assert.equal(
      (await listAllVolumes(conn, 'fsp')).map((v) => v.name),
      ['disk.raw'],
    );

    // A file written on the filesystem from outside the daemon is a volume after refresh.
    writeFileSync(ns.path(join(target, 'outside.img')), randomBytes(4096));
    await refreshPool(conn, ref.uuid);
    assert.equal(
      (await listAllVolumes(conn, 'fsp')).map((v) => v.name),
      ['disk.raw', 'outside.img'],
    );

    await destroyPool(conn, ref.uuid);
    assert.is(ns.mountAt(target), undefined, 'stop unmounted');

    // Mounted by hand elsewhere: the volume is a file on the device, with the uploaded bytes.
    const elsewhere = join(env.scratch, 'by-hand');
    ns.exec(['mkdir', '-p', elsewhere]);
    ns.exec(['mount', loop.device, elsewhere]);
    try {
      assert.is(sha256(readFileSync(ns.path(join(elsewhere, 'disk.raw')))), sha256(data));
    } finally {
      ns.exec(['umount', elsewhere]);
    }

    // Something else on the target: start is refused, nothing is mounted over it.
    ns.exec(['mount', '-t', 'tmpfs', 'tsvtmp', target]);
    try {
      const busy = await rejectionOf(startPool(conn, ref.uuid));
      assert.is(busy.code, ErrorCode.OPERATION_INVALID);
      assert.match(busy.message, `Target '${target}' is already mounted by 'tsvtmp'`);
      assert.equal(ns.mountAt(target), { source: 'tsvtmp', fstype: 'tmpfs' });
    } finally {
      ns.exec(['umount', target]);
    }

    await deletePool(conn, ref.uuid);
    assert.not.ok(existsSync(target), 'delete removed the target directory');
    assert.not.ok(hostHasMount(target), 'no host mount at any point');
    console.log(`fs pool: mkfs.ext4 of 64 MiB ${mkfsMs} ms, mount ${startMs} ms`);
  } finally {
    await env.close();
    loop.detach();
  }
});

test.run();
