/** The QMP connection against a scripted fake QEMU: handshake, replies, errors, events, framing, and every way it ends. */
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import { makeTempRoot, rejectionOf, removeTempRoot } from '@tsvirt/common/testing';
import {
  QmpCommandError,
  QmpConnection,
  connectUnix,
  type QmpAnyEvent,
  type QmpConnectOptions,
} from '../../src/qemu/monitor/index.js';
import { FakeMonitor, type FakeMonitorOptions } from './fake-monitor.js';

async function connected(
  options: FakeMonitorOptions = {},
  connectOptions: QmpConnectOptions = {},
): Promise<{ fake: FakeMonitor; qmp: QmpConnection }> {
  const { fake, client } = FakeMonitor.pair(options);
  const qmp = await QmpConnection.connect(client, connectOptions);
  return { fake, qmp };
}

function collectEvents(qmp: QmpConnection): QmpAnyEvent[] {
  const events: QmpAnyEvent[] = [];
  qmp.on('event', (event) => events.push(event));
  return events;
}

test('handshake: reads the greeting, negotiates capabilities first, reports the version', async () => {
  const { fake, qmp } = await connected();
  assert.equal(qmp.version, { major: 7, minor: 2, micro: 22, package: 'Debian 1:7.2+dfsg-7+deb12u18+b3' });
  assert.equal(qmp.capabilities, ['oob']);
  assert.equal(fake.commands, ['qmp_capabilities']);
  assert.is(fake.received[0]!.arguments, undefined, 'no capabilities are enabled');
  assert.is(qmp.isClosed, false);
  qmp.close();
});

test('a command resolves with its return value and carries a fresh numeric id', async () => {
  const { fake, qmp } = await connected({
    script: { 'query-kvm': { return: { enabled: false, present: true } }, cont: { return: {} } },
  });
  assert.equal(await qmp.execute('query-kvm'), { enabled: false, present: true });
  assert.equal(await qmp.execute('cont'), {});
  const ids = fake.received.map((c) => c.id);
  assert.ok(ids.every((id) => typeof id === 'number'));
  assert.is(new Set(ids).size, ids.length);
  qmp.close();
});

test('arguments are sent under "arguments"', async () => {
  const { fake, qmp } = await connected({ script: { balloon: { return: {} } } });
  await qmp.execute('balloon', { value: 33554432 });
  assert.equal(fake.received[1]!.arguments, { value: 33554432 });
  qmp.close();
});

test("QEMU's error becomes a VirError naming the command and QEMU's desc", async () => {
  const { qmp } = await connected({
    script: { cont: { error: { class: 'GenericError', desc: "Parameter 'bogus' is unexpected" } } },
  });
  const err = await rejectionOf(qmp.execute('cont', { bogus: 1 }));
  assert.instance(err, QmpCommandError);
  assert.is(err.code, ErrorCode.OPERATION_FAILED);
  assert.is(err.domain, ErrorDomain.QEMU);
  assert.is(err.message, "QEMU command 'cont' failed: Parameter 'bogus' is unexpected");
  assert.is((err as QmpCommandError).errorClass, 'GenericError');
  assert.is((err as QmpCommandError).command, 'cont');
  // The connection survives a failed command.
  assert.is(qmp.isClosed, false);
  const missing = await rejectionOf(qmp.execute('nonexistent'));
  assert.is((missing as QmpCommandError).errorClass, 'CommandNotFound');
  qmp.close();
});

test('pipelined commands are matched to their replies by id, whatever the order of the replies', async () => {
  const { qmp } = await connected({
    script: {
      slow: { return: 'slow', delayMs: 40 },
      fast: { return: 'fast' },
    },
  });
  const [slow, fast] = await Promise.all([qmp.execute('slow'), qmp.execute('fast')]);
  assert.is(slow, 'slow');
  assert.is(fast, 'fast');
  qmp.close();
});

