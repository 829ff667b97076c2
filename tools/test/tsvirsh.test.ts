/** tsvirsh as a process against a real virtqemud in a fresh root: one-shot commands, pipes, errors, autostart. */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TSVIRT_VERSION } from '@tsvirt/client';
import { envFor, makeRoot, nonBlankLines, removeRoot, runTsvirsh, stopDaemonOfRoot, withDaemon } from './helpers.js';

const SESSION = ['-c', 'qemu:///session'];
const UNREACHABLE = 'qemu:///session?socket=/nonexistent/sock';

/** Runs `body` with a fresh root and no daemon; the root goes away afterwards. */
async function withRoot(body: (root: string) => Promise<void>): Promise<void> {
  const root = makeRoot();
  try {
    await body(root);
  } finally {
    removeRoot(root);
  }
}

test('version prints the four virsh lines, and the daemon line with --daemon', () =>
  withDaemon(async (root) => {
    const plain = await runTsvirsh([...SESSION, 'version'], envFor(root));
    assert.is(plain.stderr, '');
    assert.is(plain.code, 0);
    const lines = nonBlankLines(plain.stdout);
    assert.is(lines.length, 4, plain.stdout);
    assert.is(lines[0], `Compiled against library: tsvirt ${TSVIRT_VERSION}`);
    assert.is(lines[1], `Using library: tsvirt ${TSVIRT_VERSION}`);
    assert.is(lines[2], `Using API: QEMU ${TSVIRT_VERSION}`);
    assert.match(
      lines[3] ?? '',
      /^(Running hypervisor: QEMU \d+\.\d+\.\d+|Cannot extract running QEMU hypervisor version)$/,
    );
    // virsh's blank line after the command
    assert.ok(plain.stdout.endsWith('\n\n'));

    const daemon = await runTsvirsh([...SESSION, 'version', '--daemon'], envFor(root));
    assert.is(daemon.code, 0);
    assert.is(nonBlankLines(daemon.stdout)[4], `Running against daemon: ${TSVIRT_VERSION}`);
  }));

test('uri and hostname, one-shot, and -q drops the blank line', () =>
  withDaemon(async (root) => {
    const uri = await runTsvirsh([...SESSION, 'uri'], envFor(root));
    assert.equal([uri.code, uri.stdout, uri.stderr], [0, 'qemu:///session\n\n', '']);
    const host = await runTsvirsh(['-q', ...SESSION, 'hostname'], envFor(root));
    assert.equal([host.code, host.stdout, host.stderr], [0, `${hostname()}\n`, '']);
  }));

test('capabilities and domcapabilities print the XML virsh prints', () =>
  withDaemon(async (root) => {
    const caps = await runTsvirsh(['-q', ...SESSION, 'capabilities'], envFor(root));
    assert.is(caps.code, 0, caps.stderr);
    assert.match(caps.stdout, /^<capabilities>\n/);
    assert.match(caps.stdout, /<arch>x86_64<\/arch>/);
    const dom = await runTsvirsh(
      ['-q', ...SESSION, 'domcapabilities', '--virttype', 'qemu', '--machine', 'pc'],
      envFor(root),
    );
    assert.is(dom.code, 0, dom.stderr);
    assert.match(dom.stdout, /<domain>qemu<\/domain>/);
    const bad = await runTsvirsh([...SESSION, 'domcapabilities', '--machine', 'nope'], envFor(root));
    assert.is(bad.code, 1);
    assert.match(bad.stderr, /^error: .*nope/m);
  }));

test('a command string with ; runs each command; a pipe feeds the shell line by line', () =>
  withDaemon(async (root) => {
    const oneShot = await runTsvirsh([...SESSION, 'uri; echo "a  b"'], envFor(root));
    assert.equal(nonBlankLines(oneShot.stdout), ['qemu:///session', 'a  b']);

    const piped = await runTsvirsh(SESSION, envFor(root), 'version; uri\nhostname\n');
    assert.is(piped.code, 0);
    assert.is(piped.stderr, '');
    const lines = nonBlankLines(piped.stdout);
    assert.is(lines[0], `Compiled against library: tsvirt ${TSVIRT_VERSION}`);
    assert.equal(lines.slice(4), ['qemu:///session', hostname()]);
    // no banner, no prompt under a pipe
    assert.not.ok(piped.stdout.includes('Welcome'));
    assert.not.ok(piped.stdout.includes('tsvirsh '));
  }));

test('connect switches the connection in the shell', () =>
  withDaemon(async (root) => {
    const result = await runTsvirsh(['-c', UNREACHABLE], envFor(root), 'connect qemu:///session --readonly\nuri\n');
    assert.is(result.stderr, '');
    assert.equal(nonBlankLines(result.stdout), ['qemu:///session']);
    assert.is(result.code, 0);
  }));

test('an unknown command fails with status 1 and virsh message, with or without a connection', () =>
  withRoot(async (root) => {
    const oneShot = await runTsvirsh([...SESSION, 'foo'], envFor(root));
    assert.equal([oneShot.code, oneShot.stdout, oneShot.stderr], [1, '', "error: unknown command: 'foo'\n"]);
    const option = await runTsvirsh(['version', '--bar'], envFor(root));
    assert.equal([option.code, option.stderr], [1, "error: command 'version' doesn't support option --bar\n"]);
    const piped = await runTsvirsh([], envFor(root), 'foo\n');
    assert.equal([piped.code, piped.stderr], [1, "error: unknown command: 'foo'\n"]);
    // nothing was started to answer any of it
    assert.not.ok(existsSync(join(root, 'run', 'virtqemud.pid')));
  }));

test('a daemon that is not there, with autostart impossible: two error lines, status 1', () =>
  withRoot(async (root) => {
    const result = await runTsvirsh(['-c', UNREACHABLE, 'uri'], envFor(root));
    assert.is(result.code, 1);
    const lines = result.stderr.split('\n');
    assert.is(lines[0], 'error: failed to connect to the hypervisor');
    assert.match(lines[1] ?? '', /^error: .*\/nonexistent\/sock/);
    assert.is(lines.length, 3, result.stderr);
  }));

test('usage errors, -h and -v', () =>
  withRoot(async (root) => {
    const bad = await runTsvirsh(['-x'], envFor(root));
    assert.equal([bad.code, bad.stderr], [1, "error: unsupported option '-x'. See --help.\n"]);
    const help = await runTsvirsh(['-h'], envFor(root));
    assert.is(help.code, 0);
    assert.ok(help.stdout.includes('tsvirsh [options]... <command> [args...]'));
    const version = await runTsvirsh(['-v'], envFor(root));
    assert.equal([version.code, version.stdout], [0, `${TSVIRT_VERSION}\n`]);
  }));

test('with no daemon running, the client autostarts one in the root', () =>
  withRoot(async (root) => {
    try {
      const result = await runTsvirsh([...SESSION, 'uri'], envFor(root));
      assert.equal([result.code, result.stdout, result.stderr], [0, 'qemu:///session\n\n', '']);
      assert.ok(existsSync(join(root, 'run', 'virtqemud.pid')));
    } finally {
      await stopDaemonOfRoot(root);
    }
  }));

test.run();
