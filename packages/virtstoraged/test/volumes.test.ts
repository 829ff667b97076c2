/**
 * Volumes of dir pools through a real daemon, checked on the files themselves: raw sparse
 * and allocated, qcow2 with each preallocation mode, backing chains, clones across pools
 * and formats (qemu-img compare), resize rules, wipe, delete (zeroed), refresh.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ErrorCode,
  StorageVolType,
  buildPool,
  createVolume,
  createVolumeFrom,
  definePool,
  deleteVolume,
  getVolumeInfo,
  getVolumePath,
  getVolumeXML,
  listAllVolumes,
  lookupPoolByName,
  lookupPoolByVolume,
  lookupVolume,
  lookupVolumeByKey,
  lookupVolumeByPath,
  refreshPool,
  resizeVolume,
  startPool,
  wipeVolume,
  type Connection,
} from '@tsvirt/client';
import { rejectionOf } from '@tsvirt/common/testing';
import {
  allocatedBytes,
  dirPoolXml,
  qemuImgInfo,
  storageTestEnv,
  volXml,
  MiB,
  type StorageTestEnv,
} from './storage-harness.js';

async function startedPool(env: StorageTestEnv, conn: Connection, name: string): Promise<string> {
  const path = join(env.scratch, name);
  const ref = await definePool(conn, dirPoolXml(name, path));
  await buildPool(conn, ref.uuid);
  await startPool(conn, ref.uuid);
  return path;
}

/** A byte pattern that is not all zeros, so copies and wipes can be checked. */
function pattern(size: number, seed: number): Buffer {
  const buf = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4096) buf.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  return buf;
}

function isZero(buf: Buffer): boolean {
  return buf.every((b) => b === 0);
}

let env: StorageTestEnv;
let conn: Connection;
let poolA: string;
let poolB: string;

test.before(async () => {
  env = await storageTestEnv();
  await env.startDaemon();
  conn = await env.connect();
  poolA = await startedPool(env, conn, 'pa');
  poolB = await startedPool(env, conn, 'pb');
});

test.after(async () => {
  await env.close();
});

test('raw volumes: sparse with allocation 0, fully allocated without <allocation>; key, path and lookups', async () => {
  const sparse = await createVolume(conn, 'pa', volXml('sparse.raw', 1024 * MiB, { allocation: 0 }));
  const path = join(poolA, 'sparse.raw');
  assert.equal(sparse, { pool: 'pa', name: 'sparse.raw', key: path });
  assert.is(statSync(path).size, 1024 * MiB);
  assert.ok(allocatedBytes(path) < MiB, `allocated ${allocatedBytes(path)}`);
  assert.is(statSync(path).mode & 0o777, 0o600);
  const info = await getVolumeInfo(conn, sparse);
  assert.is(info.type, StorageVolType.FILE);
  assert.is(info.capacity, 1024 * MiB);
  assert.ok(info.allocation < MiB);
  const xml = await getVolumeXML(conn, sparse);
  assert.match(xml, `<key>${path}</key>`);
  assert.match(xml, `<path>${path}</path>`);
  assert.match(xml, "<format type='raw'/>");
  assert.is(await getVolumePath(conn, sparse), path);
  assert.equal(await lookupVolumeByKey(conn, path), sparse);
  assert.equal(await lookupVolumeByPath(conn, path), sparse);
  assert.equal(await lookupVolume(conn, 'sparse.raw', 'pa'), sparse);
  assert.equal(await lookupVolume(conn, path), sparse);
  assert.is((await lookupPoolByVolume(conn, path)).name, 'pa');

  const full = await createVolume(conn, 'pa', volXml('full.raw', 8 * MiB));
  assert.ok(allocatedBytes(join(poolA, 'full.raw')) >= 8 * MiB, 'allocation defaults to capacity');
  assert.ok((await getVolumeInfo(conn, full)).allocation >= 8 * MiB);
  const part = await createVolume(conn, 'pa', volXml('part.raw', 8 * MiB, { allocation: 2 * MiB }));
  const partAlloc = allocatedBytes(join(poolA, 'part.raw'));
  assert.ok(partAlloc >= 2 * MiB && partAlloc < 8 * MiB, `partly allocated: ${partAlloc}`);
  assert.is(statSync(join(poolA, 'part.raw')).size, 8 * MiB);

  const dup = await rejectionOf(createVolume(conn, 'pa', volXml('full.raw', MiB)));
  assert.is(dup.code, ErrorCode.STORAGE_VOL_EXIST);
  assert.is(dup.message, "storage volume name 'full.raw' already exists");
  for (const vol of [sparse, full, part]) await deleteVolume(conn, vol);
  assert.not.ok(existsSync(path));
});