test('events in the same chunk as a reply, before and after it, are all delivered', async () => {
  const { qmp } = await connected({
    script: {
      system_reset: {
        return: {},
        eventsBefore: [{ event: 'RESET', data: { guest: false, reason: 'host-qmp-system-reset' } }],
        eventsAfter: [{ event: 'STOP' }, { event: 'VSERPORT_CHANGE', data: { id: 'x', open: true } }],
      },
    },
  });
  const events = collectEvents(qmp);
  const resets: unknown[] = [];
  qmp.onEvent('RESET', (event) => resets.push(event.data.reason));
  assert.equal(await qmp.execute('system_reset'), {});
  await sleep(0);
  assert.equal(
    events.map((e) => e.event),
    ['RESET', 'STOP', 'VSERPORT_CHANGE'],
  );
  assert.equal(resets, ['host-qmp-system-reset']);
  assert.equal(events[1]!.data, {}, 'an event without data gets {}');
  assert.ok(events[0]!.timestamp.seconds > 0);
  assert.is(events[0]!.timestamp.microseconds, 495_696);
  qmp.close();
});

for (const chunkSize of [7, 1]) {
  test(`everything works when QEMU's output arrives ${chunkSize === 1 ? 'one byte at a time' : `in ${chunkSize}-byte pieces`}`, async () => {
    const { fake, qmp } = await connected({
      chunkSize,
      script: {
        cont: { return: {}, eventsBefore: [{ event: 'RESUME' }] },
        stop: { return: {}, eventsBefore: [{ event: 'STOP' }] },
        // A multi-byte character split across chunks must survive.
        'query-name': { return: { name: 'café ☕' } },
        bad: { error: { class: 'GenericError', desc: 'nöpe' } },
      },
    });
    const events = collectEvents(qmp);
    assert.equal(qmp.version.major, 7);
    const results = await Promise.all([qmp.execute('cont'), qmp.execute('query-name'), qmp.execute('stop')]);
    assert.equal(results, [{}, { name: 'café ☕' }, {}]);
    assert.is((await rejectionOf(qmp.execute('bad'))).message, "QEMU command 'bad' failed: nöpe");
    fake.sendEvent('SHUTDOWN', { guest: true, reason: 'guest-shutdown' });
    await sleep(5);
    assert.equal(
      events.map((e) => e.event),
      ['RESUME', 'STOP', 'SHUTDOWN'],
    );
    assert.equal(events[2]!.data, { guest: true, reason: 'guest-shutdown' });
    qmp.close();
  });
}

test('CRLF, LF and blank lines all separate messages', async () => {
  const { fake, client } = FakeMonitor.pair({ greeting: false });
  const connecting = QmpConnection.connect(client);
  fake.sendRaw(
    `\r\n${JSON.stringify({ QMP: { version: { qemu: { major: 8, minor: 1, micro: 0 } }, capabilities: [] } })}\n\n`,
  );
  const qmp = await connecting;
  assert.equal(qmp.version, { major: 8, minor: 1, micro: 0, package: '' });
  qmp.close();
});

test('events arriving together with the capabilities reply reach listeners attached right after connect', async () => {
  const { client } = FakeMonitor.pair({
    script: { qmp_capabilities: { return: {}, eventsAfter: [{ event: 'RESUME' }] } },
  });
  const qmp = await QmpConnection.connect(client);
  const events = collectEvents(qmp);
  await sleep(5);
  assert.equal(
    events.map((e) => e.event),
    ['RESUME'],
  );
  qmp.close();
});

test('waitForEvent resolves with the matching event and times out otherwise', async () => {
  const { fake, qmp } = await connected();
  const waiting = qmp.waitForEvent('SHUTDOWN', { timeoutMs: 1000, match: (e) => e.data.reason === 'host-signal' });
  fake.sendEvent('SHUTDOWN', { guest: false, reason: 'guest-shutdown' });
  fake.sendEvent('SHUTDOWN', { guest: false, reason: 'host-signal' });
  const event = await waiting;
  assert.is(event.data.reason, 'host-signal');
  const err = await rejectionOf(qmp.waitForEvent('STOP', { timeoutMs: 20 }));
  assert.is(err.code, ErrorCode.OPERATION_TIMEOUT);
  qmp.close();
});

