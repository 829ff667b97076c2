/** DomainDriver running real QEMUs (kvm, no OS): start, watch, operate, fail cleanly, survive a daemon restart. */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '@tsvirt/common';
import {
  DomainEventDefinedDetail,
  DomainEventResumedDetail,
  DomainEventShutdownDetail,
  DomainEventStartedDetail,
  DomainEventStoppedDetail,
  DomainEventSuspendedDetail,
  DomainEventType,
  DomainPausedReason,
  DomainRunningReason,
  DomainShutoffReason,
  DomainState,
} from '@tsvirt/common/protocol';
import { rejectionOf, waitFor } from '@tsvirt/common/testing';
import { domainDefFromXml } from '../../src/conf/domain-xml.js';
import { pausedReasonOf } from '../../src/driver/domain-lifecycle.js';
import type { DomainDriver } from '../../src/driver/domain-handlers.js';
import { spawnQemu, type BuildCommandLine } from '../../src/driver/domain-process.js';
import { runtimePaths } from '../../src/driver/domain-status.js';
import { UUID_A, UUID_B } from './helpers.js';
import {
  UUID_C,
  isGone,
  lifecycleOf,
  minimalBuilder,
  pidsMentioning,
  smallDomainXml,
  withHarness,
} from './qemu-harness.js';

const E = DomainEventType;

async function settles(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([promise.then(() => true), sleep(ms).then(() => false)]);
}

function stateOf(driver: DomainDriver, uuid: string): [number, number] {
  const dom = driver.list.getByUuid(uuid);
  return [dom.state, dom.reason];
}

function pidOf(driver: DomainDriver, uuid: string): number {
  const pid = driver.list.getByUuid(uuid).runtime?.pid;
  assert.ok(pid, 'domain has a QEMU pid');
  return pid;
}

test("QEMU run states map to libvirt's paused reasons; internal-error is never running", () => {
  const table: Array<[string, number]> = [
    ['paused', DomainPausedReason.USER],
    ['prelaunch', DomainPausedReason.USER],
    ['internal-error', DomainPausedReason.UNKNOWN],
    ['guest-panicked', DomainPausedReason.CRASHED],
    ['io-error', DomainPausedReason.IOERROR],
    ['watchdog', DomainPausedReason.WATCHDOG],
    ['shutdown', DomainPausedReason.SHUTTING_DOWN],
    ['inmigrate', DomainPausedReason.MIGRATION],
    ['something-new', DomainPausedReason.UNKNOWN],
  ];
  for (const [status, reason] of table) assert.is(pausedReasonOf(status), reason, status);
});

test('define, start, suspend, resume, destroy: states, events in order, runtime dir, QEMU gone', () =>
  withHarness(async (h) => {
    const driver = await h.driver();
    await driver.defineXML(smallDomainXml('lc1', UUID_A));
    const ref = await driver.create(UUID_A);
    assert.is(ref.id, 1);
    assert.equal(stateOf(driver, UUID_A), [DomainState.RUNNING, DomainRunningReason.BOOTED]);
    assert.ok(driver.hasActiveWork());
    const pid = pidOf(driver, UUID_A);

    const runDir = join(h.runStateDir, 'domain-1');
    assert.is(statSync(runDir).mode & 0o777, 0o700);
    const status = JSON.parse(readFileSync(join(runDir, 'status.json'), 'utf8')) as Record<string, unknown>;
    assert.is(status.pid, pid);
    assert.is(status.id, 1);
    assert.is(status.state, DomainState.RUNNING);
    assert.is(status.monitorPath, join(runDir, 'monitor.sock'));
    assert.match(String(status.xml), /<domain type='kvm' id='1'>/);
    assert.ok(existsSync(join(h.logDir, 'qemu', 'lc1.log')));

    const again = await rejectionOf(driver.create(UUID_A));
    assert.is(again.code, ErrorCode.OPERATION_INVALID);
    assert.is(again.message, 'domain is already running');
    const notPaused = await rejectionOf(driver.resume(UUID_A));
    assert.is(notPaused.message, 'domain is not paused');

    await driver.suspend(UUID_A);
    assert.equal(stateOf(driver, UUID_A), [DomainState.PAUSED, DomainPausedReason.USER]);
    await driver.resume(UUID_A);
    assert.equal(stateOf(driver, UUID_A), [DomainState.RUNNING, DomainRunningReason.UNPAUSED]);
    await driver.reset(UUID_A);
    await driver.shutdown(UUID_A);

    await driver.destroy(UUID_A);
    assert.equal(stateOf(driver, UUID_A), [DomainState.SHUTOFF, DomainShutoffReason.DESTROYED]);
    assert.is(driver.list.getByUuid(UUID_A).id, -1);
    assert.not.ok(existsSync(runDir), 'runtime dir removed');
    await waitFor(() => isGone(pid), 3000, 'QEMU to exit');
    assert.not.ok(driver.hasActiveWork());
    assert.equal(lifecycleOf(h.sink, 'lc1'), [
      [E.DEFINED, DomainEventDefinedDetail.ADDED],
      [E.STARTED, DomainEventStartedDetail.BOOTED],
      [E.SUSPENDED, DomainEventSuspendedDetail.PAUSED],
      [E.RESUMED, DomainEventResumedDetail.UNPAUSED],
      [E.STOPPED, DomainEventStoppedDetail.DESTROYED],
    ]);

    for (const call of [driver.destroy(UUID_A), driver.suspend(UUID_A), driver.shutdown(UUID_A)]) {
      const err = await rejectionOf(call);
      assert.is(err.code, ErrorCode.OPERATION_INVALID);
      assert.is(err.message, 'domain is not running');
    }
    // the next start gets a new id
    assert.is((await driver.create(UUID_A)).id, 2);
    await driver.destroy(UUID_A);
  }));

