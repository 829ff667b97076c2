/** Where daemon logs go: JSON lines on stderr by default, pretty lines when stderr is a terminal. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeTempRoot, removeTempRoot } from '../src/testing/daemon-process.js';
import { FIXTURE_DAEMON, socketPaths } from './helpers.js';

/** Runs the fixture daemon at info level until its 1 s idle timeout, optionally on a pseudo-terminal. */
function runDaemon(onTerminal: boolean): string {
  const root = makeTempRoot();
  try {
    mkdirSync(`${root}/etc`, { recursive: true });
    writeFileSync(socketPaths(root).config, 'log_level = 2\n');
    const command = [process.execPath, FIXTURE_DAEMON, '--session', '--timeout', '1'];
    const env = { ...process.env, TSVIRT_ROOT: root };
    const result = onTerminal
      ? spawnSync('script', ['-qefc', command.join(' '), '/dev/null'], { env, encoding: 'utf8', timeout: 20_000 })
      : spawnSync(command[0]!, command.slice(1), { env, encoding: 'utf8', timeout: 20_000 });
    assert.is(result.status, 0, result.stderr);
    return onTerminal ? result.stdout : result.stderr;
  } finally {
    removeTempRoot(root);
  }
}

test('logs are JSON lines on stderr when it is not a terminal', () => {
  const lines = runDaemon(false).trim().split('\n');
  const records = lines.map((line) => JSON.parse(line) as { msg: string; module: string; level: number });
  const started = records.find((r) => r.msg === 'virtsecretd started');
  assert.ok(started, 'the start is logged');
  assert.is(started.module, 'daemon');
  assert.is(started.level, 30);
  assert.ok(records.some((r) => r.msg === 'idle timeout reached: exiting'));
});

test('logs are pretty, human lines on a terminal', () => {
  const output = runDaemon(true);
  assert.match(output, /INFO.*virtsecretd started/);
  assert.not.match(output, /\{"level":/);
});

test.run();
