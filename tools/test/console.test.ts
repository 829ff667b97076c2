/**
 * `tsvirsh console` against the real test guest (TCG) with its shell on the serial port:
 * on a terminal (util-linux `script` makes the pty) it shows the boot, runs what is typed
 * and leaves on ^] with status 0; a second session is refused; without a terminal it copies
 * input, takes over with --force, and ends with the guest.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defineDomain, destroyDomain, open, startDomain } from '@tsvirt/client';
import { promptFor } from '../src/tsvirsh/shell.js';
import { TSVIRSH, envFor, runTsvirsh, stopPid, withQemuDaemon } from './helpers.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const PROMPT = promptFor(process.getuid?.());
const HAVE_SCRIPT = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

/** The project's test guest (docs/test-guest.md), built on first use and cached. */
function ensureTestGuest(): { kernel: string; initrd: string } {
  const dir = join(REPO, 'build', 'test-guest');
  execFileSync('bash', [join(REPO, 'tools', 'scripts', 'build-test-guest.sh'), dir], { stdio: 'inherit' });
  return { kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img') };
}

function guestXml(name: string): string {
  const { kernel, initrd } = ensureTestGuest();
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${kernel}</kernel>
    <initrd>${initrd}</initrd>
    <cmdline>console=ttyS0 tsvirt.shell=1 panic=-1</cmdline>
  </os>
  <features><acpi/></features>
  <devices>
    <serial type='pty'/>
    <console type='pty'/>
  </devices>
</domain>`;
}

/** A tsvirsh child whose output is collected; `onTerminal` runs it in a pseudo-terminal made by `script`. */
class Tsvirsh {
  private collected = '';
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: NodeJS.ProcessEnv, onTerminal: boolean) {
    const argv = [process.execPath, TSVIRSH, ...args];
    const quoted = argv.map((w) => `'${w.replaceAll("'", "'\\''")}'`).join(' ');
    this.child = onTerminal
      ? spawn('script', ['-q', '-e', '-c', quoted, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(argv[0]!, argv.slice(1), { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.collected += chunk.toString('latin1')));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.collected += chunk.toString('latin1')));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  get output(): string {
    return this.collected;
  }

  type(keys: string): void {
    this.child.stdin?.write(keys);
  }

  /** Waits until `needle` shows in the output (from character `from` on). */
  async waitFor(needle: string, timeoutMs = 60_000, from = 0): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.collected.includes(needle, from)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for '${needle}'; output:\n${this.collected}`);
      if (this.child.exitCode !== null) throw new Error(`exited before '${needle}'; output:\n${this.collected}`);
      await sleep(20);
    }
  }

  /** Types `line` until `expected` shows: the guest's shell may still be starting when it first arrives. */
  async run(line: string, expected: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.collected.includes(expected)) {
      if (Date.now() > deadline) throw new Error(`no '${expected}' after '${line}'; output:\n${this.collected}`);
      this.type(line);
      await this.waitFor(expected, 5000).catch((err: Error) => {
        if (this.child.exitCode !== null) throw err;
      });
    }
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.pid) await stopPid(this.child.pid, 2000);
  }
}

test('console: refused on a shut-off domain; on a terminal, boot output, a command, one session, ^] leaves with 0; then --force and the guest end without a terminal', () =>
  withQemuDaemon(async (root) => {
    const env = envFor(root);
    const c = ['-c', 'qemu:///session'];
    const conn = await open('qemu:///session', { env, autostart: false });
    const running: Tsvirsh[] = [];
    try {
      const { uuid } = await defineDomain(conn, guestXml('console-cli'));

      const off = await runTsvirsh([...c, 'console', 'console-cli'], env);
      assert.is(off.code, 1);
      assert.is(off.stderr, 'error: The domain is not running\n');

      // Paused until the console is attached, so that the whole boot shows: --resume starts it.
      await startDomain(conn, uuid, { paused: true });
      const started = Date.now();
      if (HAVE_SCRIPT) {
        const first = new Tsvirsh([...c, 'console', 'console-cli', '--resume'], { ...env, TERM: 'xterm' }, true);
        running.push(first);
        await first.waitFor("Connected to domain 'console-cli'\r\nEscape character is ^] (Ctrl + ])\r\n");
        await first.waitFor('TSVIRT-GUEST-DONE');
        const readyAfter = Date.now() - started;
        // Raw terminal: Enter is a CR, which the guest's tty turns into a line end.
        await first.run('echo TSVIRT-CLI-$((6*7))\r', 'TSVIRT-CLI-42');

        const busy = await runTsvirsh([...c, 'console', 'console-cli'], env);
        assert.is(busy.code, 1);
        assert.match(busy.stderr, 'error: operation failed: Active console session exists for this domain\n');

        first.type('\x1d');
        assert.is(await first.exited, 0);
        assert.ok(first.output.endsWith('\n'), 'leaves the cursor on a fresh line');
        process.stdout.write(`  guest shell answered through tsvirsh console ${readyAfter} ms after start\n`);

        // In the interactive shell: the console borrows the terminal from readline and gives it back.
        const shell = new Tsvirsh([...c], { ...env, TERM: 'xterm' }, true);
        running.push(shell);
        await shell.waitFor(PROMPT);
        shell.type('console console-cli\r');
        await shell.waitFor('Escape character is ^] (Ctrl + ])');
        await shell.run('echo TSVIRT-SHELL-$((5*5))\r', 'TSVIRT-SHELL-25');
        const beforeEscape = shell.output.length;
        shell.type('\x1d');
        await shell.waitFor(PROMPT, 10_000, beforeEscape);
        const afterConsole = shell.output.length;
        shell.type('domstate console-cli\r');
        await shell.waitFor('running', 10_000, afterConsole);
        shell.type('quit\r');
        assert.is(await shell.exited, 0);
      }

      // Without a terminal: a second session forces out the first, input is copied, and the guest's end ends it.
      const holder = new Tsvirsh([...c, 'console', 'console-cli'], env, false);
      running.push(holder);
      await holder.waitFor('Escape character is ^] (Ctrl + ])\n');
      await holder.run('echo TSVIRT-PIPE-$((2*3))\n', 'TSVIRT-PIPE-6');
      const taker = new Tsvirsh([...c, 'console', 'console-cli', '--force', '--safe'], env, false);
      running.push(taker);
      assert.is(await holder.exited, 0, 'the forced-out console ends normally');
      await taker.run('echo TSVIRT-PIPE-$((3*3))\n', 'TSVIRT-PIPE-9');
      assert.not.ok(holder.output.includes('TSVIRT-PIPE-9'));
      await destroyDomain(conn, uuid);
      assert.is(await taker.exited, 0, 'the console ends with the guest');
    } finally {
      for (const t of running) await t.close();
      await conn.close().catch(() => undefined);
    }
  }));

test.run();