test('createXML --paused: a transient, paused domain that disappears once destroyed', () =>
  withHarness(async (h) => {
    const driver = await h.driver();
    const ref = await driver.createXML(smallDomainXml('tr1', UUID_B), { paused: true });
    assert.is(ref.name, 'tr1');
    const dom = driver.list.getByUuid(UUID_B);
    assert.is(dom.persistent, false);
    assert.equal(stateOf(driver, UUID_B), [DomainState.PAUSED, DomainPausedReason.USER]);
    await driver.resume(UUID_B);
    await driver.destroy(UUID_B);
    assert.is(driver.list.findByUuid(UUID_B), undefined);
    assert.equal(lifecycleOf(h.sink, 'tr1'), [
      [E.STARTED, DomainEventStartedDetail.BOOTED],
      [E.SUSPENDED, DomainEventSuspendedDetail.PAUSED],
      [E.RESUMED, DomainEventResumedDetail.UNPAUSED],
      [E.STOPPED, DomainEventStoppedDetail.DESTROYED],
    ]);
    assert.equal(readdirSync(h.runStateDir), []);
  }));

test('two concurrent starts of one domain: exactly one QEMU, the other is refused', () =>
  withHarness(async (h) => {
    const driver = await h.driver();
    await driver.defineXML(smallDomainXml('cc1', UUID_A));
    const results = await Promise.allSettled([driver.create(UUID_A), driver.create(UUID_A)]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.is(ok.length, 1);
    assert.is(failed.length, 1);
    assert.is((failed[0]!.reason as Error).message, 'domain is already running');
    assert.is(
      pidsMentioning(h.dir).filter((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('qemu')).length,
      1,
    );
    await driver.destroy(UUID_A);
  }));

test('kill -9 of QEMU: noticed through the monitor EOF within a second as STOPPED/CRASHED', () =>
  withHarness(async (h) => {
    const driver = await h.driver();
    await driver.defineXML(smallDomainXml('kc1', UUID_A));
    await driver.create(UUID_A);
    const pid = pidOf(driver, UUID_A);
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    await waitFor(() => lifecycleOf(h.sink, 'kc1').some(([event]) => event === E.STOPPED), 1000, 'STOPPED event');
    assert.ok(Date.now() - killedAt < 1000);
    assert.equal(lifecycleOf(h.sink, 'kc1').at(-1), [E.STOPPED, DomainEventStoppedDetail.FAILED]);
    assert.equal(stateOf(driver, UUID_A), [DomainState.SHUTOFF, DomainShutoffReason.CRASHED]);
    assert.equal(readdirSync(h.runStateDir), []);
  }));

test('a pause QEMU did on its own is seen as SUSPENDED', () =>
  withHarness(async (h) => {
    const driver = await h.driver();
    await driver.defineXML(smallDomainXml('ev1', UUID_A));
    await driver.create(UUID_A);
    await driver.list.getByUuid(UUID_A).runtime!.monitor.execute('stop');
    await waitFor(() => lifecycleOf(h.sink, 'ev1').length === 3, 2000, 'SUSPENDED');
    assert.equal(stateOf(driver, UUID_A), [DomainState.PAUSED, DomainPausedReason.USER]);
    await driver.list.getByUuid(UUID_A).runtime!.monitor.execute('cont');
    await waitFor(() => lifecycleOf(h.sink, 'ev1').length === 4, 2000, 'RESUMED');
    assert.equal(stateOf(driver, UUID_A), [DomainState.RUNNING, DomainRunningReason.UNPAUSED]);
    assert.equal(lifecycleOf(h.sink, 'ev1').slice(-2), [
      [E.SUSPENDED, DomainEventSuspendedDetail.PAUSED],
      [E.RESUMED, DomainEventResumedDetail.UNPAUSED],
    ]);
    await driver.destroy(UUID_A);
  }));

/** A boot sector that powers the machine off through the PIIX4 PM port SeaBIOS sets up (0x604, SLP_EN). */
function writePowerOffDisk(path: string): void {
  const code = [0xba, 0x04, 0x06, 0xb8, 0x00, 0x20, 0xef, 0xf4, 0xeb, 0xfd]; // mov dx,0x604; mov ax,0x2000; out dx,ax; hlt; jmp hlt
  const sector = Buffer.alloc(512);
  Buffer.from(code).copy(sector);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  writeFileSync(path, sector);
}

test('a guest that powers off: SHUTDOWN/GUEST, QEMU told to quit, then STOPPED/SHUTDOWN', () =>
  withHarness(async (h) => {
    const disk = join(h.dir, 'poweroff.img');
    writePowerOffDisk(disk);
    const withDisk: BuildCommandLine = (def, runtime) => {
      const argv = minimalBuilder(def, runtime);
      return { ...argv, args: [...argv.args, '-drive', `file=${disk},format=raw,if=ide`] };
    };
    const driver = await h.driver({ buildCommandLine: withDisk });
    await driver.defineXML(smallDomainXml('po1', UUID_A));
    await driver.create(UUID_A);
    const pid = pidOf(driver, UUID_A);
    await waitFor(() => lifecycleOf(h.sink, 'po1').some(([event]) => event === E.STOPPED), 15_000, 'STOPPED');
    assert.equal(lifecycleOf(h.sink, 'po1'), [
      [E.DEFINED, DomainEventDefinedDetail.ADDED],
      [E.STARTED, DomainEventStartedDetail.BOOTED],
      [E.SHUTDOWN, DomainEventShutdownDetail.GUEST],
      [E.STOPPED, DomainEventStoppedDetail.SHUTDOWN],
    ]);
    assert.equal(stateOf(driver, UUID_A), [DomainState.SHUTOFF, DomainShutoffReason.SHUTDOWN]);
    await waitFor(() => isGone(pid), 3000, 'QEMU to exit');
    assert.equal(readdirSync(h.runStateDir), []);
  }));

test('a QEMU that fails to start: a clear error with its log, nothing running, shut off (failed)', () =>
  withHarness(async (h) => {
    const bogus: BuildCommandLine = (def, runtime) => {
      const argv = minimalBuilder(def, runtime);
      return { ...argv, args: [...argv.args, '-bogus-option'] };
    };
    const driver = await h.driver({ buildCommandLine: bogus });
    await driver.defineXML(smallDomainXml('bad1', UUID_A));
    const err = await rejectionOf(driver.create(UUID_A));
    assert.is(err.code, ErrorCode.OPERATION_FAILED);
    assert.match(err.message, /^QEMU of domain 'bad1' exited while starting: .*bogus-option/s);
    assert.equal(stateOf(driver, UUID_A), [DomainState.SHUTOFF, DomainShutoffReason.FAILED]);
    assert.is(driver.list.getByUuid(UUID_A).runtime, undefined);
    assert.equal(readdirSync(h.runStateDir), []);
    assert.equal(pidsMentioning(h.dir), []);
    assert.not.ok(driver.hasActiveWork());

    // a transient domain that fails to start is not left behind
    const err2 = await rejectionOf(driver.createXML(smallDomainXml('bad2', UUID_B)));
    assert.is(err2.code, ErrorCode.OPERATION_FAILED);
    assert.is(driver.list.findByUuid(UUID_B), undefined);
    assert.equal(lifecycleOf(h.sink, 'bad2'), []);
  }));

test('type kvm without a usable /dev/kvm is refused; type qemu runs on tcg', () =>
  withHarness(async (h) => {
    const accels: string[] = [];
    const spy: BuildCommandLine = (def, runtime) => {
      accels.push(runtime.accel);
      return minimalBuilder(def, runtime);
    };
    const driver = await h.driver({ kvmUsable: () => Promise.resolve(false), buildCommandLine: spy });
    await driver.defineXML(smallDomainXml('k1', UUID_A));
    const err = await rejectionOf(driver.create(UUID_A));
    assert.is(err.code, ErrorCode.CONFIG_UNSUPPORTED);
    assert.equal(readdirSync(h.runStateDir), []);
    await driver.createXML(smallDomainXml('q1', UUID_B, 'qemu'));
    assert.equal(accels, ['tcg']);
    await driver.destroy(UUID_B);
  }));

test('daemon restart: a new driver recovers both running domains with their ids, and destroys them', () =>
  withHarness(async (h) => {
    const a = await h.driver();
    await a.defineXML(smallDomainXml('rs1', UUID_A));
    await a.create(UUID_A);
    await a.createXML(smallDomainXml('rs2', UUID_B), { paused: true });
    const pids = [pidOf(a, UUID_A), pidOf(a, UUID_B)];
    const ids = [a.list.getByUuid(UUID_A).id, a.list.getByUuid(UUID_B).id];
    a.close(); // the daemon goes away: monitors closed, QEMUs left running

    const eventsBefore = h.sink.events.length;
    const b = await h.driver();
    assert.equal(stateOf(b, UUID_A), [DomainState.RUNNING, DomainRunningReason.BOOTED]);
    assert.equal(stateOf(b, UUID_B), [DomainState.PAUSED, DomainPausedReason.USER]);
    assert.equal([b.list.getByUuid(UUID_A).id, b.list.getByUuid(UUID_B).id], ids);
    assert.equal([pidOf(b, UUID_A), pidOf(b, UUID_B)], pids);
    assert.is(b.list.getByUuid(UUID_A).persistent, true);
    assert.is(b.list.getByUuid(UUID_B).persistent, false);
    assert.is(b.list.getByUuid(UUID_A).def.id, ids[0]);
    assert.is(h.sink.events.length, eventsBefore, 'no event at recovery');
    assert.ok(b.hasActiveWork());

    // a new start gets an id after the restored ones
    await b.defineXML(smallDomainXml('rs3', UUID_C));
    assert.is((await b.create(UUID_C)).id, Math.max(...ids) + 1);

    await b.resume(UUID_B);
    for (const uuid of [UUID_A, UUID_B, UUID_C]) await b.destroy(uuid);
    for (const pid of pids) await waitFor(() => isGone(pid), 3000, `pid ${pid} to exit`);
    assert.is(b.list.findByUuid(UUID_B), undefined, 'the transient domain is gone');
    assert.equal(stateOf(b, UUID_A), [DomainState.SHUTOFF, DomainShutoffReason.DESTROYED]);
    assert.equal(readdirSync(h.runStateDir), []);
  }));

test('a QEMU killed while no driver watched shows as shut off (crashed); a dead transient is dropped', () =>
  withHarness(async (h) => {
    const a = await h.driver();
    await a.defineXML(smallDomainXml('dd1', UUID_A));
    await a.create(UUID_A);
    await a.createXML(smallDomainXml('dd2', UUID_B));
    const pids = [pidOf(a, UUID_A), pidOf(a, UUID_B)];
    a.close();
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    for (const pid of pids) await waitFor(() => isGone(pid), 3000, `pid ${pid} to exit`);

    const b = await h.driver();
    assert.equal(stateOf(b, UUID_A), [DomainState.SHUTOFF, DomainShutoffReason.CRASHED]);
    assert.is(b.list.getByUuid(UUID_A).id, -1);
    assert.is(b.list.findByUuid(UUID_B), undefined);
    assert.equal(readdirSync(h.runStateDir), []);
    assert.not.ok(b.hasActiveWork());
  }));

test('a QEMU of a start the daemon never finished (no status.json) is killed at load', () =>
  withHarness(async (h) => {
    const paths = runtimePaths(h.runStateDir, 7);
    mkdirSync(paths.dir, { mode: 0o700 });
    const def = domainDefFromXml(smallDomainXml('half1', UUID_A));
    const { binary, args } = minimalBuilder(def, {
      accel: 'kvm',
      monitorSocket: paths.monitorPath,
      pidFile: paths.pidFile,
      taps: {},
      volumePaths: {},
    });
    const qemu = await spawnQemu(binary, args, join(h.logDir, 'half1.log'));
    await waitFor(
      () => existsSync(paths.pidFile) && readFileSync(paths.pidFile, 'utf8').trim() !== '',
      5000,
      'pidfile',
    );
    const driver = await h.driver();
    assert.ok(await settles(qemu.exited, 3000), 'QEMU killed');
    assert.equal(readdirSync(h.runStateDir), []);
    assert.is(driver.list.size, 0);
    // ids continue after nothing: the leftover had no status to restore
    await driver.defineXML(smallDomainXml('half2', UUID_B));
    assert.is((await driver.create(UUID_B)).id, 1);
    await driver.destroy(UUID_B);
  }));

test('autostart domains start at load', () =>
  withHarness(async (h) => {
    const a = await h.driver();
    await a.defineXML(smallDomainXml('as1', UUID_A));
    await a.setAutostart(UUID_A, true);
    const b = await h.driver();
    assert.equal(stateOf(b, UUID_A), [DomainState.RUNNING, DomainRunningReason.BOOTED]);
    await b.destroy(UUID_A);
  }));

test.run();
