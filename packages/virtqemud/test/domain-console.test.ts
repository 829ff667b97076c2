/**
 * `domain.openConsole` against the real test guest (TCG), with its shell on the serial
 * console: the boot shows through the stream, a typed command runs in the guest and its
 * result comes back, one session at a time unless forced, refusals as libvirt words them,
 * the pty path in the live XML (and kept by a restarted daemon), a unix socket serial, and
 * the stream ending with the guest.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ErrorCode,
  defineDomain,
  destroyDomain,
  getDomainXML,
  openDomainConsole,
  resumeDomain,
  startDomain,
} from '@tsvirt/client';
import { rejectionOf, waitFor } from '@tsvirt/common/testing';
import { guestXml, withGuestDaemon } from './real-guest.js';

const UUID = 'c0c0c0c0-1111-4222-8333-444455556666';

/** Its shell on a pty serial (the console), and a second serial on a unix socket QEMU listens on. */
function consoleGuestXml(unixSocket: string): string {
  return guestXml({
    name: 'console-test',
    uuid: UUID,
    cmdline: 'tsvirt.shell=1',
    serial: 'pty',
    devices: `
    <console type='pty'/>
    <serial type='unix'><source mode='bind' path='${unixSocket}'/></serial>`,
  });
}

/** Everything a console stream delivered, and how it ended. */
class ConsoleReader {
  private text = '';
  readonly ended: Promise<'end' | 'error'>;

  constructor(readonly stream: Duplex) {
    stream.on('data', (chunk: Buffer) => (this.text += chunk.toString('latin1')));
    this.ended = new Promise((resolve) => {
      stream.once('end', () => resolve('end'));
      stream.once('error', () => resolve('error'));
    });
  }

  get output(): string {
    return this.text;
  }

  waitFor(needle: string, timeoutMs = 60_000): Promise<unknown> {
    return waitFor(() => this.text.includes(needle), timeoutMs, `'${needle}' on the console; got:\n${this.text}`);
  }

  /**
   * Types `command` into the guest's shell until `expected` shows: the shell may still be
   * starting when the first line arrives, so the line is typed again every few seconds.
   */
  async run(command: string, expected: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.text.includes(expected)) {
      if (Date.now() > deadline) throw new Error(`no '${expected}' after '${command}'; console:\n${this.text}`);
      this.stream.write(`${command}\n`);
      await waitFor(() => this.text.includes(expected), 5000, expected).catch(() => undefined);
    }
  }
}

/** The live XML's pty paths: the serial's source, the console's `tty` and source. */
function ptyOf(xml: string): { serial: string | undefined; consoleTty: string | undefined; consoleSource: string } {
  const serial = /<serial type='pty'>\s*<source path='([^']+)'\/>/.exec(xml)?.[1];
  const consoleMatch = /<console type='pty' tty='([^']+)'>\s*<source path='([^']+)'\/>/.exec(xml);
  return { serial, consoleTty: consoleMatch?.[1], consoleSource: consoleMatch?.[2] ?? '' };
}

test('the console of a real guest: boot output, a command and its result, one session, force, refusals, restart, end', () =>
  withGuestDaemon(async (g) => {
    const unixSocket = join(g.root, 'serial1.sock');
    let conn = await g.connect();
    const { uuid } = await defineDomain(conn, consoleGuestXml(unixSocket));

    const shutOff = await rejectionOf(openDomainConsole(conn, uuid));
    assert.is(shutOff.code, ErrorCode.OPERATION_INVALID);
    assert.is(shutOff.message, 'domain is not running');

    // Paused until the console is attached: a pty nobody holds drops what the guest writes.
    await startDomain(conn, uuid, { paused: true });
    const xml = await getDomainXML(conn, uuid);
    const pty = ptyOf(xml);
    assert.ok(pty.serial?.startsWith('/dev/pts/'), xml);
    assert.ok(existsSync(pty.serial!), `${pty.serial} exists`);
    assert.is(pty.consoleTty, pty.serial, xml);
    assert.is(pty.consoleSource, pty.serial, xml);
    assert.not.match(await getDomainXML(conn, uuid, { inactive: true }), '/dev/pts/');

    const opened = Date.now();
    const first = new ConsoleReader(await openDomainConsole(conn, uuid));
    await resumeDomain(conn, uuid);
    await first.waitFor('TSVIRT-GUEST-READY');
    const readyAfter = Date.now() - opened;
    await first.waitFor('TSVIRT-GUEST-DONE');
    // The echo of the typed line shows `$((6*7))`; only the shell's output shows 42.
    await first.run('echo TSVIRT-CON-$((6*7))', 'TSVIRT-CON-42');
    const commandAfter = Date.now() - opened;

    const busy = await rejectionOf(openDomainConsole(conn, uuid));
    assert.is(busy.code, ErrorCode.OPERATION_FAILED);
    assert.is(busy.message, 'Active console session exists for this domain');
    const busyBySerialName = await rejectionOf(openDomainConsole(conn, uuid, { device: 'serial0' }));
    assert.is(busyBySerialName.code, ErrorCode.OPERATION_FAILED, 'serial0 and its console are one device');

    const ro = await g.connect({ readonly: true });
    const denied = await rejectionOf(openDomainConsole(ro, uuid));
    assert.is(denied.code, ErrorCode.OPERATION_DENIED);
    const missing = await rejectionOf(openDomainConsole(conn, uuid, { device: 'serial7' }));
    assert.is(missing.code, ErrorCode.INTERNAL_ERROR);
    assert.is(missing.message, "cannot find character device 'serial7'");

    // The second serial is a unix socket QEMU listens on: the guest writes to ttyS1.
    const unix = new ConsoleReader(await openDomainConsole(conn, uuid, { device: 'serial1' }));
    await first.run('echo TSVIRT-UNIX-$((3*5)) > /dev/ttyS1; echo TSVIRT-UX-$((2+2))', 'TSVIRT-UX-4');
    await unix.waitFor('TSVIRT-UNIX-15', 10_000);
    unix.stream.end();

    const second = new ConsoleReader(await openDomainConsole(conn, uuid, { force: true }));
    assert.is(await first.ended, 'end', 'the forced-out session ends normally');
    await second.run('echo TSVIRT-CON-$((7*8))', 'TSVIRT-CON-56');
    assert.not.ok(first.output.includes('TSVIRT-CON-56'));

    // A new daemon finds the guest with its pty path, and opens its console.
    await g.daemon().stop();
    await second.ended;
    await conn.close().catch(() => undefined);
    await g.restart();
    conn = await g.connect();
    assert.is(ptyOf(await getDomainXML(conn, uuid)).serial, pty.serial);
    const third = new ConsoleReader(await openDomainConsole(conn, uuid));
    await third.run('echo TSVIRT-CON-$((8*8))', 'TSVIRT-CON-64');

    const destroyed = Date.now();
    await destroyDomain(conn, uuid);
    assert.is(await third.ended, 'end', 'the stream ends with the guest');
    const endedAfter = Date.now() - destroyed;
    assert.is((await rejectionOf(openDomainConsole(conn, uuid))).message, 'domain is not running');

    process.stdout.write(
      `  guest ready ${readyAfter} ms after attach, command answered at ${commandAfter} ms, stream end ${endedAfter} ms after destroy\n`,
    );
  }));

test.run();
