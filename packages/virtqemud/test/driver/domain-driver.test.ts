/** DomainList and DomainDriver in process: uniqueness rules, define/update/undefine, events after persistence. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, VirError } from '@tsvirt/common';
import { DomainEventType, DomainShutoffReason, DomainState } from '@tsvirt/common/protocol';
import { domainDefFromXml } from '../../src/conf/domain-xml.js';
import { DomainDriver } from '../../src/driver/domain-handlers.js';
import { DomainList } from '../../src/driver/domain-list.js';
import { DomainStore } from '../../src/driver/domain-store.js';
import { RecordingSink, UUID_A, UUID_B, domainXml, recordingLogger, removeDir, tempStateDir } from './helpers.js';

async function codeOf(promise: Promise<unknown>): Promise<{ code: number; message: string } | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    assert.instance(err, VirError);
    return { code: (err as VirError).code, message: (err as VirError).message };
  }
}

async function withDriver(
  body: (driver: DomainDriver, sink: RecordingSink, dir: string) => Promise<void>,
  jobWaitMs = 200,
): Promise<void> {
  const dir = tempStateDir();
  const { log } = recordingLogger();
  const sink = new RecordingSink();
  try {
    const driver = new DomainDriver({ store: new DomainStore(dir, log), events: sink, log, jobWaitMs });
    await driver.load();
    await body(driver, sink, dir);
  } finally {
    removeDir(dir);
  }
}

test('DomainList: same name with another uuid is refused; same uuid with another name too', () => {
  const list = new DomainList();
  list.add(domainDefFromXml(domainXml('web1', UUID_A)), { persistent: true });
  try {
    list.planDefine(domainDefFromXml(domainXml('web1', UUID_B)));
    assert.unreachable();
  } catch (err) {
    assert.is((err as VirError).code, ErrorCode.OPERATION_FAILED);
    assert.is((err as VirError).message, `domain 'web1' already exists with uuid ${UUID_A}`);
  }
  try {
    list.planDefine(domainDefFromXml(domainXml('web2', UUID_A)));
    assert.unreachable();
  } catch (err) {
    assert.is((err as VirError).code, ErrorCode.OPERATION_FAILED);
    assert.is((err as VirError).message, `domain 'web1' is already defined with uuid ${UUID_A}`);
  }
  assert.is(list.planDefine(domainDefFromXml(domainXml('web1', UUID_A))).kind, 'update');
  assert.is(list.findById(-1), undefined);
});

test('DomainList: listAll filters as libvirt does', () => {
  const list = new DomainList();
  const a = list.add(domainDefFromXml(domainXml('b-dom', UUID_A)), { persistent: true, autostart: true });
  list.add(domainDefFromXml(domainXml('a-dom', UUID_B)), { persistent: true });
  const names = (flags: Parameters<DomainList['list']>[0]) => list.list(flags).map((d) => d.name);
  assert.equal(names({}), ['a-dom', 'b-dom']);
  assert.equal(names({ active: true }), []);
  assert.equal(names({ inactive: true }), ['a-dom', 'b-dom']);
  assert.equal(names({ autostart: true }), ['b-dom']);
  assert.equal(names({ noAutostart: true }), ['a-dom']);
  assert.equal(names({ transient: true }), []);
  assert.equal(names({ active: true, inactive: true }), ['a-dom', 'b-dom']);
  // a running domain (the process code will set these) is found by id
  a.state = DomainState.RUNNING;
  a.id = 7;
  assert.equal(names({ active: true }), ['b-dom']);
  assert.is(list.getById(7).name, 'b-dom');
  assert.equal(a.ref(), { name: 'b-dom', uuid: UUID_A, id: 7 });
});

test('define adds, redefine updates, events follow the files', () =>
  withDriver(async (driver, sink, dir) => {
    const file = join(dir, 'domains', 'web1.xml');
    assert.equal(await driver.defineXML(domainXml('web1', UUID_A)), { name: 'web1', uuid: UUID_A });
    assert.ok(existsSync(file));
    await driver.defineXML(domainXml('web1', UUID_A, 1024));
    assert.match(readFileSync(file, 'utf8'), /<memory unit='KiB'>1048576<\/memory>/);
    const dom = driver.list.getByName('web1');
    assert.is(dom.state, DomainState.SHUTOFF);
    assert.is(dom.reason, DomainShutoffReason.UNKNOWN);
    assert.equal(dom.ref(), { name: 'web1', uuid: UUID_A, id: -1 });
    assert.equal(
      sink.events.map((e) => e.data),
      [
        { name: 'web1', uuid: UUID_A, event: DomainEventType.DEFINED, detail: 0 },
        { name: 'web1', uuid: UUID_A, event: DomainEventType.DEFINED, detail: 1 },
      ],
    );
    const clash = await codeOf(driver.defineXML(domainXml('web1', UUID_B)));
    assert.is(clash?.code, ErrorCode.OPERATION_FAILED);
    assert.is(sink.events.length, 2, 'no event for a refused define');

    await driver.setAutostart(UUID_A, true);
    assert.ok(existsSync(join(dir, 'autostart', 'web1.xml')));
    await driver.undefine(UUID_A);
    assert.equal(readdirSync(join(dir, 'domains')), []);
    assert.equal(readdirSync(join(dir, 'autostart')), []);
    assert.is(driver.list.findByUuid(UUID_A), undefined);
    assert.equal(sink.events[2]?.data, { name: 'web1', uuid: UUID_A, event: DomainEventType.UNDEFINED, detail: 0 });
    const gone = await codeOf(driver.undefine(UUID_A));
    assert.equal(gone, { code: ErrorCode.NO_DOMAIN, message: `no domain with matching uuid '${UUID_A}'` });
  }));

test('a bad XML keeps its VirError and writes nothing', () =>
  withDriver(async (driver, sink, dir) => {
    const bad = await codeOf(driver.defineXML('<domain type="kvm"><name>x</name>'));
    assert.is(bad?.code, ErrorCode.XML_ERROR);
    const slash = await codeOf(driver.defineXML(domainXml('../x', UUID_A)));
    assert.ok(slash && slash.code !== ErrorCode.INTERNAL_ERROR, JSON.stringify(slash));
    assert.equal(readdirSync(join(dir, 'domains')), []);
    assert.is(sink.events.length, 0);
  }));

test('a failed save leaves the list and the events untouched', async () => {
  const dir = tempStateDir();
  const { log } = recordingLogger();
  const sink = new RecordingSink();
  try {
    const store = new DomainStore(dir, log, {
      beforeRename: () => {
        throw new Error('disk full');
      },
    });
    const driver = new DomainDriver({ store, events: sink, log });
    await driver.load();
    try {
      await driver.defineXML(domainXml('web1', UUID_A));
      assert.unreachable('saved');
    } catch (err) {
      // a plain Error from the store surfaces as is; the dispatcher turns it into INTERNAL_ERROR
      assert.is((err as Error).message, 'disk full');
    }
    assert.is(driver.list.size, 0);
    assert.is(sink.events.length, 0);
    assert.equal(readdirSync(join(dir, 'domains')), []);
  } finally {
    removeDir(dir);
  }
});

test('concurrent defines of one name: one adds, the rest update, events in order', () =>
  withDriver(async (driver, sink) => {
    await Promise.all([1, 2, 3].map((n) => driver.defineXML(domainXml('web1', UUID_A, 256 * n))));
    assert.equal(
      sink.events.map((e) => (e.data as { detail: number }).detail),
      [0, 1, 1],
    );
    assert.is(driver.list.getByName('web1').def.memory, 3 * 256 * 1024);
  }));

test('a job on a busy domain is refused after the wait; the busy one completes', () =>
  withDriver(async (driver) => {
    await driver.defineXML(domainXml('web1', UUID_A));
    let release!: () => void;
    const long = driver.withJob(UUID_A, 'start', () => new Promise<void>((r) => (release = r)));
    const refused = await codeOf(driver.setAutostart(UUID_A, true));
    assert.equal(refused, {
      code: ErrorCode.OPERATION_INVALID,
      message: "cannot acquire state change lock (held by job 'start')",
    });
    release();
    await long;
    await driver.setAutostart(UUID_A, true);
    assert.is(driver.list.getByName('web1').autostart, true);
  }, 50));

test('load restores saved domains with their autostart flag', async () => {
  const dir = tempStateDir();
  const { log } = recordingLogger();
  try {
    const first = new DomainDriver({ store: new DomainStore(dir, log), events: new RecordingSink(), log });
    await first.load();
    await first.defineXML(domainXml('web1', UUID_A));
    await first.defineXML(domainXml('web2', UUID_B));
    await first.setAutostart(UUID_B, true);
    const second = new DomainDriver({ store: new DomainStore(dir, log), events: new RecordingSink(), log });
    await second.load();
    assert.equal(
      second.list.list().map((d) => [d.name, d.uuid, d.autostart, d.persistent]),
      [
        ['web1', UUID_A, false, true],
        ['web2', UUID_B, true, true],
      ],
    );
  } finally {
    removeDir(dir);
  }
});

test.run();