test('a throwing event listener does not break the connection', async () => {
  const warnings: string[] = [];
  const log = { debug: () => undefined, warn: (_: object, msg: string) => warnings.push(msg) };
  const { qmp } = await connected({ script: { cont: { return: {}, eventsBefore: [{ event: 'RESUME' }] } } }, { log });
  qmp.on('event', () => {
    throw new Error('listener bug');
  });
  assert.equal(await qmp.execute('cont'), {});
  assert.equal(warnings, ['QMP event listener threw']);
  assert.is(qmp.isClosed, false);
  qmp.close();
});

test('EOF rejects pending commands, resolves `closed` with reason eof, and emits close once', async () => {
  const { fake, qmp } = await connected({ script: { 'query-status': { noReply: true } } });
  const closes: unknown[] = [];
  qmp.on('close', (info) => closes.push(info));
  const pending = qmp.execute('query-status');
  await sleep(5);
  fake.close();
  const err = await rejectionOf(pending);
  assert.is(err.code, ErrorCode.OPERATION_FAILED);
  assert.is(err.domain, ErrorDomain.QEMU);
  assert.is(err.message, "QEMU monitor closed while running 'query-status'");
  assert.equal(await qmp.closed, { reason: 'eof' });
  assert.equal(qmp.closeInfo, { reason: 'eof' });
  await sleep(5);
  assert.equal(closes, [{ reason: 'eof' }]);
  const after = await rejectionOf(qmp.execute('cont'));
  assert.is(after.code, ErrorCode.OPERATION_FAILED);
  assert.match(after.message, "QEMU monitor is closed, cannot run 'cont'");
});

test('a connection reset by QEMU counts as EOF; any other stream error is an error', async () => {
  const reset = FakeMonitor.pair({ script: { hang: { noReply: true } } });
  const qmp = await QmpConnection.connect(reset.client);
  const pending = qmp.execute('hang');
  reset.client.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
  assert.is((await rejectionOf(pending)).message, "QEMU monitor closed while running 'hang'");
  assert.equal(await qmp.closed, { reason: 'eof' });

  const broken = FakeMonitor.pair();
  const other = await QmpConnection.connect(broken.client);
  broken.client.destroy(Object.assign(new Error('read EIO'), { code: 'EIO' }));
  const info = await other.closed;
  assert.is(info.reason, 'error');
  assert.is(info.error!.code, ErrorCode.OPERATION_FAILED);
  assert.is(info.error!.message, 'QEMU monitor connection failed: read EIO');
});

test('QEMU closing instead of answering (dying mid-command) rejects that command', async () => {
  const { qmp } = await connected({ script: { quit: { close: true } } });
  const err = await rejectionOf(qmp.execute('quit'));
  assert.is(err.message, "QEMU monitor closed while running 'quit'");
  assert.is((await qmp.closed).reason, 'eof');
});

test('an event just before EOF is still delivered, and before the close notification', async () => {
  const { fake, qmp } = await connected();
  const seen: string[] = [];
  qmp.on('event', (e) => seen.push(e.event));
  qmp.on('close', (info) => seen.push(`close:${info.reason}`));
  fake.sendEvent('SHUTDOWN', { guest: false, reason: 'host-qmp-quit' });
  fake.close();
  await qmp.closed;
  await sleep(5);
  assert.equal(seen, ['SHUTDOWN', 'close:eof']);
});

test('a command that gets no reply times out with OPERATION_TIMEOUT, and its late reply is dropped', async () => {
  const { qmp } = await connected({
    script: {
      'query-status': { return: { status: 'late' }, delayMs: 60 },
      cont: { return: 'cont-result', delayMs: 80 },
    },
  });
  const err = await rejectionOf(qmp.execute('query-status', undefined, { timeoutMs: 20 }));
  assert.is(err.code, ErrorCode.OPERATION_TIMEOUT);
  assert.is(err.domain, ErrorDomain.QEMU);
  assert.is(err.message, "QEMU command 'query-status' timed out after 20 ms");
  // The late reply to query-status arrives while cont waits; cont must get its own.
  assert.is(await qmp.execute('cont'), 'cont-result');
  assert.is(qmp.isClosed, false);
  qmp.close();
});

