/**
 * Volume operations running at the same time: a name is created once; a volume being
 * downloaded cannot be deleted, and its pool cannot be stopped, until the transfer ends;
 * concurrent creates of different volumes all land.
 */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ErrorCode,
  buildPool,
  createVolume,
  definePool,
  deleteVolume,
  destroyPool,
  listAllVolumes,
  openVolumeDownload,
  startPool,
  type Connection,
} from '@tsvirt/client';
import { rejectionOf, waitFor } from '@tsvirt/common/testing';
import { dirPoolXml, storageTestEnv, volXml, MiB, type StorageTestEnv } from './storage-harness.js';

let env: StorageTestEnv;
let conn: Connection;
let uuid: string;

test.before(async () => {
  env = await storageTestEnv();
  await env.startDaemon();
  conn = await env.connect();
  const ref = await definePool(conn, dirPoolXml('cc', join(env.scratch, 'cc')));
  uuid = ref.uuid;
  await buildPool(conn, uuid);
  await startPool(conn, uuid);
});

test.after(async () => {
  await env.close();
});

test('two creates of one name: one volume, one STORAGE_VOL_EXIST; 20 different names at once all land', async () => {
  const results = await Promise.allSettled([
    createVolume(conn, 'cc', volXml('same', 64 * MiB, { format: 'qcow2' })),
    createVolume(conn, 'cc', volXml('same', 64 * MiB, { format: 'qcow2' })),
  ]);
  const ok = results.filter((r) => r.status === 'fulfilled');
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.is(ok.length, 1);
  assert.is(failed.length, 1);
  assert.is((failed[0]!.reason as { code: number }).code, ErrorCode.STORAGE_VOL_EXIST);
  const names = Array.from({ length: 20 }, (_, i) => `v${String(i).padStart(2, '0')}`);
  await Promise.all(names.map((name) => createVolume(conn, 'cc', volXml(name, MiB, { allocation: 0 }))));
  assert.equal(
    (await listAllVolumes(conn, 'cc')).map((v) => v.name),
    ['same', ...names],
  );
  await Promise.all(names.map((name) => deleteVolume(conn, { pool: 'cc', name })));
  assert.equal(
    (await listAllVolumes(conn, 'cc')).map((v) => v.name),
    ['same'],
  );
});

test('a download in progress holds its volume and its pool until the stream ends', async () => {
  const vol = await createVolume(conn, 'cc', volXml('busy.raw', 32 * MiB));
  // Another connection: the reader below is paused, which pauses its whole connection.
  const reader = await env.connect();
  const stream = await openVolumeDownload(reader, vol);
  stream.pause();
  const inUse = await rejectionOf(deleteVolume(conn, vol));
  assert.is(inUse.code, ErrorCode.OPERATION_INVALID);
  assert.is(inUse.message, "volume 'busy.raw' is still in use.");
  const jobs = await rejectionOf(destroyPool(conn, uuid));
  assert.is(jobs.code, ErrorCode.OPERATION_INVALID);
  assert.is(jobs.message, "storage pool 'cc' has asynchronous jobs running.");
  let bytes = 0;
  stream.end();
  for await (const chunk of stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) bytes += chunk.length;
  assert.is(bytes, 32 * MiB);
  // The daemon releases the volume once its side of the transfer has ended.
  await waitFor(
    () =>
      deleteVolume(conn, vol).then(
        () => true,
        (err: { code: number }) => {
          if (err.code !== ErrorCode.OPERATION_INVALID) throw err;
          return false;
        },
      ),
    5000,
    'the volume to be released by the ended download',
  );
  await deleteVolume(conn, { pool: 'cc', name: 'same' });
  await destroyPool(conn, uuid);
});

test.run();
