/**
 * The client against real daemons: one URI, calls routed to the daemon that owns
 * them, a missing daemon failing only its own subsystem, read-only connections,
 * session autostart (also when two clients race), events and streams.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectGetURI, type DaemonName } from '@tsvirt/common';
import {
  FIXTURE_DAEMON_SCRIPT,
  fixtureEcho,
  fixtureEmit,
  fixtureTick,
  makeTempRoot,
  pidFromRoot,
  removeTempRoot,
  spawnDaemon,
  spawnNamedDaemon,
  stopDaemonByPidFile,
  killProcessesMentioning,
  type DaemonProcess,
  rejectionOf,
} from '@tsvirt/common/testing';
import { ErrorCode, open, AdminConnection } from '../src/index.js';

/** connect.getURI, but owned by `daemon`: answered by that daemon alone, so it shows where a call went. */
const uriOf = (daemon: DaemonName) => ({ ...connectGetURI, owner: daemon });

async function withDaemons(
  daemons: DaemonName[],
  body: (env: NodeJS.ProcessEnv, root: string) => Promise<void>,
): Promise<void> {
  const root = makeTempRoot();
  const running: DaemonProcess[] = [];
  try {
    for (const daemon of daemons) running.push(await spawnNamedDaemon(daemon, root));
    await body({ ...process.env, TSVIRT_ROOT: root }, root);
  } finally {
    await Promise.all(running.map((d) => d.stop()));
    removeTempRoot(root);
  }
}

test('qemu:///session reaches virtqemud and answers the connect calls', () =>
  withDaemons(['virtqemud'], async (env) => {
    const conn = await open('qemu:///session', { env, autostart: false });
    assert.is(await conn.getURI(), 'qemu:///session');
    const version = await conn.getVersion();
    assert.is(version.type, 'QEMU');
    assert.ok(version.version > 1_000_000, `QEMU version ${version.version}`);
    assert.is(await conn.getLibVersion(), 1000);
    assert.is(await conn.getHostname(), (await import('node:os')).hostname());
    await conn.close();
  }));

test('one connection routes each call to the daemon that owns it', () =>
  withDaemons(['virtqemud', 'virtnetworkd', 'virtstoraged', 'virtnodedevd', 'virtsecretd'], async (env, root) => {
    const conn = await open('qemu:///session', { env, autostart: false });
    const expected: Record<string, string> = {
      virtqemud: 'qemu:///session',
      virtnetworkd: 'network:///session',
      virtstoraged: 'storage:///session',
      virtnodedevd: 'nodedev:///session',
      virtsecretd: 'secret:///session',
    };
    for (const [daemon, uri] of Object.entries(expected))
      assert.is((await conn.call(uriOf(daemon as DaemonName), {})).uri, uri);
    const linked = await conn.linkedDaemons();
    assert.equal(linked.map((l) => l.daemon).sort(), Object.keys(expected).sort());
    assert.ok(linked.every((l) => l.path.startsWith(join(root, 'run'))));
    await conn.close();
  }));

test('a daemon that is not running fails its own subsystem only, with a clear error', () =>
  withDaemons(['virtqemud'], async (env, root) => {
    const conn = await open('qemu:///session', { env, autostart: false });
    const err = await rejectionOf(conn.call(uriOf('virtstoraged'), {}));
    assert.is(err.code, ErrorCode.NO_CONNECT);
    assert.match(err.message, `the storage daemon is not running: cannot connect to '${root}/run/virtstoraged-sock'`);
    assert.is(await conn.getURI(), 'qemu:///session', 'the QEMU daemon still answers');
    await conn.close();
  }));

test('a read-only connection uses the read-only sockets and cannot mutate', () =>
  withDaemons(['virtqemud'], async (env, root) => {
    const conn = await open('qemu:///session', { env, autostart: false, readonly: true });
    assert.is(await conn.getURI(), 'qemu:///session');
    assert.equal((await conn.linkedDaemons())[0]!.path, `${root}/run/virtqemud-sock-ro`);
    await conn.close();
  }));

test('session autostart: the client starts the daemon, and two racing clients share one', async () => {
  const root = makeTempRoot();
  const env = { ...process.env, TSVIRT_ROOT: root };
  try {
    const [a, b] = await Promise.all([open('qemu:///session', { env }), open('qemu:///session', { env })]);
    assert.is(await a.getURI(), 'qemu:///session');
    assert.is(await b.getURI(), 'qemu:///session');
    const pid = pidFromRoot(root, 'virtqemud');
    assert.ok(pid, 'the autostarted daemon wrote its pidfile');
    const admin = await AdminConnection.open('virtqemud', 'qemu:///session', env);
    const info = await admin.getServerInfo();
    assert.is(info.pid, pid);
    assert.is(info.clients, 3, 'both clients reached the same daemon');
    admin.close();
    await Promise.all([a.close(), b.close()]);
  } finally {
    await stopDaemonByPidFile(root, 'virtqemud');
    // The race's loser may still be starting: it would take the freed lock and live on.
    killProcessesMentioning(root);
    removeTempRoot(root);
  }
});