test('the default command timeout applies when a call gives none', async () => {
  const { qmp } = await connected({ script: { hang: { noReply: true } } }, { commandTimeoutMs: 20 });
  assert.is((await rejectionOf(qmp.execute('hang'))).code, ErrorCode.OPERATION_TIMEOUT);
  qmp.close();
});

test('invalid JSON closes the connection with a clear error and fails pending commands', async () => {
  const { fake, qmp } = await connected({ script: { 'query-status': { noReply: true } } });
  const pending = qmp.execute('query-status');
  await sleep(5);
  fake.sendRaw('{"return": {}, "id": 1\r\nthis is not json\r\n');
  const err = await rejectionOf(pending);
  assert.match(err.message, /^QEMU monitor closed while running 'query-status': QEMU monitor sent invalid JSON/);
  const info = await qmp.closed;
  assert.is(info.reason, 'error');
  assert.instance(info.error, VirError);
  assert.is(info.error!.code, ErrorCode.INTERNAL_ERROR);
  assert.is(info.error!.domain, ErrorDomain.QEMU);
  assert.match(info.error!.message, 'invalid JSON');
});

test('a JSON value that is not an object closes the connection', async () => {
  const { fake, qmp } = await connected();
  fake.sendRaw('[1, 2]\r\n');
  const info = await qmp.closed;
  assert.is(info.reason, 'error');
  assert.match(info.error!.message, 'not a JSON object');
});

test('an oversized line closes the connection, whether it ends in the same chunk or never ends', async () => {
  const complete = await connected({}, { maxLineBytes: 1024 });
  complete.fake.sendRaw(`{"event": "X", "data": {"pad": "${'a'.repeat(2000)}"}}\r\n`);
  const info = await complete.qmp.closed;
  assert.is(info.reason, 'error');
  assert.is(info.error!.message, 'QEMU monitor sent a message longer than 1024 bytes');

  const unterminated = await connected(
    { chunkSize: 100, script: { 'query-status': { noReply: true } } },
    { maxLineBytes: 1024 },
  );
  const pending = unterminated.qmp.execute('query-status');
  unterminated.fake.sendRaw('x'.repeat(1100));
  assert.match((await rejectionOf(pending)).message, 'longer than 1024 bytes');
  assert.is((await unterminated.qmp.closed).reason, 'error');
});

test('the default line limit is 16 MiB: a 1 MiB reply passes', async () => {
  const big = 'b'.repeat(1024 * 1024);
  const { qmp } = await connected({ script: { big: { return: big } } });
  assert.is(await qmp.execute('big'), big);
  qmp.close();
});

test('unknown message kinds are ignored with a warning', async () => {
  const warnings: string[] = [];
  const log = { debug: () => undefined, warn: (_: object, msg: string) => warnings.push(msg) };
  const { fake, qmp } = await connected({ script: { cont: { return: {} } } }, { log });
  fake.sendRaw('{"something-new": 1}\r\n');
  assert.equal(await qmp.execute('cont'), {});
  assert.equal(warnings, ['unrecognised QMP message ignored']);
  qmp.close();
});

test('close() from our side rejects pending commands and reports reason local', async () => {
  const { qmp } = await connected({ script: { hang: { noReply: true } } });
  const pending = qmp.execute('hang');
  qmp.close();
  assert.is((await rejectionOf(pending)).message, "QEMU monitor closed while running 'hang'");
  assert.equal(await qmp.closed, { reason: 'local' });
});

test('handshake: EOF before the greeting fails connect', async () => {
  const { fake, client } = FakeMonitor.pair({ greeting: false });
  const connecting = QmpConnection.connect(client);
  fake.close();
  const err = await rejectionOf(connecting);
  assert.is(err.code, ErrorCode.OPERATION_FAILED);
  assert.is(err.message, 'QEMU monitor closed before its greeting');
});

test('handshake: no greeting times out', async () => {
  const { client } = FakeMonitor.pair({ greeting: false });
  const err = await rejectionOf(QmpConnection.connect(client, { handshakeTimeoutMs: 30 }));
  assert.is(err.code, ErrorCode.OPERATION_TIMEOUT);
  assert.is(err.message, 'no QMP greeting from QEMU within 30 ms');
  assert.ok(client.destroyed, 'the stream is closed after a failed handshake');
});

