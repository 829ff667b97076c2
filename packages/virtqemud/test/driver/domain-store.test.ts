/** The domain store: atomic writes, autostart links, tolerant loading, safe file names. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackgroundDirSync, ErrorCode, VirError, atomicWriteFile } from '@tsvirt/common';
import { domainDefFromXml, formatDomainDef } from '../../src/conf/domain-xml.js';
import { DomainStore, assertSafeFileName } from '../../src/driver/domain-store.js';
import { UUID_A, UUID_B, domainXml, recordingLogger, removeDir, tempStateDir } from './helpers.js';

async function withStore(
  body: (store: DomainStore, dir: string, errors: ReturnType<typeof recordingLogger>['errors']) => Promise<void>,
): Promise<void> {
  const dir = tempStateDir();
  const { log, errors } = recordingLogger();
  try {
    await body(new DomainStore(dir, log), dir, errors);
  } finally {
    removeDir(dir);
  }
}

test('save writes the inactive XML to domains/<name>.xml and loadAll reads it back', () =>
  withStore(async (store, dir) => {
    const def = domainDefFromXml(domainXml('web1', UUID_A));
    await store.save(def);
    const path = join(dir, 'domains', 'web1.xml');
    assert.is(readFileSync(path, 'utf8'), formatDomainDef(def, { inactive: true }));
    assert.equal(readdirSync(join(dir, 'domains')), ['web1.xml'], 'no temp file left behind');
    const loaded = await store.loadAll();
    assert.is(loaded.length, 1);
    assert.is(loaded[0]?.def.uuid, UUID_A);
    assert.is(loaded[0]?.autostart, false);
  }));

test('a crash between write and rename leaves the old file intact', () =>
  withStore(async (_store, dir) => {
    const { log } = recordingLogger();
    const old = domainDefFromXml(domainXml('web1', UUID_A, 512));
    const healthy = new DomainStore(dir, log);
    await healthy.save(old);
    const before = readFileSync(join(dir, 'domains', 'web1.xml'), 'utf8');
    let tempSeen = '';
    const crashing = new DomainStore(dir, log, {
      beforeRename: (temp) => {
        tempSeen = temp;
        assert.ok(existsSync(temp), 'the new content is in a temp file of the same directory');
        throw new Error('simulated crash');
      },
    });
    try {
      await crashing.save(domainDefFromXml(domainXml('web1', UUID_A, 1024)));
      assert.unreachable('save succeeded');
    } catch (err) {
      assert.is((err as Error).message, 'simulated crash');
    }
    assert.is(readFileSync(join(dir, 'domains', 'web1.xml'), 'utf8'), before);
    assert.ok(tempSeen.startsWith(join(dir, 'domains', '.tmp-')));
    assert.not.ok(existsSync(tempSeen));
  }));

test('a temp file left by a real crash is ignored (and cleaned) on load', () =>
  withStore(async (store, dir) => {
    await store.save(domainDefFromXml(domainXml('web1', UUID_A)));
    writeFileSync(join(dir, 'domains', '.tmp-123-abcdef'), '<domain type=');
    const loaded = await store.loadAll();
    assert.equal(
      loaded.map((l) => l.def.name),
      ['web1'],
    );
    assert.equal(readdirSync(join(dir, 'domains')), ['web1.xml']);
  }));

test('corrupt, mismatched and duplicate files are logged and skipped, never fatal', () =>
  withStore(async (store, dir, errors) => {
    await store.save(domainDefFromXml(domainXml('good', UUID_A)));
    const domains = join(dir, 'domains');
    writeFileSync(join(domains, 'broken.xml'), '<domain type="kvm"><name>broken</na');
    writeFileSync(join(domains, 'other.xml'), domainXml('notother', UUID_B));
    writeFileSync(join(domains, 'zdup.xml'), domainXml('zdup', UUID_A));
    writeFileSync(join(domains, 'README'), 'not a domain');
    const loaded = await store.loadAll();
    assert.equal(
      loaded.map((l) => l.def.name),
      ['good'],
    );
    assert.is(errors.length, 3);
    for (const e of errors) assert.is(e.msg, 'skipping unreadable domain config');
  }));

test('autostart is a symlink to the config, removed with it', () =>
  withStore(async (store, dir) => {
    await store.save(domainDefFromXml(domainXml('web1', UUID_A)));
    await store.setAutostart('web1', true);
    await store.setAutostart('web1', true);
    const link = join(dir, 'autostart', 'web1.xml');
    assert.is(readlinkSync(link), '../domains/web1.xml');
    assert.is((await store.loadAll())[0]?.autostart, true);
    await store.setAutostart('web1', false);
    assert.not.ok(existsSync(link));
    await store.setAutostart('web1', true);
    await store.remove('web1');
    assert.not.ok(existsSync(link));
    assert.not.ok(existsSync(join(dir, 'domains', 'web1.xml')));
  }));

test('names that could leave the directory are refused before any file is touched', () =>
  withStore(async (store, dir) => {
    for (const name of ['', '.', '..', '../x', 'a/b', 'a\u0000b', 'a\nb', '.hidden', 'x'.repeat(201)]) {
      try {
        assertSafeFileName(name);
        assert.unreachable(`accepted ${JSON.stringify(name)}`);
      } catch (err) {
        assert.instance(err, VirError);
        assert.is((err as VirError).code, ErrorCode.INVALID_ARG);
      }
      assert.throws(() => store.configPath(name));
    }
    assertSafeFileName('ok-name_1 with spaces');
    assert.not.ok(existsSync(join(dir, 'domains')));
  }));

test('atomicWriteFile replaces content and leaves only the target', async () => {
  const dir = tempStateDir();
  try {
    mkdirSync(join(dir, 'd'));
    const path = join(dir, 'd', 'f');
    await atomicWriteFile(path, join(dir, 'd'), 'one');
    await atomicWriteFile(path, join(dir, 'd'), 'two');
    assert.is(readFileSync(path, 'utf8'), 'two');
    assert.equal(readdirSync(join(dir, 'd')), ['f']);
  } finally {
    removeDir(dir);
  }
});

test('remove takes both files at once and its background directory sync lands', () =>
  withStore(async (store, dir, errors) => {
    await store.save(domainDefFromXml(domainXml('web1', UUID_A)));
    await store.save(domainDefFromXml(domainXml('web2', UUID_B)));
    await store.setAutostart('web1', true);
    await store.remove('web1');
    await store.remove('web1');
    assert.equal(readdirSync(join(dir, 'domains')), ['web2.xml']);
    assert.equal(readdirSync(join(dir, 'autostart')), []);
    await store.settled();
    assert.equal(errors, []);
  }));

test('save makes the directories again when they were removed under the daemon', () =>
  withStore(async (store, dir) => {
    await store.save(domainDefFromXml(domainXml('web1', UUID_A)));
    rmSync(join(dir, 'domains'), { recursive: true });
    await store.save(domainDefFromXml(domainXml('web2', UUID_B)));
    assert.equal(readdirSync(join(dir, 'domains')), ['web2.xml']);
  }));

test('directory syncs asked for before one starts share it; failures are logged, never thrown', async () => {
  const dir = tempStateDir();
  try {
    const failures: string[] = [];
    const sync = new BackgroundDirSync(dir, (err) => failures.push(err.message), 5);
    const first = sync.request();
    const second = sync.request();
    assert.is(second, first, 'requests made before the sync starts share it');
    await first;
    const later = sync.request();
    assert.is.not(later, first, 'a request after the sync started gets a sync of its own');
    await sync.settled();
    assert.equal(failures, []);
    const missing = new BackgroundDirSync(join(dir, 'gone'), (err) => failures.push(err.message));
    await missing.request();
    await missing.settled();
    assert.is(failures.length, 1);
    assert.match(failures[0]!, /ENOENT/);
  } finally {
    removeDir(dir);
  }
});

test.run();
