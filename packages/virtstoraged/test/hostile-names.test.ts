/**
 * Hostile volume and pool names through a real daemon: names that would leave the pool
 * ('../x', 'a/b', '.', '..', NUL) and symlinks inside the pool that point outside are
 * refused with INVALID_ARG by every operation, and nothing outside the pool is created,
 * written or deleted (checked on the files, byte for byte, with their mtimes).
 */
import {
  existsSync,
  lstatSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ErrorCode,
  buildPool,
  createVolume,
  createVolumeFrom,
  definePool,
  deleteVolume,
  downloadVolume,
  getVolumeInfo,
  lookupVolumeByName,
  resizeVolume,
  startPool,
  uploadVolume,
  wipeVolume,
  type Connection,
} from '@tsvirt/client';
import { rejectionOf } from '@tsvirt/common/testing';
import { dirPoolXml, storageTestEnv, volXml, MiB, type StorageTestEnv } from './storage-harness.js';

let env: StorageTestEnv;
let conn: Connection;
let pool: string;
let outside: string;
const SECRET = Buffer.from('outside the pool: must never change\n');

/** Everything under the scratch dir except the pool, with content and mtime: what must not change. */
function outsideSnapshot(): string {
  const lines: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      if (path === pool) continue;
      const st = lstatSync(path);
      if (st.isDirectory()) walk(path);
      else lines.push(`${path} ${st.size} ${st.mtimeMs} ${st.isFile() ? readFileSync(path).toString('hex') : ''}`);
    }
  };
  walk(env.scratch);
  return lines.join('\n');
}

test.before(async () => {
  env = await storageTestEnv();
  await env.startDaemon();
  conn = await env.connect();
  pool = join(env.scratch, 'pool');
  const ref = await definePool(conn, dirPoolXml('pool', pool));
  await buildPool(conn, ref.uuid);
  await startPool(conn, ref.uuid);
  outside = join(env.scratch, 'outside.img');
  writeFileSync(outside, SECRET);
  writeFileSync(join(env.scratch, 'x'), SECRET);
});

test.after(async () => {
  await env.close();
});

const HOSTILE = ['../x', '../outside.img', 'a/b', '.', '..', 'a\0b', '/etc/passwd'];

test('hostile names are refused with INVALID_ARG by every volume call; nothing outside changes', async () => {
  const before = outsideSnapshot();
  const upload = join(env.scratch, 'upload.bin');
  writeFileSync(upload, Buffer.alloc(4096, 0x41));
  const beforeWithUpload = outsideSnapshot();
  assert.is.not(before, beforeWithUpload);
  let refusals = 0;
  for (const name of HOSTILE) {
    const vol = { pool: 'pool', name };
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['lookup', () => lookupVolumeByName(conn, 'pool', name)],
      ['info', () => getVolumeInfo(conn, vol)],
      ['delete', () => deleteVolume(conn, vol)],
      ['wipe', () => wipeVolume(conn, vol)],
      ['resize', () => resizeVolume(conn, vol, MiB)],
      ['upload', () => uploadVolume(conn, vol, upload)],
      ['download', () => downloadVolume(conn, vol, join(env.scratch, 'never.bin'))],
      ['clone from', () => createVolumeFrom(conn, 'pool', volXml('fine', 0), { pool: 'pool', name })],
    ];
    // NUL cannot be written in XML at all; the others are refused when the XML is read.
    if (!name.includes('\0')) calls.push(['create', () => createVolume(conn, 'pool', volXml(escapeXml(name), MiB))]);
    for (const [what, call] of calls) {
      const err = await rejectionOf(call());
      assert.is(err.code, ErrorCode.INVALID_ARG, `${what} '${JSON.stringify(name)}': ${err.message}`);
      refusals++;
    }
  }
  assert.is(refusals, HOSTILE.length * 9 - 1);
  assert.not.ok(existsSync(join(env.scratch, 'never.bin')), 'a failed download leaves no file');
  assert.is(outsideSnapshot(), beforeWithUpload, 'nothing outside the pool changed');
  assert.equal(readdirSync(pool), [], 'nothing inside either');
  rmSync(upload);
});

test('a symlink in the pool pointing outside is never followed: create, delete, wipe, resize, upload, download refuse it', async () => {
  symlinkSync(outside, join(pool, 'esc'));
  const created = await rejectionOf(createVolume(conn, 'pool', volXml('esc', MiB)));
  assert.is(created.code, ErrorCode.INVALID_ARG);
  assert.match(created.message, 'symbolic link');

  // A real volume, then swapped for a symlink behind the daemon's back.
  const victim = await createVolume(conn, 'pool', volXml('victim', 4 * MiB, { allocation: 0 }));
  rmSync(join(pool, 'victim'));
  symlinkSync(outside, join(pool, 'victim'));
  const before = outsideSnapshot();
  const upload = join(pool, '..', 'up.bin');
  writeFileSync(upload, Buffer.alloc(8192, 0x42));
  const beforeUpload = outsideSnapshot();
  const calls: Array<[string, () => Promise<unknown>]> = [
    ['delete', () => deleteVolume(conn, victim)],
    ['delete zeroed', () => deleteVolume(conn, victim, { zeroed: true })],
    ['wipe', () => wipeVolume(conn, victim)],
    ['resize', () => resizeVolume(conn, victim, 8 * MiB)],
    ['upload', () => uploadVolume(conn, victim, upload)],
    ['download', () => downloadVolume(conn, victim, join(env.scratch, 'leak.bin'))],
    ['clone from', () => createVolumeFrom(conn, 'pool', volXml('copy', 0), victim)],
  ];
  for (const [what, call] of calls) {
    const err = await rejectionOf(call());
    assert.is(err.code, ErrorCode.INVALID_ARG, `${what}: ${err.message}`);
  }
  assert.not.ok(existsSync(join(env.scratch, 'leak.bin')));
  assert.is(outsideSnapshot(), beforeUpload, 'the target outside is unchanged');
  assert.ok(readFileSync(outside).equals(SECRET));
  assert.ok(lstatSync(join(pool, 'victim')).isSymbolicLink(), 'the link itself is still there');
  assert.not.ok(existsSync(join(pool, 'copy')), 'no clone was left behind');
  assert.is(before.length > 0, true);
  rmSync(upload);
});

test('hostile pool names are refused before any file is written', async () => {
  const configDir = join(env.root, 'lib/virtstoraged/storage');
  const configsBefore = readdirSync(configDir).sort();
  for (const name of ['../evil', 'a/b', '..', '.']) {
    const err = await rejectionOf(definePool(conn, dirPoolXml(escapeXml(name), join(env.scratch, 'evil'))));
    assert.is(err.code, ErrorCode.INVALID_ARG, `${name}: ${err.message}`);
  }
  assert.equal(readdirSync(configDir).sort(), configsBefore);
  assert.not.ok(existsSync(join(env.root, 'lib/virtstoraged/evil.xml')));
  assert.not.ok(existsSync(join(env.scratch, 'evil')));
  assert.ok(statSync(pool).isDirectory());
});

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

test.run();
