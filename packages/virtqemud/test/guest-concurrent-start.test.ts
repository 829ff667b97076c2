/**
 * One defined domain started from two client connections at the same moment: the job lock
 * lets exactly one start through, the other gets OPERATION_INVALID "domain is already
 * running", and there is never a second QEMU. Five rounds with an OS-less KVM domain, one
 * with the real test guest.
 */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DomainRunningReason,
  DomainShutoffReason,
  DomainState,
  ErrorCode,
  VirError,
  defineDomain,
  destroyDomain,
  getDomainState,
  listAllDomains,
  startDomain,
  type Connection,
  type DomainRef,
} from '@tsvirt/client';
import { waitFor } from '@tsvirt/common/testing';
import { guestXml, markerCount, qemuPidOf, qemusMentioning, withGuestDaemon } from './real-guest.js';

const UUID = '2c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f';
const ROUNDS = 5;

function osLessXml(name: string, uuid: string): string {
  return `<domain type='kvm'>
  <name>${name}</name>
  <uuid>${uuid}</uuid>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
</domain>`;
}

/** Both connections start `uuid` at once; asserts one winner, one clear refusal, one QEMU. */
async function raceStart(a: Connection, b: Connection, uuid: string, root: string): Promise<DomainRef> {
  const results = await Promise.allSettled([startDomain(a, uuid), startDomain(b, uuid)]);
  const won = results.filter((r): r is PromiseFulfilledResult<DomainRef> => r.status === 'fulfilled');
  const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.is(won.length, 1, 'exactly one start succeeds');
  assert.is(lost.length, 1);
  const err = lost[0]!.reason as unknown;
  assert.instance(err, VirError);
  assert.is((err as VirError).code, ErrorCode.OPERATION_INVALID);
  assert.match((err as VirError).message, 'domain is already running');
  const winner = won[0]!.value;
  assert.equal(qemusMentioning(uuid), [qemuPidOf(root, winner.id)], 'one QEMU, the one recorded');
  assert.equal(await getDomainState(a, uuid), { state: DomainState.RUNNING, reason: DomainRunningReason.BOOTED });
  assert.equal(
    (await listAllDomains(b, { active: true })).map((d) => d.id),
    [winner.id],
  );
  return winner;
}

test(`${ROUNDS} rounds of two clients starting one OS-less domain at once: one QEMU each time`, async () => {
  await withGuestDaemon(async (g) => {
    const [a, b] = [await g.connect(), await g.connect()];
    await defineDomain(a, osLessXml('race1', UUID));
    const ids: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      ids.push((await raceStart(a, b, UUID, g.root)).id);
      await destroyDomain(b, UUID);
      assert.equal(await getDomainState(a, UUID), {
        state: DomainState.SHUTOFF,
        reason: DomainShutoffReason.DESTROYED,
      });
      await waitFor(() => qemusMentioning(UUID).length === 0, 5000, 'the QEMU to be gone');
    }
    // a refused start took no id: each round's winner got the next one
    assert.equal(
      ids,
      ids.map((_, i) => ids[0]! + i),
    );
  });
});

test('two clients starting the real test guest at once: one QEMU, and it boots', async () => {
  await withGuestDaemon(async (g) => {
    const serialLog = join(g.root, 'race.serial');
    const [a, b] = [await g.connect(), await g.connect()];
    await defineDomain(a, guestXml({ name: 'race-guest', uuid: UUID, serialLog }));
    await raceStart(a, b, UUID, g.root);
    await waitFor(() => markerCount(serialLog, 'TSVIRT-GUEST-READY') === 1, 60_000, 'the guest to be ready');
    assert.is(markerCount(serialLog, 'TSVIRT-GUEST-BOOTED'), 1, 'one guest wrote to the serial log');
    assert.is(qemusMentioning(UUID).length, 1);
    await destroyDomain(a, UUID);
    await waitFor(() => qemusMentioning(UUID).length === 0, 5000, 'the QEMU to be gone');
  });
});

test.run();
