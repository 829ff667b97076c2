/**
 * The real test guest through virtqemud (TCG): a QEMU killed with SIGKILL is noticed at
 * once and reported as libvirt does (STOPPED/FAILED, shut off with reason crashed), and the
 * domain starts again; a reboot, asked by the host or done by the guest itself, keeps the
 * same QEMU running; with <on_reboot>destroy</on_reboot> either one shuts it off.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DomainEventShutdownDetail,
  DomainEventStartedDetail,
  DomainEventStoppedDetail,
  DomainEventType,
  DomainRunningReason,
  DomainShutoffReason,
  DomainState,
  defineDomain,
  destroyDomain,
  getDomainState,
  lookupDomainByUUID,
  rebootDomain,
  startDomain,
} from '@tsvirt/client';
import { isGone, waitFor } from '@tsvirt/common/testing';
import { guestXml, markerCount, qemuPidOf, runtimeDir, serialText, withGuestDaemon } from './real-guest.js';

const BOOT_MS = 60_000;
const UUID = '5d1e6f0a-3b7c-4f2e-9a8d-1c2b3a4d5e6f';
const E = DomainEventType;
const BOOTED: [number, number] = [E.STARTED, DomainEventStartedDetail.BOOTED];

/** The `[event, detail]` pairs of recorded events, without their arrival times. */
const pairs = (events: Array<[number, number, number]>): Array<[number, number]> => events.map(([e, d]) => [e, d]);

test('kill -9 of a running guest QEMU: STOPPED/FAILED at once, shut off (crashed), runtime dir gone, starts again', async () => {
  await withGuestDaemon(async (g) => {
    const serialLog = join(g.root, 'crash.serial');
    const conn = await g.connect();
    await defineDomain(conn, guestXml({ name: 'crash1', uuid: UUID, serialLog }));
    const events = await g.recordEvents(conn);
    const { id } = await startDomain(conn, UUID);
    await waitFor(() => markerCount(serialLog, 'TSVIRT-GUEST-READY') === 1, BOOT_MS, 'the guest to be ready');
    const pid = qemuPidOf(g.root, id);

    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    await waitFor(() => events.length === 2, 10_000, 'the STOPPED event');
    const latency = events[1]![2] - killedAt;
    assert.equal(pairs(events), [BOOTED, [E.STOPPED, DomainEventStoppedDetail.FAILED]]);
    assert.ok(latency < 1000, `STOPPED arrived ${latency} ms after the kill`);
    assert.equal(await getDomainState(conn, UUID), { state: DomainState.SHUTOFF, reason: DomainShutoffReason.CRASHED });
    assert.is((await lookupDomainByUUID(conn, UUID)).id, -1);
    assert.not.ok(existsSync(runtimeDir(g.root, id)), 'the runtime dir is removed');
    await waitFor(() => isGone(pid), 5000, 'the killed QEMU to be reaped');

    rmSync(serialLog);
    const again = await startDomain(conn, UUID);
    assert.ok(again.id > id, 'a new id for the new run');
    await waitFor(() => markerCount(serialLog, 'TSVIRT-GUEST-READY') === 1, BOOT_MS, 'the guest to be ready again');
    assert.equal(await getDomainState(conn, UUID), { state: DomainState.RUNNING, reason: DomainRunningReason.BOOTED });
    assert.ok(qemuPidOf(g.root, again.id) !== pid);
    await destroyDomain(conn, UUID);
    process.stdout.write(`  STOPPED event ${latency} ms after kill -9 of QEMU\n`);
  });
});

test('domain.reboot: the guest powers off, is reset and boots again in the same QEMU; no STOPPED event', async () => {
  await withGuestDaemon(async (g) => {
    const serialLog = join(g.root, 'reboot.serial');
    const conn = await g.connect();
    await defineDomain(conn, guestXml({ name: 'reboot1', uuid: UUID, serialLog }));
    const events = await g.recordEvents(conn);
    const { id } = await startDomain(conn, UUID);
    await waitFor(() => markerCount(serialLog, 'TSVIRT-GUEST-READY') === 1, BOOT_MS, 'the guest to be ready');
    const pid = qemuPidOf(g.root, id);

    const rebootAt = Date.now();
    await rebootDomain(conn, UUID);
    await waitFor(() => markerCount(serialLog, 'TSVIRT-GUEST-READY') === 2, BOOT_MS, 'the guest to be ready again');
    const rebootMs = Date.now() - rebootAt;
    assert.is(markerCount(serialLog, 'TSVIRT-GUEST-BOOTED'), 2);
    assert.is(markerCount(serialLog, 'TSVIRT-GUEST-POWERDOWN'), 1, 'the guest went down through its power button');
    assert.is(qemuPidOf(g.root, id), pid, 'the same QEMU');
    assert.not.ok(isGone(pid));
    assert.equal(await getDomainState(conn, UUID), { state: DomainState.RUNNING, reason: DomainRunningReason.BOOTED });
    assert.is((await lookupDomainByUUID(conn, UUID)).id, id);
    // libvirt's fake reboot reports no state change: the guest's power-off is only a step of it
    assert.equal(pairs(events), [BOOTED]);
    await destroyDomain(conn, UUID);
    process.stdout.write(`  guest ready again ${rebootMs} ms after domain.reboot\n`);
  });
});

