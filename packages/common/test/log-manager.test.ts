/** Logging: module filters pick levels, runtime changes apply to existing loggers, bad filters are refused. */
import { Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../src/errors/error-codes.js';
import { VirError } from '../src/errors/vir-error.js';
import { LogManager, parseLogFilters } from '../src/logging/log-manager.js';

function capture(): { lines: () => Array<Record<string, unknown>>; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

test('parses libvirt filter syntax, + flag included', () => {
  assert.equal(parseLogFilters(' 1:rpc  3:+qemu.monitor 4:config '), [
    { level: 1, module: 'rpc' },
    { level: 3, module: 'qemu.monitor' },
    { level: 4, module: 'config' },
  ]);
  for (const bad of ['5:rpc', 'rpc', '1:', '1:a b:c', 'x:rpc']) {
    assert.throws(
      () => parseLogFilters(bad),
      (err: unknown) => err instanceof VirError && err.code === ErrorCode.CONF_SYNTAX,
      bad,
    );
  }
});

test('the most specific filter decides a module level; others use the global level', () => {
  const out = capture();
  const logs = new LogManager({
    name: 't',
    level: 3,
    filters: '1:qemu 4:qemu.monitor',
    pretty: false,
    destination: out.stream,
  });
  logs.module('qemu').debug('qemu debug');
  logs.module('qemu.monitor').warn('monitor warn');
  logs.module('qemu.monitor').error('monitor error');
  logs.module('rpc').info('rpc info');
  logs.module('rpc').warn('rpc warn');
  assert.equal(
    out.lines().map((l) => l.msg),
    ['qemu debug', 'monitor error', 'rpc warn'],
  );
  assert.is(out.lines()[0]!.module, 'qemu');
});

test('configure() changes loggers already handed out', () => {
  const out = capture();
  const logs = new LogManager({ name: 't', level: 4, pretty: false, destination: out.stream });
  const rpc = logs.module('rpc');
  rpc.info('hidden');
  logs.configure({ filters: '2:rpc' });
  rpc.info('shown');
  logs.configure({ level: 1, filters: '' });
  logs.module('other').debug('debug now');
  assert.equal(
    out.lines().map((l) => l.msg),
    ['shown', 'debug now'],
  );
  assert.equal(logs.settings, { level: 1, filters: '' });
});

test.run();
