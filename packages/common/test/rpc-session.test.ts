/**
 * Client and server sessions over an in-memory duplex: ordering, concurrency, the
 * dispatcher's refusals derived from declarations, events, streams and keepalive.
 */
import { Type } from '@sinclair/typebox';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../src/errors/error-codes.js';
import { freezeResult } from '../src/wire/messages.js';
import { TransportError } from '../src/errors/transport-error.js';
import { PROTOCOL_VERSION, connectOpen } from '../src/protocol/connect.js';
import { defineEvent, defineProcedure } from '../src/protocol/procedure.js';
import { ClientSession } from '../src/rpc/client-session.js';
import { registerConnectProcedures } from '../src/server/connect-handlers.js';
import { EventBus } from '../src/server/event-bus.js';
import { ProcedureTable } from '../src/server/procedure-table.js';
import { RpcServer } from '../src/server/rpc-server.js';
import type { SocketKind } from '../src/protocol/daemons.js';
import { duplexPair } from '../src/testing/memory-duplex.js';
import { rejectionOf } from '../src/testing/expect-error.js';

const sleepProc = defineProcedure({
  name: 'test.sleep',
  number: 9001,
  since: '0.1.0',
  readonly: true,
  owner: 'virtqemud',
  access: 'test:read',
  summary: 'Replies with its argument after `ms` milliseconds.',
  args: Type.Object({ ms: Type.Integer({ minimum: 0 }), tag: Type.String() }, { additionalProperties: false }),
  result: Type.Object({ tag: Type.String() }),
});
const mutateProc = defineProcedure({
  name: 'test.mutate',
  number: 9002,
  since: '0.1.0',
  readonly: false,
  owner: 'virtqemud',
  access: 'test:write',
  summary: 'A mutating procedure.',
  args: Type.Object({}),
  result: Type.Object({ done: Type.Boolean() }),
});
const badResultProc = defineProcedure({
  name: 'test.badResult',
  number: 9003,
  since: '0.1.0',
  readonly: true,
  owner: 'virtqemud',
  access: 'test:read',
  summary: 'Returns something that breaks its own schema.',
  args: Type.Object({}),
  result: Type.Object({ count: Type.Integer() }),
});
const frozenProc = defineProcedure({
  name: 'test.frozen',
  number: 9005,
  since: '0.1.0',
  readonly: true,
  owner: 'virtqemud',
  access: 'test:read',
  summary: 'Hands out one of two kept, frozen answers: a good one, or one that breaks its schema.',
  args: Type.Object({ bad: Type.Boolean() }),
  result: Type.Object({ count: Type.Integer() }),
});
const echoStreamProc = defineProcedure({
  name: 'test.echoStream',
  number: 9004,
  since: '0.1.0',
  readonly: true,
  owner: 'virtqemud',
  access: 'test:read',
  summary: 'Echoes every byte of its stream back, then finishes.',
  stream: 'both',
  args: Type.Object({}),
  result: Type.Object({}),
});
const tickEvent = defineEvent({
  name: 'test.tick',
  number: 9100,
  since: '0.1.0',
  owner: 'virtqemud',
  summary: 'A counter.',
  data: Type.Object({ n: Type.Integer() }),
});

const quiet = pino({ level: 'silent' });

function makeServer(keepaliveMs = 0): {
  server: RpcServer;
  bus: EventBus;
  connect: (kind?: SocketKind, clientKeepaliveMs?: number) => ClientSession;
} {
  const table = new ProcedureTable('main');
  registerConnectProcedures(
    table,
    {
      daemonName: 'virtqemud',
      uri: 'qemu:///session',
      features: () => ['keepalive'],
      hypervisor: async () => ({ type: 'QEMU', version: 7002000 }),
      maxFrameSize: () => 1 << 20,
      keepaliveIntervalSeconds: () => 0,
      ownsEvent: (n) => n === tickEvent.number,
    },
    { admin: false },
  );
  table.register(sleepProc, async ({ ms, tag }) => {
    await sleep(ms);
    return { tag };
  });
  table.register(mutateProc, () => ({ done: true }));
  table.register(badResultProc, () => ({ count: 'many' }) as unknown as { count: number });
  table.register(frozenProc, ({ bad }) => (bad ? frozenBad : frozenGood));
  table.register(echoStreamProc, (_args, { stream }) => {
    stream!.pipe(stream!);
    return {};
  });
  const server = new RpcServer({
    daemonName: 'virtqemud',
    mainTable: table,
    adminTable: new ProcedureTable('admin'),
    channelOptions: () => ({ maxFrameSize: 1 << 20, keepalive: { intervalMs: keepaliveMs, count: 2 } }),
    maxClients: () => 100,
    log: quiet,
  });
  const connect = (kind: SocketKind = 'rw', clientKeepaliveMs = 0): ClientSession => {
    const [a, b] = duplexPair();
    server.accept(b, kind);
    return new ClientSession(a, { keepalive: { intervalMs: clientKeepaliveMs, count: 2 } });
  };
  return { server, bus: new EventBus(server), connect };
}

