/**
 * Restart survival with real guests: three test guests run, the daemon is SIGKILLed, one
 * QEMU dies while no daemon watches; the next daemon lists the two others running with
 * their ids and pids and controls them over QMP, records the third as crashed and removes
 * its runtime dir, and the two shut down gracefully.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DomainEventType,
  DomainPausedReason,
  DomainRunningReason,
  DomainShutoffReason,
  DomainState,
  defineDomain,
  domainLifecycle,
  getDomainState,
  listAllDomains,
  resumeDomain,
  shutdownDomain,
  startDomain,
  suspendDomain,
} from '@tsvirt/client';
import { isGone, waitFor } from '@tsvirt/common/testing';
import { guestXml, markerCount, qemuPidOf, qemusMentioning, runtimeDir, withGuestDaemon } from './real-guest.js';

/** Three TCG guests booting at once on two shared vCPUs. */
const BOOT_MS = 90_000;

const GUESTS = [
  { name: 'survive1', uuid: '7a0c1e52-0d4f-4b8e-8f1a-2b3c4d5e6f01' },
  { name: 'survive2', uuid: '7a0c1e52-0d4f-4b8e-8f1a-2b3c4d5e6f02' },
  { name: 'victim3', uuid: '7a0c1e52-0d4f-4b8e-8f1a-2b3c4d5e6f03' },
];

test('daemon SIGKILLed with three guests running and one QEMU killed meanwhile: two recovered, one crashed', async () => {
  await withGuestDaemon(async (g) => {
    const serial = (name: string): string => join(g.root, `${name}.serial`);
    let conn = await g.connect();
    const ids = new Map<string, number>();
    for (const { name, uuid } of GUESTS) {
      await defineDomain(conn, guestXml({ name, uuid, serialLog: serial(name) }));
      ids.set(name, (await startDomain(conn, uuid)).id);
    }
    const bootAt = Date.now();
    await waitFor(
      () => GUESTS.every(({ name }) => markerCount(serial(name), 'TSVIRT-GUEST-READY') === 1),
      BOOT_MS,
      'the three guests to be ready',
    );
    const bootMs = Date.now() - bootAt;
    const pids = new Map(GUESTS.map(({ name }) => [name, qemuPidOf(g.root, ids.get(name)!)]));
    assert.is(qemusMentioning(g.root).length, 3);

    g.daemon().child.kill('SIGKILL');
    await g.daemon().exited;
    const victimPid = pids.get('victim3')!;
    process.kill(victimPid, 'SIGKILL');
    await waitFor(() => isGone(victimPid), 5000, 'the victim QEMU to die');
    for (const name of ['survive1', 'survive2']) assert.not.ok(isGone(pids.get(name)!), `${name} outlives the daemon`);

    await g.restart();
    conn = await g.connect();
    const active = await listAllDomains(conn, { active: true });
    assert.equal(
      active.map(({ name, id }) => [name, id]),
      [
        ['survive1', ids.get('survive1')],
        ['survive2', ids.get('survive2')],
      ],
    );
    for (const { name, uuid } of GUESTS.slice(0, 2)) {
      const id = ids.get(name)!;
      assert.is(qemuPidOf(g.root, id), pids.get(name), `${name} keeps its QEMU`);
      assert.equal(await getDomainState(conn, uuid), {
        state: DomainState.RUNNING,
        reason: DomainRunningReason.BOOTED,
      });
      // the reattached monitor answers: stop and cont go through QMP
      await suspendDomain(conn, uuid);
      assert.equal(await getDomainState(conn, uuid), { state: DomainState.PAUSED, reason: DomainPausedReason.USER });
      await resumeDomain(conn, uuid);
      assert.equal(await getDomainState(conn, uuid), {
        state: DomainState.RUNNING,
        reason: DomainRunningReason.UNPAUSED,
      });
    }
    const victim = GUESTS[2]!;
    assert.equal(await getDomainState(conn, victim.uuid), {
      state: DomainState.SHUTOFF,
      reason: DomainShutoffReason.CRASHED,
    });
    assert.not.ok(existsSync(runtimeDir(g.root, ids.get('victim3')!)), "the victim's runtime dir is removed");

    const stopped = new Set<string>();
    await conn.subscribe(domainLifecycle, (e) => {
      if (e.event === DomainEventType.STOPPED) stopped.add(e.name);
    });
    const shutdownAt = Date.now();
    for (const { uuid } of GUESTS.slice(0, 2)) await shutdownDomain(conn, uuid);
    for (const { name, uuid } of GUESTS.slice(0, 2)) {
      // STOPPED comes once the domain's runtime files are gone; the state changes a moment before
      await waitFor(() => stopped.has(name), 60_000, `${name} to power off`);
      assert.equal(await getDomainState(conn, uuid), {
        state: DomainState.SHUTOFF,
        reason: DomainShutoffReason.SHUTDOWN,
      });
      assert.is(markerCount(serial(name), 'TSVIRT-GUEST-POWERDOWN'), 1);
      assert.not.ok(existsSync(runtimeDir(g.root, ids.get(name)!)));
    }
    const shutdownMs = Date.now() - shutdownAt;
    await waitFor(() => qemusMentioning(g.root).length === 0, 10_000, 'every QEMU to be gone');
    process.stdout.write(
      `  three guests ready in ${bootMs} ms; the two recovered ones off ${shutdownMs} ms after shutdown\n`,
    );
  });
});

test.run();
