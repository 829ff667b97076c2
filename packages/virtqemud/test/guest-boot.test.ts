/**
 * The project's test guest booted for real through virtqemud (TCG): its console shows
 * the boot and ready markers, an ACPI shutdown makes it power itself off, and the
 * daemon reports the shutdown in order (SHUTDOWN, then STOPPED/SHUTDOWN). Give it time:
 * a TCG boot takes 3-4 s here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DomainEventShutdownDetail,
  DomainEventStartedDetail,
  DomainEventStoppedDetail,
  DomainEventType,
  createDomainXML,
  domainLifecycle,
  listAllDomains,
  open,
  shutdownDomain,
} from '@tsvirt/client';
import {
  killProcessesMentioning,
  makeTempRoot,
  removeTempRoot,
  spawnNamedDaemon,
  waitFor,
} from '@tsvirt/common/testing';
import { ensureTestGuest } from './test-guest.js';

function guestXml(kernel: string, initrd: string, serialLog: string): string {
  return `<domain type='qemu'>
  <name>boot-test</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${kernel}</kernel>
    <initrd>${initrd}</initrd>
    <cmdline>console=ttyS0 panic=-1</cmdline>
  </os>
  <features><acpi/></features>
  <devices>
    <serial type='file'><source path='${serialLog}'/></serial>
  </devices>
</domain>`;
}

test('the test guest boots, prints its markers, and powers off on an ACPI shutdown', async () => {
  const { kernel, initrd } = ensureTestGuest();
  const root = makeTempRoot();
  const serialLog = join(root, 'serial.log');
  const daemon = await spawnNamedDaemon('virtqemud', root);
  try {
    const conn = await open('qemu:///session', { env: { ...process.env, TSVIRT_ROOT: root } });
    const events: Array<[number, number]> = [];
    await conn.subscribe(domainLifecycle, (e) => events.push([e.event, e.detail]));
    const started = Date.now();
    const dom = await createDomainXML(conn, guestXml(kernel, initrd, serialLog));
    const serial = (): string => (existsSync(serialLog) ? readFileSync(serialLog, 'latin1') : '');
    await waitFor(() => serial().includes('TSVIRT-GUEST-READY'), 60_000, 'the guest to be ready');
    const readyAfter = Date.now() - started;
    assert.ok(serial().includes('TSVIRT-GUEST-BOOTED'));

    await shutdownDomain(conn, dom.uuid);
    await waitFor(async () => (await listAllDomains(conn)).length === 0, 30_000, 'the transient guest to be gone');
    assert.match(serial(), 'TSVIRT-GUEST-POWERDOWN');
    assert.equal(events, [
      [DomainEventType.STARTED, DomainEventStartedDetail.BOOTED],
      [DomainEventType.SHUTDOWN, DomainEventShutdownDetail.GUEST],
      [DomainEventType.STOPPED, DomainEventStoppedDetail.SHUTDOWN],
    ]);
    process.stdout.write(`  guest ready ${readyAfter} ms after create\n`);
    await conn.close();
  } finally {
    await daemon.stop();
    killProcessesMentioning(root);
    removeTempRoot(root);
  }
});

test.run();