test('qcow2 volumes with each preallocation mode, as qemu-img sees them', async () => {
  const capacity = 64 * MiB;
  const allocated: Record<string, number> = {};
  for (const mode of ['off', 'metadata', 'falloc', 'full'] as const) {
    const vol = await createVolume(conn, 'pa', volXml(`q-${mode}.qcow2`, capacity, { format: 'qcow2' }), {
      preallocation: mode,
    });
    const path = join(poolA, vol.name);
    const img = qemuImgInfo(path);
    assert.is(img.format, 'qcow2');
    assert.is(img['virtual-size'], capacity);
    allocated[mode] = allocatedBytes(path);
    const info = await getVolumeInfo(conn, vol);
    assert.is(info.capacity, capacity);
    assert.match(await getVolumeXML(conn, vol), "<format type='qcow2'/>");
  }
  assert.ok(allocated.off! < MiB, JSON.stringify(allocated));
  assert.ok(allocated.metadata! > allocated.off!, JSON.stringify(allocated));
  assert.ok(allocated.metadata! < capacity, JSON.stringify(allocated));
  assert.ok(allocated.falloc! >= capacity, JSON.stringify(allocated));
  assert.ok(allocated.full! >= capacity, JSON.stringify(allocated));
  // libvirt's own flag: VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA with a small allocation means metadata.
  await createVolume(conn, 'pa', volXml('q-flag.qcow2', capacity, { format: 'qcow2', allocation: 0 }), {
    preallocMetadata: true,
  });
  assert.is(allocatedBytes(join(poolA, 'q-flag.qcow2')), allocated.metadata!);
  for (const name of ['q-off', 'q-metadata', 'q-falloc', 'q-full', 'q-flag']) {
    await deleteVolume(conn, { pool: 'pa', name: `${name}.qcow2` });
  }
});

test('a qcow2 on a backing volume, and clones across pools and formats that qemu-img finds equal', async () => {
  const basePath = join(poolA, 'base.raw');
  await createVolume(conn, 'pa', volXml('base.raw', 16 * MiB, { allocation: 0 }));
  // Data at the start and in the middle; the rest stays a hole.
  const data = pattern(2 * MiB, 7);
  execFileSync('dd', [`of=${basePath}`, 'conv=notrunc', 'status=none', 'bs=1M', 'seek=0'], { input: data });
  execFileSync('dd', [`of=${basePath}`, 'conv=notrunc', 'status=none', 'bs=1M', 'seek=9'], { input: data });

  const overlay = await createVolume(
    conn,
    'pb',
    volXml('overlay.qcow2', 16 * MiB, { format: 'qcow2', backing: { path: basePath, format: 'raw' } }),
  );
  const overlayImg = qemuImgInfo(join(poolB, 'overlay.qcow2'));
  assert.is(overlayImg['backing-filename'], basePath);
  assert.match(await getVolumeXML(conn, overlay), `<backingStore>`);
  assert.ok(
    spawnSync('qemu-img', ['compare', '-U', '-f', 'raw', '-F', 'qcow2', basePath, join(poolB, 'overlay.qcow2')])
      .status === 0,
    'the overlay reads as its base',
  );

  const clone = await createVolumeFrom(conn, 'pb', volXml('clone.qcow2', 0, { format: 'qcow2' }), {
    pool: 'pa',
    name: 'base.raw',
  });
  const clonePath = join(poolB, 'clone.qcow2');
  assert.is(qemuImgInfo(clonePath).format, 'qcow2');
  assert.is(qemuImgInfo(clonePath)['backing-filename'], undefined, 'a clone is standalone');
  assert.is((await getVolumeInfo(conn, clone)).capacity, 16 * MiB, 'capacity taken from the source');
  const compare = spawnSync('qemu-img', ['compare', '-U', '-f', 'raw', '-F', 'qcow2', basePath, clonePath]);
  assert.is(compare.status, 0, compare.stdout.toString() + compare.stderr.toString());

  // Back to raw, bigger than the source: same content, then zeros.
  const back = await createVolumeFrom(conn, 'pa', volXml('back.raw', 32 * MiB, { allocation: 0 }), {
    pool: 'pb',
    name: 'clone.qcow2',
  });
  const backPath = join(poolA, 'back.raw');
  assert.is(statSync(backPath).size, 32 * MiB);
  assert.is((await getVolumeInfo(conn, back)).capacity, 32 * MiB);
  assert.ok(allocatedBytes(backPath) < 8 * MiB, 'converted sparse');
  const backData = readFileSync(backPath);
  assert.ok(backData.subarray(0, 16 * MiB).equals(readFileSync(basePath)), 'same bytes as the original');
  assert.ok(isZero(backData.subarray(16 * MiB)), 'zeros beyond the source');
  for (const vol of [overlay, clone, back]) await deleteVolume(conn, vol);
  await deleteVolume(conn, { pool: 'pa', name: 'base.raw' });
});

