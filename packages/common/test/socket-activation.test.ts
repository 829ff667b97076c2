/**
 * systemd socket activation, through systemd's own `systemd-socket-activate`: the
 * daemon adopts the sockets it is given (by name), creates the rest, serves the
 * connection that woke it, and leaves systemd's socket files alone when it exits.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kindFromFdName, takeActivatedSockets } from '../src/daemon/socket-activation.js';
import { adminGetServerInfo } from '../src/protocol/admin.js';
import { connectGetURI, connectGetVersion } from '../src/protocol/connect.js';
import { makeTempRoot, removeTempRoot, spawnDaemon, waitFor } from '../src/testing/daemon-process.js';
import { FIXTURE_DAEMON, openSession, socketPaths } from './helpers.js';

test('fd names map to socket kinds', () => {
  assert.is(kindFromFdName('virtqemud-sock'), 'rw');
  assert.is(kindFromFdName('virtqemud-sock-ro'), 'ro');
  assert.is(kindFromFdName('virtqemud-admin-sock'), 'admin');
  assert.is(kindFromFdName('something-else'), undefined);
});

test('activation variables are honoured only for our pid, and cleared either way', () => {
  const env: NodeJS.ProcessEnv = { LISTEN_PID: '42', LISTEN_FDS: '2', LISTEN_FDNAMES: 'x-sock:x-admin-sock' };
  assert.equal(takeActivatedSockets(env, 42), { fds: { rw: 3, admin: 4 }, unknown: [] });
  assert.equal(env, {});
  const other: NodeJS.ProcessEnv = { LISTEN_PID: '41', LISTEN_FDS: '1' };
  assert.is(takeActivatedSockets(other, 42), undefined);
  assert.equal(other, {});
  assert.equal(takeActivatedSockets({ LISTEN_PID: '7', LISTEN_FDS: '1' }, 7), { fds: { rw: 3 }, unknown: [] });
});

test('systemd-socket-activate starts the daemon on the first connection, which it then serves', async () => {
  const root = makeTempRoot();
  const paths = socketPaths(root);
  mkdirSync(`${root}/run`, { recursive: true });
  const daemon = await spawnDaemon({
    wrapper: [
      'systemd-socket-activate',
      '-l',
      paths.rw,
      '-l',
      paths.ro,
      '--fdname=virtsecretd-sock:virtsecretd-sock-ro',
      '-E',
      `TSVIRT_ROOT=${root}`,
    ],
    script: FIXTURE_DAEMON,
    args: ['--session'],
  });
  try {
    await waitFor(() => existsSync(paths.rw) && existsSync(paths.ro), 5000, 'systemd-socket-activate to listen');
    assert.not.ok(existsSync(paths.pid), 'the daemon has not started before a client connects');
    const session = await openSession(paths.rw);
    assert.equal(await session.call(connectGetURI, {}), { uri: 'secret:///session' });
    assert.equal(await session.call(connectGetVersion, {}), { type: 'fixture', version: 0 });
    const ro = await openSession(paths.ro);
    assert.is((await ro.call(connectGetURI, {})).uri, 'secret:///session');
    // The admin socket was not passed in: the daemon made it itself.
    const admin = await openSession(paths.admin);
    const info = await admin.call(adminGetServerInfo, {});
    assert.is(info.socketActivated, true);
    assert.is(info.pid, daemon.pid, 'systemd-socket-activate exec()s the daemon in place');
    [session, ro, admin].forEach((s) => s.close());
    assert.is(await daemon.stop(), 0);
    assert.ok(existsSync(paths.rw), 'the activated socket belongs to systemd and is left in place');
    assert.not.ok(existsSync(paths.admin), 'the socket the daemon created is removed');
  } finally {
    await daemon.stop();
    removeTempRoot(root);
  }
});

test.run();
