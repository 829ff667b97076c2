/**
 * The pool store on disk: a save interrupted before its rename (a crash) leaves the old
 * config whole and no temp file after the next load; autostart links and run-state files
 * are where libvirt-style layouts put them; unreadable files are skipped, not fatal.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeTempRoot, removeTempRoot } from '@tsvirt/common/testing';
import { poolDefFromXml } from '../src/conf/index.js';
import { PoolStore } from '../src/driver/pool-store.js';
import { dirPoolXml } from './storage-harness.js';

const UUID = '0b0c7c55-39a8-4f5b-a3ef-5c1c27f7b0a1';

function recordingLog(): { log: Logger; errors: string[] } {
  const errors: string[] = [];
  const noop = (): void => undefined;
  const log = {
    error: (obj: { file?: string }, msg: string) => errors.push(`${msg}: ${obj.file ?? ''}`),
    warn: noop,
    info: noop,
    debug: noop,
  } as unknown as Logger;
  return { log, errors };
}

test('a crash before the rename keeps the old config; the next load cleans the temp file', async () => {
  const root = makeTempRoot();
  try {
    const { log } = recordingLog();
    const state = join(root, 'lib');
    const run = join(root, 'run');
    const v1 = poolDefFromXml(dirPoolXml('p', '/srv/one', UUID));
    await new PoolStore(state, run, log).save(v1);
    const config = join(state, 'storage', 'p.xml');
    const before = readFileSync(config, 'utf8');
    assert.match(before, '<path>/srv/one</path>');

    let temp = '';
    const crashing = new PoolStore(state, run, log, {
      beforeRename: (path) => {
        temp = path;
        // Simulate the process dying here: the temp file is written and synced, not renamed.
        throw new Error('crash');
      },
    });
    const v2 = poolDefFromXml(dirPoolXml('p', '/srv/two', UUID));
    await crashing.save(v2).then(
      () => assert.unreachable('the save should fail'),
      (err: Error) => assert.is(err.message, 'crash'),
    );
    assert.is(readFileSync(config, 'utf8'), before, 'the old config is whole');
    assert.not.ok(existsSync(temp), 'a failed save removes its temp file');
    // A temp file a real crash would leave behind:
    writeFileSync(join(state, 'storage', '.tmp-1-abc'), 'half');
    const loaded = await new PoolStore(state, run, log).loadConfigs();
    assert.equal(
      loaded.map((p) => [p.def.name, p.def.target.path, p.autostart]),
      [['p', '/srv/one', false]],
    );
    assert.not.ok(existsSync(join(state, 'storage', '.tmp-1-abc')));
  } finally {
    removeTempRoot(root);
  }
});

test('autostart links, run state, and unreadable files', async () => {
  const root = makeTempRoot();
  try {
    const { log, errors } = recordingLog();
    const store = new PoolStore(join(root, 'lib'), join(root, 'run'), log);
    const def = poolDefFromXml(dirPoolXml('a', '/srv/a', UUID));
    await store.save(def);
    await store.setAutostart('a', true);
    const link = join(root, 'lib', 'storage', 'autostart', 'a.xml');
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.is(readlinkSync(link), '../a.xml');
    await store.saveState({ ...def, capacity: 100, allocation: 40, available: 60 });
    assert.match(readFileSync(join(root, 'run', 'storage', 'a.xml'), 'utf8'), "<capacity unit='bytes'>100</capacity>");
    writeFileSync(join(root, 'lib', 'storage', 'broken.xml'), '<pool type=');
    writeFileSync(join(root, 'lib', 'storage', 'other.xml'), dirPoolXml('notother', '/srv/x'));
    const loaded = await store.loadConfigs();
    assert.equal(
      loaded.map((p) => [p.def.name, p.autostart]),
      [['a', true]],
    );
    assert.is(errors.length, 2, errors.join('\n'));
    assert.equal(
      (await store.loadStates()).map((d) => d.name),
      ['a'],
    );
    await store.removeState('a');
    await store.remove('a');
    assert.equal(readdirSync(join(root, 'lib', 'storage')).sort(), ['autostart', 'broken.xml', 'other.xml']);
    assert.equal(readdirSync(join(root, 'lib', 'storage', 'autostart')), []);
    assert.equal(readdirSync(join(root, 'run', 'storage')), []);
  } finally {
    removeTempRoot(root);
  }
});

test.run();
