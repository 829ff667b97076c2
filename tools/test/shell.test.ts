/**
 * The interactive shell on a real terminal: through a pseudo-terminal made by
 * util-linux `script` when it is installed, else through a pipe (no prompt there).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TSVIRT_VERSION } from '@tsvirt/client';
import { BANNER, promptFor } from '../src/tsvirsh/shell.js';
import { TSVIRSH, envFor, nonBlankLines, runTsvirsh, stopPid, withDaemon } from './helpers.js';

const HAVE_SCRIPT = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
const PROMPT = promptFor(process.getuid?.());
// readline's cursor and erase sequences, which a terminal interprets and a test ignores
const plain = (text: string): string => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');

/** tsvirsh in a pseudo-terminal: type into it, wait for what it prints. */
class Terminal {
  private output = '';
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    const command = [process.execPath, TSVIRSH, ...args].map((w) => `'${w.replaceAll("'", "'\\''")}'`).join(' ');
    // TERM=dumb would turn readline's completion off
    this.child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
      env: { ...env, TERM: 'xterm' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  get text(): string {
    return plain(this.output);
  }

  /** Sends keys one burst at a time (readline completes only a tab typed on its own, not pasted). */
  async type(keys: string): Promise<void> {
    this.child.stdin?.write(keys);
    await sleep(150);
  }

  /** Waits until the screen shows `count` prompts (or `pattern`). */
  async waitFor(what: number | RegExp, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const done = (): boolean =>
      typeof what === 'number' ? this.text.split(PROMPT).length - 1 >= what : what.test(this.text);
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(what)}; screen:\n${this.text}`);
      await sleep(20);
    }
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.pid) await stopPid(this.child.pid, 2000);
  }
}

/** Runs `body` against a terminal running tsvirsh, closing it whatever happens. */
async function withTerminal(
  args: string[],
  env: NodeJS.ProcessEnv,
  body: (t: Terminal) => Promise<void>,
): Promise<void> {
  const terminal = new Terminal(args, env);
  try {
    await body(terminal);
  } finally {
    await terminal.close();
  }
}

if (HAVE_SCRIPT) {
  test('the shell greets, prompts, runs ; lists, completes commands and options, and saves history', () =>
    withDaemon(async (root) => {
      const env = envFor(root);
      await withTerminal(['-c', 'qemu:///session'], env, async (t) => {
        await t.waitFor(1);
        assert.ok(t.text.startsWith(BANNER), t.text);
        await t.type('ver');
        await t.type('\t');
        await t.type(' --da');
        await t.type('\t');
        await t.waitFor(/version +--daemon /);
        await t.type('\r');
        await t.waitFor(2);
        assert.ok(t.text.includes(`Running against daemon: ${TSVIRT_VERSION}\n`), t.text);
        await t.type('echo "a  b" \'c;d\'; uri\r');
        await t.waitFor(3);
        assert.ok(t.text.includes('a  b c;d\n\nqemu:///session\n\n'), t.text);
        await t.type('nope\r');
        await t.waitFor(4);
        assert.ok(t.text.includes("error: unknown command: 'nope'\n"), t.text);
        await t.type('quit\r');
        assert.is(await t.exited, 0);
      });
      const history = readFileSync(join(root, 'cache', 'tsvirsh', 'history'), 'utf8');
      assert.equal(history.split('\n'), ['version  --daemon ', `echo "a  b" 'c;d'; uri`, 'nope', 'quit', '']);
    }));

  test('history from the file is recalled with the up arrow; ^D ends the shell', () =>
    withDaemon(async (root) => {
      const env = envFor(root);
      mkdirSync(join(root, 'cache', 'tsvirsh'), { recursive: true });
      writeFileSync(join(root, 'cache', 'tsvirsh', 'history'), 'hostname\necho from-history\n');
      await withTerminal(['-q', '-c', 'qemu:///session'], env, async (t) => {
        await t.waitFor(1);
        // quiet: no banner
        assert.ok(t.text.startsWith(PROMPT), t.text);
        await t.type('\x1b[A');
        await t.type('\r');
        await t.waitFor(2);
        assert.ok(t.text.includes('from-history\n'), t.text);
        await t.type('\x04');
        assert.is(await t.exited, 0);
      });
    }));
} else {
  test('without script(1): the shell through a pipe', () =>
    withDaemon(async (root) => {
      const result = await runTsvirsh(['-c', 'qemu:///session'], envFor(root), 'echo "a  b"; uri\nquit\necho never\n');
      assert.equal(nonBlankLines(result.stdout), ['a  b', 'qemu:///session']);
      assert.is(result.code, 0);
    }));
}

test('quit ends a piped shell before the lines after it', () =>
  withDaemon(async (root) => {
    const result = await runTsvirsh(['-c', 'qemu:///session'], envFor(root), 'uri\nquit\necho never\n');
    assert.equal([result.code, nonBlankLines(result.stdout)], [0, ['qemu:///session']]);
  }));

test.run();
