/**
 * Pool state across daemon restarts: an active pool (persistent or transient) is active
 * again after a kill -9, with its volumes; an autostart pool starts with the daemon; an
 * active pool whose directory vanished meanwhile comes back inactive.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  buildPool,
  createPoolXML,
  createVolume,
  definePool,
  destroyPool,
  isPoolActive,
  listAllPools,
  listAllVolumes,
  setPoolAutostart,
  getPoolAutostart,
  startPool,
} from '@tsvirt/client';
import { dirPoolXml, storageTestEnv, volXml, MiB } from './storage-harness.js';

test('kill -9 of the daemon: active pools stay active with their volumes, autostart pools start, a vanished one is inactive', async () => {
  const env = await storageTestEnv();
  try {
    await env.startDaemon();
    let conn = await env.connect();
    const kept = await definePool(conn, dirPoolXml('kept', join(env.scratch, 'kept')));
    await buildPool(conn, kept.uuid);
    await startPool(conn, kept.uuid);
    await createVolume(conn, 'kept', volXml('disk.img', 4 * MiB, { allocation: 0 }));
    const transient = await createPoolXML(conn, dirPoolXml('trans', join(env.scratch, 'trans')), { build: true });
    const auto = await definePool(conn, dirPoolXml('auto', join(env.scratch, 'auto')));
    await buildPool(conn, auto.uuid);
    await setPoolAutostart(conn, auto.uuid, true);
    const vanish = await definePool(conn, dirPoolXml('vanish', join(env.scratch, 'vanish')));
    await buildPool(conn, vanish.uuid);
    await startPool(conn, vanish.uuid);
    assert.equal(
      (await listAllPools(conn, { active: true })).map((p) => p.name),
      ['kept', 'trans', 'vanish'],
    );

    const first = env.daemons[0]!;
    first.child.kill('SIGKILL');
    await first.exited;
    await conn.close().catch(() => undefined);
    // Outside the daemon: a file appears in the kept pool, the vanishing pool's directory goes.
    writeFileSync(join(env.scratch, 'kept', 'added.raw'), Buffer.alloc(4096, 1));
    rmSync(join(env.scratch, 'vanish'), { recursive: true });

    await env.startDaemon();
    conn = await env.connect();
    assert.equal(
      (await listAllPools(conn, { active: true })).map((p) => p.name),
      ['auto', 'kept', 'trans'],
    );
    assert.is(await isPoolActive(conn, vanish.uuid), false);
    assert.is(await getPoolAutostart(conn, auto.uuid), true);
    assert.equal(
      (await listAllVolumes(conn, 'kept')).map((v) => v.name),
      ['added.raw', 'disk.img'],
    );
    assert.equal(
      (await listAllPools(conn, { transient: true })).map((p) => p.name),
      ['trans'],
    );
    await destroyPool(conn, transient.uuid);
    assert.equal(
      (await listAllPools(conn, { transient: true })).map((p) => p.name),
      [],
    );
    await destroyPool(conn, kept.uuid);

    // A clean stop and start: autostart starts it again, the stopped ones stay stopped.
    await destroyPool(conn, auto.uuid);
    await conn.close();
    await env.daemons[1]!.stop();
    await env.startDaemon();
    conn = await env.connect();
    assert.equal(
      (await listAllPools(conn, { active: true })).map((p) => p.name),
      ['auto'],
    );
  } finally {
    await env.close();
  }
});

test.run();
