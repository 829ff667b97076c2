/**
 * The daemon skeleton as a real process: sockets and their modes, the instance lock,
 * clean shutdown, idle exit, config errors and reload, admin procedures, read-only
 * refusals, events and streams over real sockets.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../src/errors/error-codes.js';
import { adminGetLogging, adminGetServerInfo, adminListClients, adminSetLogging } from '../src/protocol/admin.js';
import { connectEventRegister, connectGetFeatures, connectGetURI, connectGetVersion } from '../src/protocol/connect.js';
import {
  makeTempRoot,
  removeTempRoot,
  spawnDaemon,
  waitFor,
  type DaemonProcess,
} from '../src/testing/daemon-process.js';
import { fixtureEcho, fixtureEmit, fixtureTick } from '../src/testing/fixture-daemon.js';
import { FIXTURE_DAEMON, openSession, socketPaths, startFixture } from './helpers.js';
import { rejectionOf } from '../src/testing/expect-error.js';

/** Runs `body` with a fresh root and a fixture daemon in it; both are gone afterwards, pass or fail. */
async function withDaemon(
  body: (root: string, daemon: DaemonProcess) => Promise<void>,
  args: string[] = [],
): Promise<void> {
  const root = makeTempRoot();
  let daemon: DaemonProcess | undefined;
  try {
    daemon = await startFixture(root, args);
    await body(root, daemon);
  } finally {
    await daemon?.stop();
    removeTempRoot(root);
  }
}

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

test('the daemon holds its three sockets with their modes and writes its pidfile', () =>
  withDaemon(async (root, daemon) => {
    const paths = socketPaths(root);
    assert.is(mode(paths.rw), '600');
    assert.is(mode(paths.ro), '666');
    assert.is(mode(paths.admin), '600');
    assert.is(readFileSync(paths.pid, 'utf8').trim(), String(daemon.pid));
    const session = await openSession(paths.rw);
    assert.equal(await session.call(connectGetURI, {}), { uri: 'secret:///session' });
    assert.equal(await session.call(connectGetVersion, {}), { type: 'fixture', version: 0 });
    assert.equal((await session.call(connectGetFeatures, {})).features, ['keepalive', 'streams', 'events', 'fixture']);
    session.close();
  }));

test('a second instance on the same root refuses with a clear message and the first keeps serving', () =>
  withDaemon(async (root, first) => {
    const second = await spawnDaemon({ script: FIXTURE_DAEMON, args: ['--session'], root });
    assert.is(await second.exited, 1);
    assert.match(second.output(), new RegExp(`virtsecretd is already running with pid ${first.pid}`));
    const session = await openSession(socketPaths(root).rw);
    assert.equal(await session.call(connectGetURI, {}), { uri: 'secret:///session' });
    session.close();
  }));

test('SIGTERM shuts down cleanly: exit 0, sockets and pidfile removed', async () => {
  const root = makeTempRoot();
  const daemon = await startFixture(root);
  try {
    const session = await openSession(socketPaths(root).rw);
    const closed = new Promise((resolve) => session.onClose(resolve));
    assert.is(await daemon.stop(), 0);
    await closed;
    const paths = socketPaths(root);
    for (const path of [paths.rw, paths.ro, paths.admin, paths.pid]) assert.not.ok(existsSync(path), path);
  } finally {
    await daemon.stop();
    removeTempRoot(root);
  }
});

test('a stale pidfile and socket left by a killed daemon do not stop the next start', async () => {
  const root = makeTempRoot();
  let daemon = await startFixture(root);
  try {
    daemon.child.kill('SIGKILL');
    await daemon.exited;
    assert.ok(existsSync(socketPaths(root).rw), 'the killed daemon left its socket');
    daemon = await startFixture(root);
    const session = await openSession(socketPaths(root).rw);
    assert.equal(await session.call(connectGetURI, {}), { uri: 'secret:///session' });
    session.close();
  } finally {
    await daemon.stop();
    removeTempRoot(root);
  }
});

test('--timeout: the daemon stays while a client is connected and exits once idle', async () => {
  const root = makeTempRoot();
  const daemon = await startFixture(root, ['--timeout', '1']);
  try {
    const session = await openSession(socketPaths(root).rw);
    await sleep(1800);
    assert.is(daemon.child.exitCode, null, 'still running with a client connected');
    session.close();
    const started = Date.now();
    assert.is(await daemon.exited, 0);
    const waited = Date.now() - started;
    assert.ok(waited >= 900 && waited < 3500, `exited ${waited} ms after the last client left`);
    assert.not.ok(existsSync(socketPaths(root).pid));
  } finally {
    await daemon.stop();
    removeTempRoot(root);
  }
});

test('a reload can set the idle timeout of a daemon started without one', async () => {
  const root = makeTempRoot();
  const paths = socketPaths(root);
  const daemon = await startFixture(root);
  try {
    await sleep(1500);
    assert.is(daemon.child.exitCode, null, 'no timeout configured: still running');
    mkdirSync(`${root}/etc`, { recursive: true });
    writeFileSync(paths.config, 'timeout = 1\n');
    daemon.child.kill('SIGHUP');
    assert.is(await daemon.exited, 0);
  } finally {
    await daemon.stop();
    removeTempRoot(root);
  }
});

test('an invalid config file stops startup naming file, line and key', async () => {
  const root = makeTempRoot();
  try {
    const paths = socketPaths(root);
    mkdirSync(`${root}/etc`, { recursive: true });
    writeFileSync(paths.config, '# comment\nlog_level = 3\nmax_clients = "many"\n');
    const daemon = await spawnDaemon({ script: FIXTURE_DAEMON, args: ['--session'], root });
    assert.is(await daemon.exited, 1);
    assert.match(daemon.output(), `${paths.config}:3`);
    assert.match(daemon.output(), "'max_clients'");
    assert.not.ok(existsSync(paths.rw), 'no socket was created');
  } finally {
    removeTempRoot(root);
  }
});

