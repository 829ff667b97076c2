/** The shared daemon config: defaults, per-key validation naming line and key, extra keys, log_filters. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DEFAULT_DAEMON_CONFIG,
  DaemonConfigSchema,
  loadDaemonConfig,
  parseDaemonConfig,
  parseLogFilters,
} from '../src/daemon/daemon-config.js';
import { ErrorCode, ErrorDomain } from '../src/errors/error-codes.js';
import { VirError } from '../src/errors/vir-error.js';
import { validatorFor } from '../src/protocol/validation.js';

const FILE = '/x/virtqemud.conf';

function catchVirError(fn: () => unknown): VirError {
  try {
    fn();
  } catch (err) {
    if (err instanceof VirError) return err;
    throw err;
  }
  throw new Error('expected a VirError, but nothing was thrown');
}

test('the defaults satisfy the schema and match libvirt', () => {
  assert.ok(validatorFor(DaemonConfigSchema)(DEFAULT_DAEMON_CONFIG));
  assert.is(DEFAULT_DAEMON_CONFIG.unix_sock_ro_perms, '0666');
  assert.is(DEFAULT_DAEMON_CONFIG.unix_sock_rw_perms, '0600');
  assert.is(DEFAULT_DAEMON_CONFIG.max_frame_size, 33554432);
  assert.ok(Object.isFrozen(DEFAULT_DAEMON_CONFIG));
});

test('an empty file gives the defaults', () => {
  assert.equal(parseDaemonConfig('# nothing set\n', FILE), { ...DEFAULT_DAEMON_CONFIG });
});

test('every shared key is read', () => {
  const text = `
unix_sock_group = "libvirt"
unix_sock_ro_perms = "0777"
unix_sock_rw_perms = "0770"
unix_sock_admin_perms = "700"
unix_sock_dir = "/run/tsvirt"
max_clients = 10
max_anonymous_clients = 0
keepalive_interval = -1
keepalive_count = 0
admin_keepalive_interval = 30
admin_keepalive_count = 2
max_frame_size = 1048576
log_level = 1
log_filters = "1:rpc 3:+qemu 4:config"
log_outputs = "3:stderr"
timeout = 120
`;
  assert.equal(parseDaemonConfig(text, FILE), {
    unix_sock_group: 'libvirt',
    unix_sock_ro_perms: '0777',
    unix_sock_rw_perms: '0770',
    unix_sock_admin_perms: '700',
    unix_sock_dir: '/run/tsvirt',
    max_clients: 10,
    max_anonymous_clients: 0,
    keepalive_interval: -1,
    keepalive_count: 0,
    admin_keepalive_interval: 30,
    admin_keepalive_count: 2,
    max_frame_size: 1048576,
    log_level: 1,
    log_filters: '1:rpc 3:+qemu 4:config',
    log_outputs: '3:stderr',
    timeout: 120,
  });
});

test('unknown key: CONFIG_UNSUPPORTED naming file, line and key', () => {
  const err = catchVirError(() => parseDaemonConfig('log_level = 2\n\n\n\n\n\nlog_lvl = 2\n', FILE));
  assert.is(err.code, ErrorCode.CONFIG_UNSUPPORTED);
  assert.is(err.domain, ErrorDomain.CONF);
  assert.is(err.int1, 7);
  assert.is(err.str1, FILE);
  assert.is(err.str2, 'log_lvl');
  assert.ok(err.message.includes(`${FILE}:7: unknown setting 'log_lvl'`), err.message);
});

test('keys on the object prototype are unknown too', () => {
  assert.is(catchVirError(() => parseDaemonConfig('constructor = 1', FILE)).code, ErrorCode.CONFIG_UNSUPPORTED);
});

const badValues: [text: string, key: string, detail: string][] = [
  ['log_level = 5', 'log_level', 'must be <= 4'],
  ['log_level = 0', 'log_level', 'must be >= 1'],
  ['log_level = "3"', 'log_level', 'must be integer'],
  ['max_clients = 0', 'max_clients', 'must be >= 1'],
  ['max_clients = [1]', 'max_clients', 'must be integer'],
  ['max_anonymous_clients = -1', 'max_anonymous_clients', 'must be >= 0'],
  ['keepalive_interval = -2', 'keepalive_interval', 'must be >= -1'],
  ['keepalive_count = -1', 'keepalive_count', 'must be >= 0'],
  ['admin_keepalive_interval = "5"', 'admin_keepalive_interval', 'must be integer'],
  ['admin_keepalive_count = -1', 'admin_keepalive_count', 'must be >= 0'],
  ['max_frame_size = 1048575', 'max_frame_size', 'must be >= 1048576'],
  ['max_frame_size = 1073741825', 'max_frame_size', 'must be <= 1073741824'],
  ['timeout = -1', 'timeout', 'must be >= 0'],
  ['unix_sock_ro_perms = "0999"', 'unix_sock_ro_perms', 'must match pattern'],
  ['unix_sock_rw_perms = 600', 'unix_sock_rw_perms', 'must be string'],
  ['unix_sock_admin_perms = "rw"', 'unix_sock_admin_perms', 'must match pattern'],
  ['unix_sock_group = ""', 'unix_sock_group', 'must NOT have fewer than 1 characters'],
  ['unix_sock_dir = "run/tsvirt"', 'unix_sock_dir', 'must match pattern'],
  ['log_filters = 3', 'log_filters', 'must be string'],
  ['log_outputs = ["a"]', 'log_outputs', 'must be string'],
  ['log_filters = "1:rpc 5:qemu"', 'log_filters', "invalid log filter '5:qemu'"],
  ['log_filters = "qemu"', 'log_filters', "invalid log filter 'qemu'"],
];

for (const [line, key, detail] of badValues) {
  test(`invalid value: ${line}`, () => {
    const err = catchVirError(() => parseDaemonConfig(`# header\n\n${line}\n`, FILE));
    assert.is(err.code, ErrorCode.CONF_SYNTAX);
    assert.is(err.domain, ErrorDomain.CONF);
    assert.is(err.int1, 3);
    assert.is(err.str2, key);
    const expected = `configuration file syntax error: ${FILE}:3: invalid value for '${key}': ${detail}`;
    assert.ok(err.message.startsWith(expected), `message was: ${err.message}`);
  });
}

test('a syntax error from the parser passes through', () => {
  const err = catchVirError(() => parseDaemonConfig('log_level =\n', FILE));
  assert.is(err.code, ErrorCode.CONF_SYNTAX);
  assert.is(err.int1, 1);
});

const ExtraSchema = Type.Object({
  security_driver: Type.String({ default: 'none' }),
  namespaces: Type.Array(Type.String(), { default: ['mount'] }),
  vnc_port: Type.Optional(Type.Integer({ minimum: 5900 })),
  max_clients: Type.Integer({ minimum: 1, maximum: 10 }),
});

test('extraSchema: adds keys, applies their defaults, may narrow a shared key', () => {
  const config = parseDaemonConfig('vnc_port = 5901\nlog_level = 2\n', FILE, ExtraSchema);
  assert.is(config.vnc_port, 5901);
  assert.is(config.security_driver, 'none');
  assert.equal(config.namespaces, ['mount']);
  assert.is(config.log_level, 2);

  const err = catchVirError(() => parseDaemonConfig('max_clients = 11', FILE, ExtraSchema));
  assert.ok(err.message.includes("invalid value for 'max_clients': must be <= 10"), err.message);
});

test('extraSchema: list values are validated item by item', () => {
  const config = parseDaemonConfig('namespaces = [\n  "mount",\n  "uts",\n]\n', FILE, ExtraSchema);
  assert.equal(config.namespaces, ['mount', 'uts']);
  const err = catchVirError(() => parseDaemonConfig('a_comment = 1', FILE, ExtraSchema));
  assert.is(err.code, ErrorCode.CONFIG_UNSUPPORTED);
  const bad = catchVirError(() => parseDaemonConfig('namespaces = ["mount", 2]', FILE, ExtraSchema));
  assert.ok(bad.message.includes("invalid value for 'namespaces': /1 must be string"), bad.message);
});

test('extraSchema: list defaults are not shared between loads', () => {
  const first = parseDaemonConfig('', FILE, ExtraSchema);
  (first.namespaces as string[]).push('net');
  assert.equal(parseDaemonConfig('', FILE, ExtraSchema).namespaces, ['mount']);
});

const tmp = mkdtempSync(join(tmpdir(), 'tsvirt-daemon-config-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('loadDaemonConfig: a missing file gives the defaults', () => {
  const result = loadDaemonConfig(join(tmp, 'absent.conf'));
  assert.is(result.fileFound, false);
  assert.equal(result.config, { ...DEFAULT_DAEMON_CONFIG });
});

test('loadDaemonConfig: a missing file with extraSchema gives its defaults too', () => {
  const { config } = loadDaemonConfig(join(tmp, 'absent.conf'), { extraSchema: ExtraSchema });
  assert.is(config.security_driver, 'none');
});

test('loadDaemonConfig: mustExist makes a missing file OPEN_FAILED naming it', () => {
  const file = join(tmp, 'absent.conf');
  const err = catchVirError(() => loadDaemonConfig(file, { mustExist: true }));
  assert.is(err.code, ErrorCode.OPEN_FAILED);
  assert.is(err.domain, ErrorDomain.CONF);
  assert.is(err.str1, file);
  assert.ok(err.message.includes(file), err.message);
});

test('loadDaemonConfig: an unreadable path is OPEN_FAILED, not the defaults', () => {
  const err = catchVirError(() => loadDaemonConfig(tmp));
  assert.is(err.code, ErrorCode.OPEN_FAILED);
  assert.ok(err.message.includes(tmp), err.message);
});

test('loadDaemonConfig: reads the file and names it in errors', () => {
  const file = join(tmp, 'virtqemud.conf');
  writeFileSync(file, 'log_level = 4\nmax_clients = 7\n');
  const result = loadDaemonConfig(file, { mustExist: true });
  assert.is(result.fileFound, true);
  assert.is(result.config.log_level, 4);
  assert.is(result.config.max_clients, 7);
  assert.is(result.config.timeout, 0);

  writeFileSync(file, 'log_level = 4\nmax_clients = "7"\n');
  const err = catchVirError(() => loadDaemonConfig(file));
  assert.is(err.int1, 2);
  assert.ok(err.message.includes(`${file}:2: invalid value for 'max_clients'`), err.message);
});

const filters: [string, { level: number; module: string }[]][] = [
  ['', []],
  ['   ', []],
  ['1:rpc', [{ level: 1, module: 'rpc' }]],
  [
    '1:rpc 3:qemu 4:config',
    [
      { level: 1, module: 'rpc' },
      { level: 3, module: 'qemu' },
      { level: 4, module: 'config' },
    ],
  ],
  [
    '  2:+qemu.monitor\t\n4:util  ',
    [
      { level: 2, module: 'qemu.monitor' },
      { level: 4, module: 'util' },
    ],
  ],
];

for (const [text, expected] of filters) {
  test(`parseLogFilters(${JSON.stringify(text)})`, () => {
    assert.equal(parseLogFilters(text), expected);
  });
}

for (const item of ['0:rpc', '5:rpc', 'rpc', '1:', '1:+', ':rpc', 'x:rpc', '1-rpc']) {
  test(`parseLogFilters rejects '${item}'`, () => {
    const err = catchVirError(() => parseLogFilters(`1:ok ${item} 4:fine`));
    assert.is(err.code, ErrorCode.CONF_SYNTAX);
    assert.ok(err.message.includes(`'${item}'`), err.message);
  });
}

test.run();