for (const { what, cmdline, marker } of [
  { what: 'reboot -f', cmdline: 'tsvirt.reboot=1', marker: 'TSVIRT-GUEST-REBOOT' },
  // With no pvpanic device QEMU never learns of the panic: panic=-1 makes it a reboot.
  { what: 'kernel panic (panic=-1)', cmdline: 'tsvirt.panic=1', marker: 'TSVIRT-GUEST-PANIC' },
]) {
  test(`a guest-initiated ${what} with on_reboot='restart' keeps the domain running in the same QEMU`, async () => {
    await withGuestDaemon(async (g) => {
      const serialLog = join(g.root, 'guest-reboot.serial');
      const conn = await g.connect();
      await defineDomain(conn, guestXml({ name: 'greboot1', uuid: UUID, serialLog, cmdline }));
      const events = await g.recordEvents(conn);
      const { id } = await startDomain(conn, UUID);
      await waitFor(() => markerCount(serialLog, marker) >= 1, BOOT_MS, `the guest's ${marker}`);
      const pid = qemuPidOf(g.root, id);
      // the switch stays on the command line: each boot goes down again, which is fine here
      await waitFor(() => markerCount(serialLog, 'TSVIRT-GUEST-BOOTED') >= 2, BOOT_MS, 'a second boot');
      assert.is(qemuPidOf(g.root, id), pid, 'the same QEMU');
      assert.not.ok(isGone(pid));
      assert.is((await getDomainState(conn, UUID)).state, DomainState.RUNNING);
      assert.equal(pairs(events), [BOOTED]);
      await destroyDomain(conn, UUID);
      await waitFor(() => events.length === 2, 5000, 'the STOPPED event');
      assert.equal(pairs(events), [BOOTED, [E.STOPPED, DomainEventStoppedDetail.DESTROYED]]);
    });
  });
}

test("a guest-initiated reboot with on_reboot='destroy' shuts the domain off (reason shutdown)", async () => {
  await withGuestDaemon(async (g) => {
    const serialLog = join(g.root, 'reboot-destroy.serial');
    const conn = await g.connect();
    const xml = guestXml({ name: 'rbdestroy', uuid: UUID, serialLog, cmdline: 'tsvirt.reboot=1', onReboot: 'destroy' });
    await defineDomain(conn, xml);
    const events = await g.recordEvents(conn);
    const { id } = await startDomain(conn, UUID);
    const pid = qemuPidOf(g.root, id);
    await waitFor(() => events.length === 3, BOOT_MS, 'the domain to stop');
    assert.is(markerCount(serialLog, 'TSVIRT-GUEST-REBOOT'), 1, serialText(serialLog));
    assert.is(markerCount(serialLog, 'TSVIRT-GUEST-BOOTED'), 1, 'no second boot');
    assert.equal(await getDomainState(conn, UUID), {
      state: DomainState.SHUTOFF,
      reason: DomainShutoffReason.SHUTDOWN,
    });
    // as libvirt with -no-reboot: QEMU reports the reset as a guest shutdown, then ends
    assert.equal(pairs(events), [
      BOOTED,
      [E.SHUTDOWN, DomainEventShutdownDetail.GUEST],
      [E.STOPPED, DomainEventStoppedDetail.SHUTDOWN],
    ]);
    assert.not.ok(existsSync(runtimeDir(g.root, id)));
    await waitFor(() => isGone(pid), 5000, 'QEMU to exit');
  });
});

test("domain.reboot with on_reboot='destroy' is a shutdown, as libvirt overrides it", async () => {
  await withGuestDaemon(async (g) => {
    const serialLog = join(g.root, 'api-reboot-destroy.serial');
    const conn = await g.connect();
    await defineDomain(conn, guestXml({ name: 'rbapi', uuid: UUID, serialLog, onReboot: 'destroy' }));
    const events = await g.recordEvents(conn);
    const { id } = await startDomain(conn, UUID);
    await waitFor(() => markerCount(serialLog, 'TSVIRT-GUEST-READY') === 1, BOOT_MS, 'the guest to be ready');
    await rebootDomain(conn, UUID);
    await waitFor(() => events.length === 3, BOOT_MS, 'the domain to stop');
    assert.equal(pairs(events), [
      BOOTED,
      [E.SHUTDOWN, DomainEventShutdownDetail.GUEST],
      [E.STOPPED, DomainEventStoppedDetail.SHUTDOWN],
    ]);
    assert.is(markerCount(serialLog, 'TSVIRT-GUEST-POWERDOWN'), 1);
    assert.is(markerCount(serialLog, 'TSVIRT-GUEST-BOOTED'), 1, 'no second boot');
    assert.equal(await getDomainState(conn, UUID), {
      state: DomainState.SHUTOFF,
      reason: DomainShutoffReason.SHUTDOWN,
    });
    assert.not.ok(existsSync(runtimeDir(g.root, id)));
  });
});

test.run();
