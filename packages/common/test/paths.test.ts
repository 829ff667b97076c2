/** resolvePaths and friends: system, session (with and without XDG), root override, socket-path length. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, ErrorDomain } from '../src/errors/error-codes.js';
import { DAEMON_NAMES } from '../src/protocol/daemons.js';
import {
  MAX_SOCKET_PATH_BYTES,
  assertSocketPathFits,
  defaultMode,
  resolvePaths,
  rootFromEnv,
  type DaemonPaths,
} from '../src/daemon/paths.js';
import { virErrorOf } from '../src/testing/expect-error.js';

const HOME = '/home/alice';
const XDG = {
  XDG_RUNTIME_DIR: '/run/user/1000',
  XDG_DATA_HOME: '/xdg/data',
  XDG_CONFIG_HOME: '/xdg/config',
  XDG_CACHE_HOME: '/xdg/cache',
};

function layout(p: Omit<DaemonPaths, 'configFile' | 'pidFile' | 'logFile' | 'sockets'>, d: string): DaemonPaths {
  return {
    ...p,
    configFile: `${p.configDir}/${d}.conf`,
    pidFile: `${p.runDir}/${d}.pid`,
    logFile: `${p.logDir}/${d}.log`,
    sockets: { rw: `${p.runDir}/${d}-sock`, ro: `${p.runDir}/${d}-sock-ro`, admin: `${p.runDir}/${d}-admin-sock` },
  };
}

const cases: Array<[string, Parameters<typeof resolvePaths>[0], DaemonPaths]> = [
  [
    'system',
    { daemon: 'virtqemud', mode: 'system', env: XDG, home: '/root', uid: 0 },
    layout(
      {
        mode: 'system',
        runDir: '/run/tsvirt',
        stateDir: '/var/lib/tsvirt/virtqemud',
        runStateDir: '/run/tsvirt/virtqemud',
        configDir: '/etc/tsvirt',
        logDir: '/var/log/tsvirt',
      },
      'virtqemud',
    ),
  ],
  [
    'system ignores XDG and home, even for a non-root uid',
    { daemon: 'virtnetworkd', mode: 'system', env: XDG, home: 'relative', uid: 1000 },
    layout(
      {
        mode: 'system',
        runDir: '/run/tsvirt',
        stateDir: '/var/lib/tsvirt/virtnetworkd',
        runStateDir: '/run/tsvirt/virtnetworkd',
        configDir: '/etc/tsvirt',
        logDir: '/var/log/tsvirt',
      },
      'virtnetworkd',
    ),
  ],
  [
    'session with XDG',
    { daemon: 'virtqemud', mode: 'session', env: XDG, home: HOME, uid: 1000 },
    layout(
      {
        mode: 'session',
        runDir: '/run/user/1000/tsvirt',
        stateDir: '/xdg/data/tsvirt/virtqemud',
        runStateDir: '/run/user/1000/tsvirt/virtqemud',
        configDir: '/xdg/config/tsvirt',
        logDir: '/xdg/cache/tsvirt/log',
      },
      'virtqemud',
    ),
  ],
  [
    'session without XDG falls back under home',
    { daemon: 'virtsecretd', mode: 'session', env: {}, home: HOME, uid: 1000 },
    layout(
      {
        mode: 'session',
        runDir: '/home/alice/.cache/tsvirt/run',
        stateDir: '/home/alice/.local/share/tsvirt/virtsecretd',
        runStateDir: '/home/alice/.cache/tsvirt/run/virtsecretd',
        configDir: '/home/alice/.config/tsvirt',
        logDir: '/home/alice/.cache/tsvirt/log',
      },
      'virtsecretd',
    ),
  ],
  [
    'session ignores empty and relative XDG values',
    {
      daemon: 'virtstoraged',
      mode: 'session',
      env: { XDG_RUNTIME_DIR: '', XDG_DATA_HOME: 'rel/data', XDG_CONFIG_HOME: '', XDG_CACHE_HOME: './c' },
      home: HOME,
      uid: 1000,
    },
    layout(
      {
        mode: 'session',
        runDir: '/home/alice/.cache/tsvirt/run',
        stateDir: '/home/alice/.local/share/tsvirt/virtstoraged',
        runStateDir: '/home/alice/.cache/tsvirt/run/virtstoraged',
        configDir: '/home/alice/.config/tsvirt',
        logDir: '/home/alice/.cache/tsvirt/log',
      },
      'virtstoraged',
    ),
  ],
  [
    'session without a runtime dir puts it under XDG_CACHE_HOME',
    { daemon: 'virtnodedevd', mode: 'session', env: { XDG_CACHE_HOME: '/c/' }, home: HOME, uid: 1000 },
    layout(
      {
        mode: 'session',
        runDir: '/c/tsvirt/run',
        stateDir: '/home/alice/.local/share/tsvirt/virtnodedevd',
        runStateDir: '/c/tsvirt/run/virtnodedevd',
        configDir: '/home/alice/.config/tsvirt',
        logDir: '/c/tsvirt/log',
      },
      'virtnodedevd',
    ),
  ],
  [
    'session as root (uid 0) is allowed',
    { daemon: 'virtqemud', mode: 'session', env: {}, home: '/root', uid: 0 },
    layout(
      {
        mode: 'session',
        runDir: '/root/.cache/tsvirt/run',
        stateDir: '/root/.local/share/tsvirt/virtqemud',
        runStateDir: '/root/.cache/tsvirt/run/virtqemud',
        configDir: '/root/.config/tsvirt',
        logDir: '/root/.cache/tsvirt/log',
      },
      'virtqemud',
    ),
  ],
  ...(['system', 'session'] as const).map((mode): [string, Parameters<typeof resolvePaths>[0], DaemonPaths] => [
    `root override in ${mode} mode`,
    { daemon: 'virtproxyd', mode, root: '/tmp/r', env: XDG, home: HOME, uid: 1000 },
    layout(
      {
        mode,
        root: '/tmp/r',
        runDir: '/tmp/r/run',
        stateDir: '/tmp/r/lib/virtproxyd',
        runStateDir: '/tmp/r/run/virtproxyd',
        configDir: '/tmp/r/etc',
        logDir: '/tmp/r/log',
      },
      'virtproxyd',
    ),
  ]),
  [
    'root override is normalized',
    { daemon: 'virtqemud', mode: 'session', root: '/tmp//r/./x/../', env: {}, home: 'ignored', uid: 1000 },
    layout(
      {
        mode: 'session',
        root: '/tmp/r',
        runDir: '/tmp/r/run',
        stateDir: '/tmp/r/lib/virtqemud',
        runStateDir: '/tmp/r/run/virtqemud',
        configDir: '/tmp/r/etc',
        logDir: '/tmp/r/log',
      },
      'virtqemud',
    ),
  ],
];

for (const [name, opts, expected] of cases) {
  test(`resolvePaths: ${name}`, () => {
    assert.equal(resolvePaths(opts), expected);
  });
}

test('every daemon gets its own files in the shared dirs', () => {
  const all = DAEMON_NAMES.map((daemon) => resolvePaths({ daemon, mode: 'session', env: XDG, home: HOME, uid: 1000 }));
  for (const key of ['stateDir', 'runStateDir', 'configFile', 'pidFile', 'logFile'] as const) {
    assert.is(new Set(all.map((p) => p[key])).size, DAEMON_NAMES.length, key);
  }
  const sockets = all.flatMap((p) => Object.values(p.sockets));
  assert.is(new Set(sockets).size, DAEMON_NAMES.length * 3);
  assert.is(new Set(all.map((p) => p.runDir)).size, 1);
});

const badRoots: Array<[string | undefined, string]> = [
  ['relative/dir', "root directory 'relative/dir' must be an absolute path"],
  ['', "root directory '' must be an absolute path"],
  ['./x', "root directory './x' must be an absolute path"],
];
for (const [root, message] of badRoots) {
  test(`resolvePaths rejects root ${JSON.stringify(root)}`, () => {
    const err = virErrorOf(() =>
      resolvePaths({ daemon: 'virtqemud', mode: 'system', root, env: {}, home: HOME, uid: 0 }),
    );
    assert.is(err.code, ErrorCode.INVALID_ARG);
    assert.is(err.domain, ErrorDomain.CONF);
    assert.is(err.message, message);
  });
}

test('session mode needs an absolute home when XDG does not cover everything', () => {
  const err = virErrorOf(() => resolvePaths({ daemon: 'virtqemud', mode: 'session', env: {}, home: '', uid: 1000 }));
  assert.is(err.code, ErrorCode.INVALID_ARG);
  assert.is(err.domain, ErrorDomain.CONF);
  assert.match(err.message, "home directory '' is not an absolute path");
});

test('rootFromEnv', () => {
  assert.is(rootFromEnv({ TSVIRT_ROOT: '/tmp/r' }), '/tmp/r');
  assert.is(rootFromEnv({ TSVIRT_ROOT: '' }), undefined);
  assert.is(rootFromEnv({ TSVIRT_ROOT: undefined }), undefined);
  assert.is(rootFromEnv({}), undefined);
});

test('defaultMode', () => {
  assert.is(defaultMode(0), 'system');
  assert.is(defaultMode(1000), 'session');
  assert.is(defaultMode(1), 'session');
});

test('assertSocketPathFits accepts exactly 107 bytes', () => {
  assert.is(MAX_SOCKET_PATH_BYTES, 107);
  assertSocketPathFits('/' + 'a'.repeat(106));
  assertSocketPathFits('/run/tsvirt/virtqemud-sock');
});

const tooLong: Array<[string, number]> = [
  ['/' + 'a'.repeat(107), 108],
  ['/' + 'é'.repeat(60), 121], // counted in UTF-8 bytes, not characters
];
for (const [path, bytes] of tooLong) {
  test(`assertSocketPathFits rejects ${bytes} bytes`, () => {
    const err = virErrorOf(() => assertSocketPathFits(path));
    assert.is(err.code, ErrorCode.INVALID_ARG);
    assert.is(err.domain, ErrorDomain.RPC);
    assert.ok(err.message.includes(`'${path}'`), 'names the path');
    assert.ok(err.message.includes(`${bytes} bytes`), 'gives the length');
    assert.is(err.int1, bytes);
  });
}

test('resolvePaths refuses a root whose sockets would not fit', () => {
  // '/run/virtnodedevd-admin-sock' adds 28 bytes: a root of 79 just fits, 80 does not.
  const root79 = '/' + 'r'.repeat(78);
  const ok = resolvePaths({ daemon: 'virtnodedevd', mode: 'system', root: root79, env: {}, home: HOME, uid: 0 });
  assert.is(Buffer.byteLength(ok.sockets.admin), 107);
  const root80 = root79 + 'r';
  const err = virErrorOf(() =>
    resolvePaths({ daemon: 'virtnodedevd', mode: 'system', root: root80, env: {}, home: HOME, uid: 0 }),
  );
  assert.is(err.code, ErrorCode.INVALID_ARG);
  assert.is(err.domain, ErrorDomain.RPC);
  assert.match(err.message, `${root80}/run/virtnodedevd-admin-sock`);
});

test('resolvePaths refuses a long XDG_RUNTIME_DIR', () => {
  const env = { XDG_RUNTIME_DIR: '/' + 'x'.repeat(100) };
  const err = virErrorOf(() => resolvePaths({ daemon: 'virtqemud', mode: 'session', env, home: HOME, uid: 1000 }));
  assert.is(err.code, ErrorCode.INVALID_ARG);
  assert.match(err.message, 'virtqemud-sock');
});

test.run();
