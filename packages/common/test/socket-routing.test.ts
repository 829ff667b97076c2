/** routeURI and daemonForURI: every daemon and socket kind, ?socket=, root override, refusals. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, ErrorDomain } from '../src/errors/error-codes.js';
import { DAEMON_NAMES, DRIVER_DAEMON, type DaemonName, type SocketKind } from '../src/protocol/daemons.js';
import { parseURI } from '../src/uri/parse-uri.js';
import { daemonForURI, routeURI, type Route } from '../src/uri/socket-routing.js';
import { virErrorOf } from '../src/testing/expect-error.js';

const HOME = '/home/alice';
const ENV = { XDG_RUNTIME_DIR: '/run/user/1000' };
const KINDS: readonly SocketKind[] = ['rw', 'ro', 'admin'];
const SUFFIX: Record<SocketKind, string> = { rw: '-sock', ro: '-sock-ro', admin: '-admin-sock' };

function route(
  text: string,
  daemon: DaemonName,
  kind: SocketKind,
  env: Record<string, string | undefined> = ENV,
  uid = 1000,
): Route {
  return routeURI({ uri: parseURI(text), daemon, kind, env, home: HOME, uid });
}

for (const daemon of DAEMON_NAMES) {
  for (const kind of KINDS) {
    test(`${daemon} ${kind}: system, session and root layouts`, () => {
      assert.equal(route('qemu:///system', daemon, kind), {
        path: `/run/tsvirt/${daemon}${SUFFIX[kind]}`,
        mode: 'system',
        autostart: false,
      });
      assert.equal(route('qemu:///session', daemon, kind), {
        path: `/run/user/1000/tsvirt/${daemon}${SUFFIX[kind]}`,
        mode: 'session',
        autostart: true,
      });
      assert.equal(route('network:///session', daemon, kind, { ...ENV, TSVIRT_ROOT: '/tmp/r' }), {
        path: `/tmp/r/run/${daemon}${SUFFIX[kind]}`,
        mode: 'session',
        autostart: true,
      });
    });
  }
}

const table: Array<[string, string, DaemonName, SocketKind, Record<string, string | undefined>, number, Route]> = [
  [
    'system as root',
    'qemu:///system',
    'virtqemud',
    'rw',
    ENV,
    0,
    { path: '/run/tsvirt/virtqemud-sock', mode: 'system', autostart: false },
  ],
  [
    'session as root is allowed',
    'qemu:///session',
    'virtqemud',
    'rw',
    {},
    0,
    { path: '/home/alice/.cache/tsvirt/run/virtqemud-sock', mode: 'session', autostart: true },
  ],
  [
    'explicit unix transport',
    'qemu+unix:///session',
    'virtqemud',
    'ro',
    ENV,
    1000,
    { path: '/run/user/1000/tsvirt/virtqemud-sock-ro', mode: 'session', autostart: true },
  ],
  [
    'root override with /system',
    'qemu:///system',
    'virtqemud',
    'rw',
    { TSVIRT_ROOT: '/tmp/r' },
    1000,
    { path: '/tmp/r/run/virtqemud-sock', mode: 'system', autostart: false },
  ],
  [
    'empty TSVIRT_ROOT is ignored',
    'qemu:///system',
    'virtqemud',
    'rw',
    { TSVIRT_ROOT: '' },
    0,
    { path: '/run/tsvirt/virtqemud-sock', mode: 'system', autostart: false },
  ],
  [
    '?socket= for own daemon rw',
    'qemu:///session?socket=/tmp/q.sock',
    'virtqemud',
    'rw',
    ENV,
    1000,
    { path: '/tmp/q.sock', mode: 'session', autostart: false },
  ],
  [
    '?socket= for own daemon ro',
    'qemu+unix:///system?socket=/tmp/q.sock',
    'virtqemud',
    'ro',
    ENV,
    0,
    { path: '/tmp/q.sock', mode: 'system', autostart: false },
  ],
  [
    '?socket= via kvm alias',
    'kvm:///system?socket=/tmp/k',
    'virtqemud',
    'rw',
    ENV,
    0,
    { path: '/tmp/k', mode: 'system', autostart: false },
  ],
  [
    '?socket= on a network URI',
    'network:///session?socket=/tmp/n',
    'virtnetworkd',
    'rw',
    ENV,
    1000,
    { path: '/tmp/n', mode: 'session', autostart: false },
  ],
  [
    '?socket= does not apply to admin',
    'qemu:///session?socket=/tmp/q.sock',
    'virtqemud',
    'admin',
    ENV,
    1000,
    { path: '/run/user/1000/tsvirt/virtqemud-admin-sock', mode: 'session', autostart: false },
  ],
  [
    '?socket= does not apply to other daemons',
    'qemu:///session?socket=/tmp/q.sock',
    'virtnetworkd',
    'rw',
    ENV,
    1000,
    { path: '/run/user/1000/tsvirt/virtnetworkd-sock', mode: 'session', autostart: false },
  ],
  [
    '?socket= never names the proxy',
    'qemu:///system?socket=/tmp/q.sock',
    'virtproxyd',
    'rw',
    ENV,
    0,
    { path: '/run/tsvirt/virtproxyd-sock', mode: 'system', autostart: false },
  ],
  [
    '?socket= beats TSVIRT_ROOT',
    'qemu:///session?socket=/tmp/q.sock',
    'virtqemud',
    'rw',
    { TSVIRT_ROOT: '/tmp/r' },
    1000,
    { path: '/tmp/q.sock', mode: 'session', autostart: false },
  ],
  [
    'other params are ignored',
    'qemu:///session?mode=legacy',
    'virtqemud',
    'rw',
    ENV,
    1000,
    { path: '/run/user/1000/tsvirt/virtqemud-sock', mode: 'session', autostart: true },
  ],
  [
    'driver of the URI does not change other daemons',
    'secret:///system',
    'virtstoraged',
    'ro',
    ENV,
    0,
    { path: '/run/tsvirt/virtstoraged-sock-ro', mode: 'system', autostart: false },
  ],
];
for (const [name, text, daemon, kind, env, uid, expected] of table) {
  test(`routeURI: ${name}`, () => {
    assert.equal(route(text, daemon, kind, env, uid), expected);
  });
}

const refused: Array<[string, string, SocketKind, ErrorCode, ErrorDomain, string]> = [
  [
    'qemu:///foo',
    'virtqemud',
    'rw',
    ErrorCode.INVALID_ARG,
    ErrorDomain.URI,
    "unsupported URI path '/foo' in 'qemu:///foo': use /system or /session",
  ],
  [
    'qemu://',
    'virtqemud',
    'rw',
    ErrorCode.INVALID_ARG,
    ErrorDomain.URI,
    "unsupported URI path '' in 'qemu://': use /system or /session",
  ],
  [
    'qemu:///system/',
    'virtqemud',
    'rw',
    ErrorCode.INVALID_ARG,
    ErrorDomain.URI,
    "unsupported URI path '/system/' in 'qemu:///system/': use /system or /session",
  ],
  ['qemu:///System', 'virtqemud', 'rw', ErrorCode.INVALID_ARG, ErrorDomain.URI, "unsupported URI path '/System'"],
  [
    'qemu+tls://host.example:16514/system',
    'virtqemud',
    'rw',
    ErrorCode.OPERATION_UNSUPPORTED,
    ErrorDomain.REMOTE,
    "remote URI 'qemu+tls://host.example:16514/system' needs virtproxyd, which is not implemented yet",
  ],
  [
    'qemu+tcp://[::1]:16509/system',
    'virtqemud',
    'ro',
    ErrorCode.OPERATION_UNSUPPORTED,
    ErrorDomain.REMOTE,
    "remote URI 'qemu+tcp://[::1]:16509/system' needs virtproxyd",
  ],
  [
    'qemu+ssh://root@host/system?keyfile=x',
    'virtqemud',
    'rw',
    ErrorCode.OPERATION_UNSUPPORTED,
    ErrorDomain.REMOTE,
    "remote URI 'qemu+ssh://root@host/system?keyfile=x' needs virtproxyd",
  ],
  ['qemu+ssh:///system', 'virtqemud', 'rw', ErrorCode.OPERATION_UNSUPPORTED, ErrorDomain.REMOTE, 'needs virtproxyd'],
  [
    'qemu://host/system',
    'virtnetworkd',
    'admin',
    ErrorCode.OPERATION_UNSUPPORTED,
    ErrorDomain.REMOTE,
    "remote URI 'qemu://host/system'",
  ],
  [
    'qemu+unix://host/system?socket=/tmp/s',
    'virtqemud',
    'rw',
    ErrorCode.OPERATION_UNSUPPORTED,
    ErrorDomain.REMOTE,
    'needs virtproxyd',
  ],
  [
    'qemu:///system?socket=relative.sock',
    'virtqemud',
    'rw',
    ErrorCode.INVALID_ARG,
    ErrorDomain.URI,
    "socket 'relative.sock' in 'qemu:///system?socket=relative.sock' must be an absolute path",
  ],
  ['qemu:///system?socket=', 'virtqemud', 'rw', ErrorCode.INVALID_ARG, ErrorDomain.URI, "socket '' in"],
  [
    `qemu:///system?socket=/${'s'.repeat(107)}`,
    'virtqemud',
    'rw',
    ErrorCode.INVALID_ARG,
    ErrorDomain.RPC,
    'is 108 bytes',
  ],
];
for (const [text, daemon, kind, code, domain, message] of refused) {
  test(`routeURI refuses ${text.length > 60 ? text.slice(0, 60) + '…' : text} (${daemon} ${kind})`, () => {
    const err = virErrorOf(() => route(text, daemon as DaemonName, kind));
    assert.is(err.code, code);
    assert.is(err.domain, domain);
    assert.ok(err.message.includes(message), `${err.message} should include ${message}`);
  });
}

test('a too-long computed path is refused, unless ?socket= replaces it', () => {
  const env = { TSVIRT_ROOT: '/' + 'r'.repeat(100) };
  const err = virErrorOf(() => route('qemu:///session', 'virtqemud', 'rw', env));
  assert.is(err.code, ErrorCode.INVALID_ARG);
  assert.is(err.domain, ErrorDomain.RPC);
  assert.equal(route('qemu:///session?socket=/tmp/s', 'virtqemud', 'rw', env), {
    path: '/tmp/s',
    mode: 'session',
    autostart: false,
  });
});

for (const [driver, daemon] of Object.entries(DRIVER_DAEMON)) {
  test(`daemonForURI ${driver}`, () => {
    assert.is(daemonForURI(parseURI(`${driver}:///system`)), daemon);
    assert.is(daemonForURI(parseURI(`${driver}+unix:///session?socket=/x`)), daemon);
  });
}

for (const text of ['foo:///system', 'constructor:///system', 'tostring:///session', 'test:///default']) {
  test(`daemonForURI refuses ${text}`, () => {
    const err = virErrorOf(() => daemonForURI(parseURI(text)));
    assert.is(err.code, ErrorCode.NO_CONNECT);
    assert.is(err.domain, ErrorDomain.URI);
    assert.is(err.message, `no driver for URI '${text}'`);
  });
}

test.run();