test('resize: grow, shrink only with the flag, not below the allocation unless forced; qcow2 through qemu-img', async () => {
  const vol = await createVolume(conn, 'pa', volXml('grow.raw', 8 * MiB, { allocation: 0 }));
  const path = join(poolA, 'grow.raw');
  await resizeVolume(conn, vol, 16 * MiB);
  assert.is(statSync(path).size, 16 * MiB);
  assert.is((await getVolumeInfo(conn, vol)).capacity, 16 * MiB);
  await resizeVolume(conn, vol, 4 * MiB, { delta: true });
  assert.is(statSync(path).size, 20 * MiB);
  const noFlag = await rejectionOf(resizeVolume(conn, vol, 10 * MiB));
  assert.is(noFlag.code, ErrorCode.INVALID_ARG);
  assert.is(noFlag.message, "Can't shrink capacity below current capacity unless shrink flag explicitly specified");
  assert.is(statSync(path).size, 20 * MiB, 'unchanged after a refusal');
  await resizeVolume(conn, vol, 10 * MiB, { shrink: true });
  assert.is(statSync(path).size, 10 * MiB);
  await resizeVolume(conn, vol, 2 * MiB, { shrink: true, delta: true });
  assert.is(statSync(path).size, 8 * MiB);
  await resizeVolume(conn, vol, 12 * MiB, { allocate: true });
  assert.ok(allocatedBytes(path) >= 4 * MiB, `the new space is allocated: ${allocatedBytes(path)}`);

  const full = await createVolume(conn, 'pa', volXml('alloc.raw', 8 * MiB));
  const belowAllocation = await rejectionOf(resizeVolume(conn, full, 4 * MiB, { shrink: true }));
  assert.is(belowAllocation.code, ErrorCode.INVALID_ARG);
  assert.is(belowAllocation.message, "can't shrink capacity below existing allocation");
  assert.is(statSync(join(poolA, 'alloc.raw')).size, 8 * MiB);
  await resizeVolume(conn, full, 4 * MiB, { shrink: true, force: true });
  assert.is(statSync(join(poolA, 'alloc.raw')).size, 4 * MiB);

  const q = await createVolume(conn, 'pa', volXml('grow.qcow2', 8 * MiB, { format: 'qcow2' }));
  await resizeVolume(conn, q, 24 * MiB);
  assert.is(qemuImgInfo(join(poolA, 'grow.qcow2'))['virtual-size'], 24 * MiB);
  await resizeVolume(conn, q, 16 * MiB, { shrink: true });
  assert.is(qemuImgInfo(join(poolA, 'grow.qcow2'))['virtual-size'], 16 * MiB);
  assert.is((await getVolumeInfo(conn, q)).capacity, 16 * MiB);
  for (const v of [vol, full, q]) await deleteVolume(conn, v);
});

