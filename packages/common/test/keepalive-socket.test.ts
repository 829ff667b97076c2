/** Keepalive over a real socket: a client that goes silent is dropped within the configured bound. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adminListClients } from '../src/protocol/admin.js';
import { connectOpen } from '../src/protocol/connect.js';
import { makeTempRoot, removeTempRoot, waitFor } from '../src/testing/daemon-process.js';
import { encodeFrame } from '../src/wire/frame-decoder.js';
import { encodeMessage } from '../src/wire/messages.js';
import { openSession, rawSocket, socketPaths, startFixture } from './helpers.js';

test('a silent client is dropped after keepalive_interval * (keepalive_count + 1)', async () => {
  const root = makeTempRoot();
  const paths = socketPaths(root);
  mkdirSync(`${root}/etc`, { recursive: true });
  writeFileSync(paths.config, 'keepalive_interval = 1\nkeepalive_count = 1\nadmin_keepalive_interval = -1\n');
  const daemon = await startFixture(root);
  try {
    // A raw socket that completes the handshake and then never reads or answers a ping.
    const silent = await rawSocket(paths.rw);
    silent.write(
      encodeFrame(
        encodeMessage({
          type: 0,
          serial: 1,
          procedure: connectOpen.number,
          args: { clientVersion: 'x', protocolVersion: 1, features: [], readonly: false },
        }),
      ),
    );
    const admin = await openSession(paths.admin);
    const count = async () => (await admin.call(adminListClients, {})).clients.filter((c) => c.socket === 'rw').length;
    await waitFor(async () => (await count()) === 1, 2000, 'the silent client to be listed');
    const started = Date.now();
    await waitFor(async () => (await count()) === 0, 6000, 'the silent client to be dropped');
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1000 && elapsed < 4500, `dropped after ${elapsed} ms`);
    // The admin client, with keepalive off, is still there.
    assert.is((await admin.call(adminListClients, {})).clients.length, 1);
    assert.match(daemon.output(), /did not answer keepalives/);
    silent.destroy();
    admin.close();
  } finally {
    await daemon.stop();
    removeTempRoot(root);
  }
});

test.run();