test('handshake: anything but a greeting first is a protocol error', async () => {
  const { client } = FakeMonitor.pair({ greeting: '{"return": {}}\r\n' });
  const err = await rejectionOf(QmpConnection.connect(client));
  assert.is(err.code, ErrorCode.INTERNAL_ERROR);
  assert.match(err.message, 'did not start with a QMP greeting');
});

test('handshake: a refused qmp_capabilities fails connect with QEMU’s reason', async () => {
  const { client } = FakeMonitor.pair({
    script: {
      qmp_capabilities: { error: { class: 'GenericError', desc: 'Capabilities negotiation is already complete' } },
    },
  });
  const err = await rejectionOf(QmpConnection.connect(client));
  assert.is(err.message, "QEMU command 'qmp_capabilities' failed: Capabilities negotiation is already complete");
});

/** A unix-socket server whose every connection is served by a FakeMonitor. */
function fakeQemuServer(
  path: string,
  options: FakeMonitorOptions = {},
): Promise<{ server: Server; fakes: FakeMonitor[] }> {
  const fakes: FakeMonitor[] = [];
  const server = createServer((socket) => fakes.push(new FakeMonitor(socket, options)));
  return new Promise((resolve) => server.listen(path, () => resolve({ server, fakes })));
}

test('connectUnix retries until the socket appears, then EOF is seen when the server side closes', async () => {
  const root = makeTempRoot();
  const path = join(root, 'qmp.sock');
  let server: Server | undefined;
  try {
    const started = fakeQemuServer(path, {
      script: { 'query-status': { return: { status: 'prelaunch', running: false } } },
    });
    // Listen only after the client has started retrying.
    const connecting = connectUnix(path, { timeoutMs: 5000 });
    await sleep(150);
    const { server: listening, fakes } = await started;
    server = listening;
    const qmp = await connecting;
    assert.equal(await qmp.execute('query-status'), { status: 'prelaunch', running: false });
    fakes[0]!.close();
    assert.equal(await qmp.closed, { reason: 'eof' });
  } finally {
    server?.close();
    removeTempRoot(root);
  }
});

test('connectUnix gives up with OPERATION_TIMEOUT when the socket never appears', async () => {
  const root = makeTempRoot();
  try {
    const started = Date.now();
    const err = await rejectionOf(connectUnix(join(root, 'missing.sock'), { timeoutMs: 100 }));
    assert.is(err.code, ErrorCode.OPERATION_TIMEOUT);
    assert.match(err.message, /did not accept connections within 100 ms \(ENOENT\)/);
    assert.ok(Date.now() - started < 1000);
  } finally {
    removeTempRoot(root);
  }
});

test('connectUnix stops retrying as soon as retryUntil says QEMU is gone', async () => {
  const root = makeTempRoot();
  try {
    const started = Date.now();
    const qemuExited = sleep(50);
    const err = await rejectionOf(
      connectUnix(join(root, 'missing.sock'), { timeoutMs: 10_000, retryUntil: qemuExited }),
    );
    assert.is(err.code, ErrorCode.OPERATION_FAILED);
    assert.match(err.message, 'gave up connecting');
    assert.ok(Date.now() - started < 1000, 'well before the timeout');

    let alive = true;
    setTimeout(() => (alive = false), 30);
    const byFunction = await rejectionOf(
      connectUnix(join(root, 'missing.sock'), { timeoutMs: 10_000, retryUntil: () => !alive }),
    );
    assert.match(byFunction.message, 'gave up connecting');
  } finally {
    removeTempRoot(root);
  }
});

test('connectUnix does not retry errors other than a missing or refusing socket', async () => {
  const err = await rejectionOf(connectUnix('/proc/version/qmp.sock', { timeoutMs: 5000 }));
  assert.is(err.code, ErrorCode.OPERATION_FAILED);
  assert.match(err.message, "cannot connect to QEMU monitor socket '/proc/version/qmp.sock': connect ENOTDIR");
});

test.run();
