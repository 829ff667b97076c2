/**
 * Upload and download over RPC streams through a real daemon: a 64 MiB file with holes
 * makes the round trip byte for byte (sha256), plain and sparse, and stays sparse;
 * offset and length work as virsh vol-upload/vol-download's.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  buildPool,
  createVolume,
  definePool,
  downloadVolume,
  getVolumeInfo,
  startPool,
  uploadVolume,
  type Connection,
} from '@tsvirt/client';
import {
  allocatedBytes,
  dirPoolXml,
  sha256File,
  storageTestEnv,
  volXml,
  MiB,
  type StorageTestEnv,
} from './storage-harness.js';

const SIZE = 64 * MiB;
/** Data at these MiB offsets (one MiB each, random); everything else is a hole. */
const DATA_AT = [0, 1, 7, 20, 21, 22, 40, 63];

function holeyFile(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const mib of DATA_AT) writeSync(fd, randomBytes(MiB), 0, MiB, mib * MiB);
    ftruncateSync(fd, SIZE);
  } finally {
    closeSync(fd);
  }
}

let env: StorageTestEnv;
let conn: Connection;
let pool: string;
let source: string;
const vol = { pool: 'xfer', name: 'disk.raw' };

test.before(async () => {
  env = await storageTestEnv();
  await env.startDaemon();
  conn = await env.connect();
  pool = join(env.scratch, 'xfer');
  const ref = await definePool(conn, dirPoolXml('xfer', pool));
  await buildPool(conn, ref.uuid);
  await startPool(conn, ref.uuid);
  source = join(env.scratch, 'source.img');
  holeyFile(source);
  await createVolume(conn, 'xfer', volXml('disk.raw', SIZE, { allocation: 0 }));
});

test.after(async () => {
  await env.close();
});

function mbps(bytes: number, ms: number): string {
  return `${((bytes / MiB / ms) * 1000).toFixed(0)} MiB/s`;
}

test('a 64 MiB file with holes: upload then download, plain and sparse, equal sha256, holes kept', async () => {
  const want = sha256File(source);
  const dataBytes = DATA_AT.length * MiB;
  let started = Date.now();
  let progress = 0;
  const sent = await uploadVolume(conn, vol, source, { onProgress: (n) => (progress = n) });
  const uploadMs = Date.now() - started;
  assert.is(sent, SIZE);
  assert.is(progress, SIZE);
  const volPath = join(pool, 'disk.raw');
  assert.is(sha256File(volPath), want, 'the volume holds the file');
  assert.ok(allocatedBytes(volPath) <= dataBytes + MiB, `holes stay holes: ${allocatedBytes(volPath)}`);
  assert.ok((await getVolumeInfo(conn, vol)).allocation <= dataBytes + MiB, 'the driver saw the new allocation');

  const plain = join(env.scratch, 'plain.img');
  started = Date.now();
  assert.is(await downloadVolume(conn, vol, plain), SIZE);
  const downloadMs = Date.now() - started;
  assert.is(sha256File(plain), want);

  const sparse = join(env.scratch, 'sparse.img');
  started = Date.now();
  assert.is(await downloadVolume(conn, vol, sparse, { sparse: true }), SIZE);
  const sparseMs = Date.now() - started;
  assert.is(sha256File(sparse), want);
  assert.ok(allocatedBytes(sparse) <= dataBytes + MiB, `downloaded sparse: ${allocatedBytes(sparse)}`);

  // Sparse upload into a fresh volume.
  const vol2 = await createVolume(conn, 'xfer', volXml('disk2.raw', SIZE, { allocation: 0 }));
  started = Date.now();
  await uploadVolume(conn, vol2, sparse, { sparse: true });
  const sparseUpMs = Date.now() - started;
  assert.is(sha256File(join(pool, 'disk2.raw')), want);
  assert.ok(allocatedBytes(join(pool, 'disk2.raw')) <= dataBytes + MiB);
  console.log(
    `64 MiB (${DATA_AT.length} MiB data): upload ${mbps(SIZE, uploadMs)}, download ${mbps(SIZE, downloadMs)}, ` +
      `sparse download ${mbps(SIZE, sparseMs)}, sparse upload ${mbps(SIZE, sparseUpMs)}`,
  );
});

test('offset and length: a download of a range, and an upload into the middle of a volume', async () => {
  const whole = readFileSync(join(pool, 'disk.raw'));
  const part = join(env.scratch, 'part.img');
  assert.is(await downloadVolume(conn, vol, part, { offset: 7 * MiB - 100, length: 3 * MiB }), 3 * MiB);
  assert.ok(readFileSync(part).equals(whole.subarray(7 * MiB - 100, 10 * MiB - 100)));
  const tail = join(env.scratch, 'tail.img');
  assert.is(await downloadVolume(conn, vol, tail, { offset: 60 * MiB, sparse: true }), 4 * MiB);
  assert.ok(readFileSync(tail).equals(whole.subarray(60 * MiB)));

  // 2 MiB of a 3 MiB file, written at 20 MiB + 5: the rest of the volume is untouched.
  const patch = join(env.scratch, 'patch.img');
  const patchData = randomBytes(3 * MiB);
  patchData.fill(0, MiB / 2, MiB);
  const fd = openSync(patch, 'w');
  writeSync(fd, patchData);
  closeSync(fd);
  const sent = await uploadVolume(conn, vol, patch, { offset: 20 * MiB + 5, length: 2 * MiB });
  assert.is(sent, 2 * MiB);
  const after = readFileSync(join(pool, 'disk.raw'));
  const expected = Buffer.from(whole);
  patchData.copy(expected, 20 * MiB + 5, 0, 2 * MiB);
  assert.is(after.length, SIZE);
  assert.ok(after.equals(expected), 'only the range changed, zeros in the patch written as zeros');
});

test.run();