async function handshake(session: ClientSession, readonly = false) {
  return session.call(connectOpen, {
    clientVersion: 'test',
    protocolVersion: PROTOCOL_VERSION,
    features: [],
    readonly,
  });
}

test('replies come back out of order, each to its own call', async () => {
  const { connect } = makeServer();
  const session = connect();
  await handshake(session);
  const finished: string[] = [];
  const calls = [30, 10, 20, 0].map((ms) =>
    session.call(sleepProc, { ms, tag: `t${ms}` }).then((r) => {
      finished.push(r.tag);
      return r.tag;
    }),
  );
  assert.equal(await Promise.all(calls), ['t30', 't10', 't20', 't0']);
  assert.equal(finished, ['t0', 't10', 't20', 't30']);
  session.close();
});

test('a thousand calls in flight on one connection', async () => {
  const { connect } = makeServer();
  const session = connect();
  await handshake(session);
  const tags = await Promise.all(
    Array.from({ length: 1000 }, (_, i) => session.call(sleepProc, { ms: 0, tag: String(i) })),
  );
  assert.equal(
    tags.map((t) => Number(t.tag)),
    Array.from({ length: 1000 }, (_, i) => i),
  );
  session.close();
});

test('no call is served before connect.open', async () => {
  const { connect } = makeServer();
  const session = connect();
  const err = await rejectionOf(session.call(sleepProc, { ms: 0, tag: 'x' }));
  assert.is(err.code, ErrorCode.RPC);
  assert.match(err.message, /test\.sleep called before connect\.open/);
  session.close();
});

test('an unknown procedure gets a typed error naming it', async () => {
  const { connect } = makeServer();
  const session = connect();
  await handshake(session);
  const ghost = { ...sleepProc, number: 4242, name: 'ghost.call' };
  const err = await rejectionOf(session.call(ghost, { ms: 0, tag: '' }));
  assert.is(err.code, ErrorCode.RPC);
  assert.match(err.message, /unknown procedure 4242/);
  session.close();
});

for (const [what, args, pattern] of [
  ['a wrong type', { ms: 'soon', tag: 'x' }, /invalid argument for test\.sleep: \/ms must be integer/],
  ['a missing property', { ms: 1 }, /invalid argument for test\.sleep: \/ must have required property 'tag'/],
  [
    'an unknown property',
    { ms: 1, tag: 'x', extra: 1 },
    /invalid argument for test\.sleep: \/ has unknown property 'extra'/,
  ],
  ['a value out of range', { ms: -1, tag: 'x' }, /invalid argument for test\.sleep: \/ms must be >= 0/],
  ['not an object', [1, 2], /invalid argument for test\.sleep: \/ must be object/],
] as const) {
  test(`args with ${what} are refused, naming the procedure and path`, async () => {
    const { connect } = makeServer();
    const session = connect();
    await handshake(session);
    const err = await rejectionOf(session.call(sleepProc, args as never));
    assert.is(err.code, ErrorCode.INVALID_ARG);
    assert.match(err.message, pattern);
    session.close();
  });
}

test('the read-only socket refuses a mutating procedure, from its declaration', async () => {
  const { connect } = makeServer();
  const session = connect('ro');
  const opened = await handshake(session, false);
  assert.is(opened.readonly, true, 'the ro socket forces read-only');
  assert.equal(await session.call(sleepProc, { ms: 0, tag: 'r' }), { tag: 'r' });
  const err = await rejectionOf(session.call(mutateProc, {}));
  assert.is(err.code, ErrorCode.OPERATION_DENIED);
  assert.match(err.message, /read only access prevents test\.mutate/);
  session.close();
});

test('a read-write socket client that asks for read-only gets it', async () => {
  const { connect } = makeServer();
  const session = connect('rw');
  assert.is((await handshake(session, true)).readonly, true);
  assert.is((await rejectionOf(session.call(mutateProc, {}))).code, ErrorCode.OPERATION_DENIED);
  session.close();
});

test('a read-write client may mutate', async () => {
  const { connect } = makeServer();
  const session = connect('rw');
  await handshake(session);
  assert.equal(await session.call(mutateProc, {}), { done: true });
  session.close();
});

test('a handler result that breaks its schema becomes an internal error, not bad data', async () => {
  const { connect } = makeServer();
  const session = connect();
  await handshake(session);
  const err = await rejectionOf(session.call(badResultProc, {}));
  assert.is(err.code, ErrorCode.INTERNAL_ERROR);
  assert.match(err.message, /test\.badResult produced a result that breaks its schema: \/count must be integer/);
  session.close();
});