test('-f names another config file, which must exist', async () => {
  const root = makeTempRoot();
  try {
    const missing = await spawnDaemon({ script: FIXTURE_DAEMON, args: ['--session', '-f', `${root}/nope.conf`], root });
    assert.is(await missing.exited, 1);
    assert.match(missing.output(), `${root}/nope.conf`);
    writeFileSync(`${root}/other.conf`, 'unix_sock_ro_perms = "0644"\n');
    const daemon = await startFixture(root, ['-f', `${root}/other.conf`]);
    try {
      assert.is(mode(socketPaths(root).ro), '644');
    } finally {
      await daemon.stop();
    }
  } finally {
    removeTempRoot(root);
  }
});

test('SIGHUP reloads the config; a broken file on reload is refused and the old one kept', async () => {
  const root = makeTempRoot();
  const paths = socketPaths(root);
  mkdirSync(`${root}/etc`, { recursive: true });
  writeFileSync(paths.config, 'log_level = 3\n');
  const daemon = await startFixture(root);
  try {
    const admin = await openSession(paths.admin);
    assert.is((await admin.call(adminGetLogging, {})).level, 3);
    writeFileSync(paths.config, 'log_level = 2\nlog_filters = "1:rpc"\n');
    daemon.child.kill('SIGHUP');
    await waitFor(async () => (await admin.call(adminGetLogging, {})).level === 2, 3000, 'the reloaded level');
    assert.equal(await admin.call(adminGetLogging, {}), { level: 2, filters: '1:rpc' });
    writeFileSync(paths.config, 'log_level = 9\n');
    daemon.child.kill('SIGHUP');
    await waitFor(() => daemon.output().includes('configuration reload failed'), 3000, 'the reload failure log');
    assert.equal(await admin.call(adminGetLogging, {}), { level: 2, filters: '1:rpc' });
    assert.is(daemon.child.exitCode, null);
    admin.close();
  } finally {
    await daemon.stop();
    removeTempRoot(root);
  }
});

test('the admin socket reports the server and its clients, and changes logging at runtime', () =>
  withDaemon(async (root, daemon) => {
    const paths = socketPaths(root);
    const ro = await openSession(paths.ro);
    const admin = await openSession(paths.admin);
    const info = await admin.call(adminGetServerInfo, {});
    assert.is(info.pid, daemon.pid);
    assert.is(info.mode, 'session');
    assert.is(info.socketActivated, false);
    assert.is(info.clients, 2);
    const clients = await admin.call(adminListClients, {});
    assert.equal(
      clients.clients.map((c) => [c.socket, c.readonly]),
      [
        ['ro', true],
        ['admin', false],
      ],
    );
    assert.equal(await admin.call(adminSetLogging, { level: 1, filters: '4:rpc 2:daemon' }), {
      level: 1,
      filters: '4:rpc 2:daemon',
    });
    const bad = await rejectionOf(admin.call(adminSetLogging, { filters: 'loud:rpc' }));
    assert.is(bad.code, ErrorCode.CONF_SYNTAX);
    assert.match(bad.message, /invalid log filter 'loud:rpc'/);
    ro.close();
    admin.close();
  }));

test('admin procedures are not served on the main socket, nor main ones on the admin socket', () =>
  withDaemon(async (root) => {
    const paths = socketPaths(root);
    const rw = await openSession(paths.rw);
    assert.is((await rejectionOf(rw.call(adminGetServerInfo, {}))).code, ErrorCode.RPC);
    const admin = await openSession(paths.admin);
    assert.is((await rejectionOf(admin.call(connectGetURI, {}))).code, ErrorCode.RPC);
    rw.close();
    admin.close();
  }));

test('the read-only socket serves reads and refuses a mutating call', () =>
  withDaemon(async (root) => {
    const ro = await openSession(socketPaths(root).ro);
    assert.equal(await ro.call(connectGetURI, {}), { uri: 'secret:///session' });
    const err = await rejectionOf(ro.call(fixtureEmit, { count: 1 }));
    assert.is(err.code, ErrorCode.OPERATION_DENIED);
    assert.match(err.message, /read only access prevents fixture\.emit/);
    ro.close();
  }));

test('events over real sockets reach every subscriber, in order', () =>
  withDaemon(async (root) => {
    const paths = socketPaths(root);
    const subscribers = await Promise.all([openSession(paths.ro), openSession(paths.rw)]);
    const seen: number[][] = [[], []];
    for (const [i, session] of subscribers.entries()) {
      const { callbackId } = await session.call(connectEventRegister, { event: fixtureTick.number });
      session.onEvent(callbackId, (_n, data) => seen[i]!.push((data as { n: number }).n));
    }
    const emitter = await openSession(paths.rw);
    assert.equal(await emitter.call(fixtureEmit, { count: 2000 }), { delivered: 4000 });
    await waitFor(() => seen.every((s) => s.length === 2000), 5000, 'all events');
    const expected = Array.from({ length: 2000 }, (_, n) => n);
    assert.equal(seen, [expected, expected]);
    [...subscribers, emitter].forEach((s) => s.close());
  }));

test('a 32 MiB stream round-trips over a real socket', () =>
  withDaemon(async (root) => {
    const session = await openSession(socketPaths(root).rw);
    const { stream } = await session.callWithStream(fixtureEcho, {});
    const payload = Buffer.alloc(32 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 4096) payload[i] = (i / 4096) & 0xff;
    const chunks: Buffer[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    stream.end(payload);
    await ended;
    assert.ok(Buffer.concat(chunks).equals(payload));
    session.close();
  }));

test.run();
