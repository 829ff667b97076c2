/**
 * Garbage on a socket: thousands of random, truncated and oversized frames and random
 * msgpack, on many connections, while a well-behaved client keeps calling. Each bad
 * connection may be closed; the daemon and every other client must carry on.
 */
import { Packr } from 'msgpackr';
import type { Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PROTOCOL_VERSION } from '../src/protocol/connect.js';
import { adminListClients } from '../src/protocol/admin.js';
import { connectGetURI } from '../src/protocol/connect.js';
import { makeTempRoot, removeTempRoot, waitFor } from '../src/testing/daemon-process.js';
import { encodeFrame } from '../src/wire/frame-decoder.js';
import { openSession, rawSocket, socketPaths, startFixture } from './helpers.js';

/** Deterministic, so a failure can be replayed: mulberry32. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(20261123);
const int = (n: number): number => Math.floor(random() * n);
const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));
const packr = new Packr({ useRecords: false });

function randomValue(depth = 0): unknown {
  switch (int(depth > 2 ? 6 : 9)) {
    case 0:
      return int(2 ** 32) - 2 ** 31;
    case 1:
      return random() * 1e9;
    case 2:
      return bytes(int(8)).toString('latin1');
    case 3:
      return null;
    case 4:
      return random() < 0.5;
    case 5:
      return bytes(int(16));
    case 6:
      return Array.from({ length: int(5) }, () => randomValue(depth + 1));
    case 7:
      return Object.fromEntries(
        Array.from({ length: int(5) }, () => [bytes(3).toString('hex'), randomValue(depth + 1)]),
      );
    default:
      return [int(10), int(1000), int(2000), randomValue(depth + 1)];
  }
}

const handshakeFrame = encodeFrame(
  packr.pack([0, 1, 1, { clientVersion: 'fuzz', protocolVersion: PROTOCOL_VERSION, features: [], readonly: false }]),
);

/** One hostile payload; some start with a valid handshake so the dispatcher is exercised too. */
function hostilePayload(): Buffer {
  const prefix = random() < 0.3 ? handshakeFrame : Buffer.alloc(0);
  let body: Buffer;
  switch (int(7)) {
    case 0: // raw noise
      return Buffer.concat([prefix, bytes(1 + int(64))]);
    case 1: // a frame of noise
      return Buffer.concat([prefix, encodeFrame(bytes(int(64)))]);
    case 2: // a frame of random msgpack
      return Buffer.concat([prefix, encodeFrame(packr.pack(randomValue()))]);
    case 3: // a call to a random procedure with random args
      body = packr.pack([0, int(1000), int(12), randomValue()]);
      return Buffer.concat([prefix, encodeFrame(body)]);
    case 4: {
      // a valid frame cut short
      const frame = encodeFrame(packr.pack([0, 2, 3, {}]));
      return Buffer.concat([prefix, frame.subarray(0, 1 + int(frame.length - 1))]);
    }
    case 5: {
      // a length far over the limit
      const header = Buffer.alloc(4);
      header.writeUInt32BE(0x7fffffff - int(1000));
      return Buffer.concat([prefix, header, bytes(int(32))]);
    }
    default: // messages a client may not send
      return Buffer.concat([prefix, encodeFrame(packr.pack([int(2) ? 1 : 3, int(100), randomValue()]))]);
  }
}

async function sendAndClose(path: string, payload: Buffer): Promise<void> {
  let socket: Socket;
  try {
    socket = await rawSocket(path);
  } catch {
    return;
  }
  await new Promise<void>((resolve) => {
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    socket.on('data', () => {});
    socket.write(payload);
    setTimeout(() => socket.destroy(), 5 + int(20));
  });
}

test('3000 hostile connections do not disturb the daemon or a well-behaved client', async () => {
  const root = makeTempRoot();
  const daemon = await startFixture(root);
  try {
    const paths = socketPaths(root);
    const steady = await openSession(paths.rw);
    let steadyCalls = 0;
    let fuzzing = true;
    const steadyLoop = (async () => {
      while (fuzzing) {
        assert.equal(await steady.call(connectGetURI, {}), { uri: 'secret:///session' });
        steadyCalls++;
      }
    })();
    const sockets = [paths.rw, paths.ro, paths.admin];
    for (let batch = 0; batch < 60; batch++) {
      await Promise.all(Array.from({ length: 50 }, () => sendAndClose(sockets[int(3)]!, hostilePayload())));
    }
    fuzzing = false;
    await steadyLoop;
    assert.ok(steadyCalls > 100, `the steady client was served throughout (${steadyCalls} calls)`);
    assert.is(daemon.child.exitCode, null, 'the daemon is alive');

    const fresh = await openSession(paths.ro);
    assert.equal(await fresh.call(connectGetURI, {}), { uri: 'secret:///session' });
    const admin = await openSession(paths.admin);
    // Only the steady client, the fresh one and the admin one remain: nothing leaked.
    await waitFor(
      async () => (await admin.call(adminListClients, {})).clients.length === 3,
      5000,
      'hostile clients to be gone',
    );
    assert.match(daemon.output(), /frame-too-large|protocol/);
    [steady, fresh, admin].forEach((s) => s.close());
  } finally {
    await daemon.stop();
    removeTempRoot(root);
  }
});

test('an oversized frame closes that connection only, with a log line', async () => {
  const root = makeTempRoot();
  const daemon = await startFixture(root);
  try {
    const paths = socketPaths(root);
    const bystander = await openSession(paths.rw);
    const victim = await openSession(paths.rw);
    const closed = new Promise((resolve) => victim.onClose(resolve));
    const header = Buffer.alloc(4);
    header.writeUInt32BE(33 * 1024 * 1024);
    victim.channel.stream.write(header);
    await closed;
    await waitFor(() => /exceeds the limit of 33554432 bytes/.test(daemon.output()), 3000, 'the log line');
    assert.equal(await bystander.call(connectGetURI, {}), { uri: 'secret:///session' });
    bystander.close();
  } finally {
    await daemon.stop();
    removeTempRoot(root);
  }
});

test.run();