test('an autostarted daemon that cannot start is reported with its log, without waiting out the timeout', async () => {
  const root = makeTempRoot();
  const env = { ...process.env, TSVIRT_ROOT: root };
  try {
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc', 'virtqemud.conf'), 'max_clients = "lots"\n');
    const started = Date.now();
    const err = await rejectionOf(open('qemu:///session', { env }));
    assert.ok(Date.now() - started < 5000, `failed after ${Date.now() - started} ms`);
    assert.is(err.code, ErrorCode.NO_CONNECT);
    assert.match(err.message, `virtqemud exited with status 1; see '${root}/log/virtqemud.log'`);
    assert.match(readFileSync(join(root, 'log', 'virtqemud.log'), 'utf8'), "invalid value for 'max_clients'");
  } finally {
    await stopDaemonByPidFile(root, 'virtqemud');
    removeTempRoot(root);
  }
});

test('no autostart for /system, and remote URIs are refused until virtproxyd exists', async () => {
  const root = makeTempRoot();
  const env = { ...process.env, TSVIRT_ROOT: root };
  try {
    const err = await rejectionOf(open('qemu:///system', { env }));
    assert.is(err.code, ErrorCode.NO_CONNECT);
    assert.match(err.message, /the QEMU daemon is not running/);
    assert.is(pidFromRoot(root, 'virtqemud'), undefined, 'nothing was started');
    const remote = await rejectionOf(open('qemu+tls://host.example/system', { env }));
    assert.is(remote.code, ErrorCode.OPERATION_UNSUPPORTED);
    const bad = await rejectionOf(open('qemu//broken', { env }));
    assert.is(bad.code, ErrorCode.INVALID_ARG);
  } finally {
    removeTempRoot(root);
  }
});

test('events arrive as callbacks and as an async iterator, and streams are Node streams', async () => {
  const root = makeTempRoot();
  const env = { ...process.env, TSVIRT_ROOT: root };
  const daemon = await spawnDaemon({
    script: FIXTURE_DAEMON_SCRIPT,
    args: ['--session'],
    root,
    env: { FIXTURE_DAEMON_NAME: 'virtqemud' },
    waitForSocket: `${root}/run/virtqemud-sock`,
  });
  try {
    const conn = await open('qemu:///session', { env, autostart: false });
    const viaCallback: number[] = [];
    const subscription = await conn.subscribe(fixtureTick, (data) => viaCallback.push(data.n));
    const iterator = await conn.events(fixtureTick);
    await conn.call(fixtureEmit, { count: 5 });
    const viaIterator: number[] = [];
    for await (const event of iterator) {
      viaIterator.push(event.n);
      if (viaIterator.length === 5) break;
    }
    assert.equal(viaIterator, [0, 1, 2, 3, 4]);
    assert.equal(viaCallback, [0, 1, 2, 3, 4]);
    await subscription.close();
    await conn.call(fixtureEmit, { count: 2 });
    assert.equal(viaCallback, [0, 1, 2, 3, 4], 'no events after close');

    const { stream } = await conn.callWithStream(fixtureEcho, {});
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    await new Promise((resolve) => {
      stream.on('end', resolve);
      stream.end(Buffer.from('hello through the daemon'));
    });
    assert.is(Buffer.concat(chunks).toString(), 'hello through the daemon');
    await conn.close();
  } finally {
    await daemon.stop();
    removeTempRoot(root);
  }
});

test('virtproxyd starts and answers the connect calls on its own socket', () =>
  withDaemons(['virtproxyd'], async (env, root) => {
    const conn = await open(`qemu+unix:///session?socket=${root}/run/virtproxyd-sock`, { env });
    assert.is(await conn.getURI(), 'remote:///session');
    assert.equal(await conn.getVersion(), { type: 'proxy', version: 1000 });
    await conn.close();
  }));

test('the default URI follows LIBVIRT_DEFAULT_URI', () =>
  withDaemons(['virtnetworkd'], async (env) => {
    const conn = await open(undefined, {
      env: { ...env, LIBVIRT_DEFAULT_URI: 'network:///session' },
      autostart: false,
    });
    assert.is(await conn.getURI(), 'network:///session');
    await conn.close();
  }));

test.run();