test('wipe zeroes a volume; delete with zeroed overwrites the data before the file goes', async () => {
  const vol = await createVolume(conn, 'pa', volXml('wipe.raw', 4 * MiB));
  const path = join(poolA, 'wipe.raw');
  writeFileSync(path, pattern(4 * MiB, 3));
  await wipeVolume(conn, vol);
  const wiped = readFileSync(path);
  assert.is(wiped.length, 4 * MiB);
  assert.ok(isZero(wiped), 'every byte is zero');

  const q = await createVolume(conn, 'pa', volXml('wipe.qcow2', 8 * MiB, { format: 'qcow2' }));
  await wipeVolume(conn, q);
  const img = qemuImgInfo(join(poolA, 'wipe.qcow2'));
  assert.is(img.format, 'qcow2', 'a wiped image stays an image');
  assert.is(img['virtual-size'], 8 * MiB);
  const unsupported = await rejectionOf(wipeVolume(conn, q, 4));
  assert.is(unsupported.code, ErrorCode.ARGUMENT_UNSUPPORTED);

  const del = await createVolume(conn, 'pa', volXml('secret.raw', MiB));
  const delPath = join(poolA, 'secret.raw');
  writeFileSync(delPath, pattern(MiB, 5));
  // Keep a descriptor: after the unlink, it still reads the file's blocks.
  const held = openSync(delPath, 'r');
  try {
    await deleteVolume(conn, del, { zeroed: true });
    assert.not.ok(existsSync(delPath));
    const after = Buffer.alloc(MiB);
    readSync(held, after, 0, MiB, 0);
    assert.ok(isZero(after), 'the data was zeroed before the unlink');
  } finally {
    closeSync(held);
  }
  await deleteVolume(conn, vol);
  await deleteVolume(conn, q);
  const gone = await rejectionOf(getVolumeInfo(conn, vol));
  assert.is(gone.code, ErrorCode.NO_STORAGE_VOL);
  assert.is(gone.message, "no storage vol with matching name 'wipe.raw'");
});

test('refresh finds files added and removed outside the daemon; a fake or corrupt image is reported raw', async () => {
  await createVolume(conn, 'pb', volXml('kept.raw', MiB, { allocation: 0 }));
  writeFileSync(join(poolB, 'added.raw'), Buffer.alloc(3 * MiB, 1));
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(poolB, 'added.qcow2'), String(20 * MiB)]);
  // A qcow2 magic followed by garbage: a header that must not be trusted.
  writeFileSync(
    join(poolB, 'fake.qcow2'),
    Buffer.concat([Buffer.from([0x51, 0x46, 0x49, 0xfb]), Buffer.alloc(65536, 0xee)]),
  );
  symlinkSync('/etc/hostname', join(poolB, 'link-out'));
  await refreshPool(conn, (await lookupPoolByName(conn, 'pb')).uuid);
  assert.equal(
    (await listAllVolumes(conn, 'pb')).map((v) => v.name),
    ['added.qcow2', 'added.raw', 'fake.qcow2', 'kept.raw'],
    'symlinks are not volumes',
  );
  assert.is((await getVolumeInfo(conn, { pool: 'pb', name: 'added.qcow2' })).capacity, 20 * MiB);
  assert.match(await getVolumeXML(conn, { pool: 'pb', name: 'added.qcow2' }), "<format type='qcow2'/>");
  assert.match(await getVolumeXML(conn, { pool: 'pb', name: 'fake.qcow2' }), "<format type='raw'/>");
  assert.is((await getVolumeInfo(conn, { pool: 'pb', name: 'fake.qcow2' })).capacity, 65540);

  unlinkSync(join(poolB, 'added.raw'));
  unlinkSync(join(poolB, 'link-out'));
  await refreshPool(conn, (await lookupPoolByName(conn, 'pb')).uuid);
  assert.equal(
    (await listAllVolumes(conn, 'pb')).map((v) => v.name),
    ['added.qcow2', 'fake.qcow2', 'kept.raw'],
  );
  for (const name of ['added.qcow2', 'fake.qcow2', 'kept.raw']) await deleteVolume(conn, { pool: 'pb', name });
});

test.run();
