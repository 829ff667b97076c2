/**
 * Dir pools through a real virtstoraged and @tsvirt/client: define, build, start, refresh,
 * info, dumpxml, destroy, delete, undefine, with their events in order; transient pools;
 * list filters; capabilities; the read-only socket.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ErrorCode,
  StoragePoolEventType,
  StoragePoolState,
  buildPool,
  createPoolXML,
  createVolume,
  deleteVolume,
  downloadVolume,
  getVolumeXML,
  definePool,
  deletePool,
  destroyPool,
  getPoolAutostart,
  getPoolInfo,
  getPoolXML,
  getStoragePoolCapabilities,
  isPoolActive,
  isPoolPersistent,
  listAllPools,
  listAllVolumes,
  lookupPool,
  lookupPoolByName,
  refreshPool,
  setPoolAutostart,
  startPool,
  storagePoolLifecycle,
  storagePoolRefreshEvent,
  undefinePool,
} from '@tsvirt/client';
import { rejectionOf, waitFor } from '@tsvirt/common/testing';
import { dirPoolXml, storageTestEnv, volXml } from './storage-harness.js';

const UUID_1 = '8c9d3f5e-5a7b-4c61-9f0e-2b1d6c7a8e90';

test('a dir pool goes through define, build, start, refresh, destroy, delete and undefine, with its events in order', async () => {
  const env = await storageTestEnv();
  try {
    await env.startDaemon();
    const conn = await env.connect();
    const events: string[] = [];
    const names = Object.fromEntries(Object.entries(StoragePoolEventType).map(([k, v]) => [v, k]));
    await conn.subscribe(storagePoolLifecycle, (e) => events.push(`${e.name}:${names[e.event]}`));
    await conn.subscribe(storagePoolRefreshEvent, (e) => events.push(`${e.name}:REFRESH`));
    const path = join(env.scratch, 'p1');

    const ref = await definePool(conn, dirPoolXml('p1', path, UUID_1));
    assert.equal(ref, { name: 'p1', uuid: UUID_1 });
    assert.ok(existsSync(join(env.root, 'lib/virtstoraged/storage/p1.xml')), 'config saved');
    assert.equal(await lookupPool(conn, UUID_1), ref);
    assert.equal(await lookupPool(conn, 'p1'), ref);
    assert.is(await isPoolActive(conn, UUID_1), false);
    assert.is(await isPoolPersistent(conn, UUID_1), true);
    assert.equal(await getPoolInfo(conn, UUID_1), {
      state: StoragePoolState.INACTIVE,
      capacity: 0,
      allocation: 0,
      available: 0,
    });

    // Starting before the directory exists fails and says why.
    const notBuilt = await rejectionOf(startPool(conn, UUID_1));
    assert.is(notBuilt.code, ErrorCode.SYSTEM_ERROR);
    assert.match(notBuilt.message, `cannot open directory '${path}'`);

    await buildPool(conn, UUID_1);
    assert.ok(statSync(path).isDirectory());
    assert.is(statSync(path).mode & 0o777, 0o711, 'libvirt default pool dir mode');
    await startPool(conn, UUID_1);
    assert.is(await isPoolActive(conn, UUID_1), true);
    const info = await getPoolInfo(conn, UUID_1);
    assert.is(info.state, StoragePoolState.RUNNING);
    assert.ok(info.capacity > 0 && info.available > 0 && info.allocation > 0, JSON.stringify(info));
    assert.ok(info.allocation + info.available <= info.capacity);
    assert.ok(existsSync(join(env.root, 'run/virtstoraged/storage/p1.xml')), 'run state written');
    const xml = await getPoolXML(conn, UUID_1);
    assert.match(xml, "<pool type='dir'>");
    assert.match(xml, `<path>${path}</path>`);
    assert.match(xml, `<capacity unit='bytes'>${info.capacity}</capacity>`);
    assert.equal(await listAllVolumes(conn, 'p1'), []);

    await refreshPool(conn, UUID_1);
    const active = await rejectionOf(startPool(conn, UUID_1));
    assert.is(active.code, ErrorCode.OPERATION_INVALID);
    assert.is(active.message, "storage pool 'p1' is already active");
    const stillActive = await rejectionOf(undefinePool(conn, UUID_1));
    assert.is(stillActive.message, "storage pool 'p1' is still active");

    await destroyPool(conn, UUID_1);
    assert.is(await isPoolActive(conn, UUID_1), false);
    assert.not.ok(existsSync(join(env.root, 'run/virtstoraged/storage/p1.xml')), 'run state removed');
    const inactive = await rejectionOf(refreshPool(conn, UUID_1));
    assert.is(inactive.message, "storage pool 'p1' is not active");
    await deletePool(conn, UUID_1);
    assert.not.ok(existsSync(path), 'pool directory removed');
    await undefinePool(conn, UUID_1);
    assert.not.ok(existsSync(join(env.root, 'lib/virtstoraged/storage/p1.xml')), 'config removed');
    const gone = await rejectionOf(lookupPoolByName(conn, 'p1'));
    assert.is(gone.code, ErrorCode.NO_STORAGE_POOL);
    assert.is(gone.message, "no storage pool with matching name 'p1'");

    const expected = ['DEFINED', 'CREATED', 'STARTED', 'REFRESH', 'STOPPED', 'DELETED', 'UNDEFINED'].map(
      (e) => `p1:${e}`,
    );
    await waitFor(() => events.length >= expected.length, 5000, 'pool events');
    assert.equal(events, expected);
  } finally {
    await env.close();
  }
});

test('a transient pool is started by createXML (with build) and disappears when destroyed; list filters', async () => {
  const env = await storageTestEnv();
  try {
    await env.startDaemon();
    const conn = await env.connect();
    const persistent = await definePool(conn, dirPoolXml('keep', join(env.scratch, 'keep')));
    const transient = await createPoolXML(conn, dirPoolXml('tmp', join(env.scratch, 'tmp')), { build: true });
    assert.ok(statSync(join(env.scratch, 'tmp')).isDirectory(), 'built by createXML');
    assert.is(await isPoolPersistent(conn, transient.uuid), false);
    assert.is(await isPoolActive(conn, transient.uuid), true);
    const names = async (flags: Parameters<typeof listAllPools>[1]): Promise<string[]> =>
      (await listAllPools(conn, flags)).map((p) => p.name);
    assert.equal(await names({}), ['keep', 'tmp']);
    assert.equal(await names({ active: true }), ['tmp']);
    assert.equal(await names({ inactive: true }), ['keep']);
    assert.equal(await names({ transient: true }), ['tmp']);
    assert.equal(await names({ persistent: true }), ['keep']);
    assert.equal(await names({ types: ['dir'] }), ['keep', 'tmp']);
    assert.equal(await names({ types: ['logical'] }), []);
    const sameTarget = await rejectionOf(definePool(conn, dirPoolXml('other', join(env.scratch, 'tmp'))));
    assert.is(sameTarget.code, ErrorCode.OPERATION_FAILED);
    assert.is(sameTarget.message, "Storage source conflict with pool: 'tmp'");
    const autostartTransient = await rejectionOf(setPoolAutostart(conn, transient.uuid, true));
    assert.is(autostartTransient.code, ErrorCode.OPERATION_INVALID);
    await destroyPool(conn, transient.uuid);
    assert.equal(await names({}), ['keep']);
    assert.is(await getPoolAutostart(conn, persistent.uuid), false);
  } finally {
    await env.close();
  }
});

test('pool capabilities name dir as supported; the read-only socket lists and describes but does not change', async () => {
  const env = await storageTestEnv();
  try {
    await env.startDaemon();
    const conn = await env.connect();
    const ref = await definePool(conn, dirPoolXml('ro', join(env.scratch, 'ro')));
    await buildPool(conn, ref.uuid);
    await startPool(conn, ref.uuid);
    const caps = await getStoragePoolCapabilities(conn);
    assert.match(caps, "<pool type='dir' supported='yes'>");
    assert.match(caps, "<pool type='disk' supported='no'");
    assert.match(caps, '<value>qcow2</value>');

    const ro = await env.connect({ readonly: true });
    assert.equal(
      (await listAllPools(ro)).map((p) => p.name),
      ['ro'],
    );
    assert.match(await getPoolXML(ro, ref.uuid), '<name>ro</name>');
    const denied = await rejectionOf(definePool(ro, dirPoolXml('ro2', join(env.scratch, 'ro2'))));
    assert.is(denied.code, ErrorCode.OPERATION_DENIED);
    const deniedStop = await rejectionOf(destroyPool(ro, ref.uuid));
    assert.is(deniedStop.code, ErrorCode.OPERATION_DENIED);
    const vol = await createVolume(conn, 'ro', volXml('seen.raw', 1024 * 1024, { allocation: 0 }));
    assert.equal(await listAllVolumes(ro, 'ro'), [vol]);
    assert.match(await getVolumeXML(ro, vol), '<name>seen.raw</name>');
    const deniedCreate = await rejectionOf(createVolume(ro, 'ro', volXml('no.raw', 1024 * 1024)));
    assert.is(deniedCreate.code, ErrorCode.OPERATION_DENIED);
    const deniedRead = await rejectionOf(downloadVolume(ro, vol, join(env.scratch, 'copy.raw')));
    assert.is(deniedRead.code, ErrorCode.OPERATION_DENIED, 'volume data is not for read-only connections');
    const deniedDelete = await rejectionOf(deleteVolume(ro, vol));
    assert.is(deniedDelete.code, ErrorCode.OPERATION_DENIED);
    assert.equal(await listAllVolumes(conn, 'ro'), [vol]);
    assert.is(await isPoolActive(conn, ref.uuid), true);
  } finally {
    await env.close();
  }
});

test.run();
