/**
 * The project's test guest booted for real through virtqemud (TCG): its console shows
 * the boot and ready markers, an ACPI shutdown makes it power itself off, and the
 * daemon reports the shutdown in order (SHUTDOWN, then STOPPED/SHUTDOWN). Give it time:
 * a TCG boot takes 3-4 s here.
 */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DomainEventShutdownDetail,
  DomainEventStartedDetail,
  DomainEventStoppedDetail,
  DomainEventType,
  createDomainXML,
  listAllDomains,
  shutdownDomain,
} from '@tsvirt/client';
import { waitFor } from '@tsvirt/common/testing';
import { guestXml, serialText, withGuestDaemon } from './real-guest.js';

test('the test guest boots, prints its markers, and powers off on an ACPI shutdown', () =>
  withGuestDaemon(async (g) => {
    const serialLog = join(g.root, 'serial.log');
    const conn = await g.connect();
    const events = await g.recordEvents(conn);
    const started = Date.now();
    const dom = await createDomainXML(conn, guestXml({ name: 'boot-test', serialLog }));
    const serial = (): string => serialText(serialLog);
    await waitFor(() => serial().includes('TSVIRT-GUEST-READY'), 60_000, 'the guest to be ready');
    const readyAfter = Date.now() - started;
    assert.ok(serial().includes('TSVIRT-GUEST-BOOTED'));

    await shutdownDomain(conn, dom.uuid);
    await waitFor(async () => (await listAllDomains(conn)).length === 0, 30_000, 'the transient guest to be gone');
    assert.match(serial(), 'TSVIRT-GUEST-POWERDOWN');
    assert.equal(
      events.map(([event, detail]) => [event, detail]),
      [
        [DomainEventType.STARTED, DomainEventStartedDetail.BOOTED],
        [DomainEventType.SHUTDOWN, DomainEventShutdownDetail.GUEST],
        [DomainEventType.STOPPED, DomainEventStoppedDetail.SHUTDOWN],
      ],
    );
    process.stdout.write(`  guest ready ${readyAfter} ms after create\n`);
  }));

test.run();