const frozenGood = freezeResult({ count: 7 });
const frozenBad = freezeResult({ count: 'many' }) as unknown as { count: number };

test('a kept, frozen answer is served again and again; one that breaks its schema is refused every time', async () => {
  const { connect } = makeServer();
  const session = connect();
  await handshake(session);
  for (let i = 0; i < 3; i++) {
    assert.equal(await session.call(frozenProc, { bad: false }), { count: 7 });
    const err = await rejectionOf(session.call(frozenProc, { bad: true }));
    assert.is(err.code, ErrorCode.INTERNAL_ERROR);
  }
  session.close();
});

test('events reach every subscriber in emission order', async () => {
  const { connect, bus } = makeServer();
  const sessions = [connect(), connect(), connect()];
  const seen: number[][] = sessions.map(() => []);
  await Promise.all(
    sessions.map(async (session, i) => {
      await handshake(session);
      const { callbackId } = await session.call((await import('../src/protocol/connect.js')).connectEventRegister, {
        event: tickEvent.number,
      });
      session.onEvent(callbackId, (_event, data) => seen[i]!.push((data as { n: number }).n));
    }),
  );
  for (let n = 0; n < 500; n++) bus.emit(tickEvent, { n });
  await sleep(20);
  const expected = Array.from({ length: 500 }, (_, n) => n);
  for (const got of seen) assert.equal(got, expected);
  sessions.forEach((s) => s.close());
});

test('subscribing to an event the daemon does not emit is refused', async () => {
  const { connect } = makeServer();
  const session = connect();
  await handshake(session);
  const { connectEventRegister } = await import('../src/protocol/connect.js');
  const err = await rejectionOf(session.call(connectEventRegister, { event: 12345 }));
  assert.is(err.code, ErrorCode.INVALID_ARG);
  session.close();
});

test('a stream carries 5 MiB both ways with the bytes intact', async () => {
  const { connect } = makeServer();
  const session = connect();
  await handshake(session);
  const { stream } = await session.callWithStream(echoStreamProc, {});
  const payload = Buffer.alloc(5 * 1024 * 1024);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
  const received: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => received.push(chunk));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  stream.end(payload);
  await done;
  assert.ok(Buffer.concat(received).equals(payload));
  session.close();
});

test('a slow stream reader pauses the sender instead of buffering without bound', async () => {
  const { connect } = makeServer();
  const session = connect();
  await handshake(session);
  const { stream } = await session.callWithStream(echoStreamProc, {});
  let total = 0;
  const sink = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, callback) {
      total += chunk.length;
      setTimeout(callback, 1);
    },
  });
  const finished = new Promise((resolve) => sink.on('finish', resolve));
  stream.pipe(sink);
  const chunk = Buffer.alloc(256 * 1024, 1);
  for (let i = 0; i < 16; i++) if (!stream.write(chunk)) await new Promise((r) => stream.once('drain', r));
  stream.end();
  await finished;
  assert.is(total, 16 * chunk.length);
  session.close();
});

test('a peer that stops answering keepalives is dropped', async () => {
  const { server, connect } = makeServer(50);
  const session = connect('rw', 0);
  await handshake(session);
  assert.is(server.clientCount, 1);
  // Silence the client: it neither sends nor answers pings from now on.
  session.channel.stream.pause();
  session.channel.stream.removeAllListeners('data');
  const closed = new Promise<TransportError | undefined>((resolve) => session.onClose(resolve));
  const started = Date.now();
  while (server.clientCount > 0 && Date.now() - started < 2000) await sleep(10);
  assert.is(server.clientCount, 0, 'the server dropped the silent client');
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 100 && elapsed < 1000, `dropped after ${elapsed} ms`);
  await closed;
});

test('a live but idle client is kept: pings are answered', async () => {
  const { server, connect } = makeServer(30);
  const session = connect('rw', 0);
  await handshake(session);
  await sleep(300);
  assert.is(server.clientCount, 1);
  assert.equal(await session.call(sleepProc, { ms: 0, tag: 'alive' }), { tag: 'alive' });
  session.close();
});

test('the client drops a daemon that stops answering', async () => {
  const { server, connect } = makeServer();
  const session = connect('rw', 40);
  await handshake(session);
  // Silence the daemon's end: it stops reading, so pings go unanswered.
  const daemonEnd = server.clientList[0]!.channel.stream;
  daemonEnd.pause();
  daemonEnd.removeAllListeners('data');
  // In-memory duplexes hold no handle open, so keep the loop alive as a socket would.
  const hold = setTimeout(() => {}, 5000);
  try {
    await session.call(sleepProc, { ms: 0, tag: 'never' });
    assert.unreachable('the call should fail');
  } catch (err) {
    assert.instance(err, TransportError);
    assert.is((err as TransportError).kind, 'timeout');
  } finally {
    clearTimeout(hold);
  }
});

test.run();
