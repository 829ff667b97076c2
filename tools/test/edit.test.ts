/**
 * `tsvirsh edit` as a process against a real virtqemud, with $EDITOR set to small scripts
 * that rewrite the temp file the way a user would; the "Try again?" answers come on stdin.
 */
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { envFor, runTsvirsh, withDaemon, writeDomain } from './helpers.js';

const SESSION = ['-c', 'qemu:///session'];
const UUID = '9b2f4e1a-7c3d-4e5f-8a6b-0c1d2e3f4a5b';
const PROMPT = '\rFailed. Try again? [y,n,f,?]: ';

/** An executable editor script in `root`; it gets the temp file as $1. */
function editorScript(root: string, name: string, body: string): string {
  const file = join(root, name);
  writeFileSync(file, `#!/bin/sh\nset -e\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** The environment for one edit: the editor, and a private TMPDIR to see the temp file go. */
function editEnv(root: string, editor: string): NodeJS.ProcessEnv {
  const tmp = join(root, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const env = envFor(root, { EDITOR: editor, TMPDIR: tmp });
  delete env.VISUAL;
  return env;
}

async function defineEd1(root: string): Promise<string> {
  const defined = await runTsvirsh([...SESSION, 'define', writeDomain(root, 'ed1', UUID, 32)], envFor(root));
  assert.is(defined.code, 0, defined.stderr);
  return dumpxml(root);
}

async function dumpxml(root: string): Promise<string> {
  const result = await runTsvirsh(['-q', ...SESSION, 'dumpxml', '--inactive', 'ed1'], envFor(root));
  assert.is(result.code, 0, result.stderr);
  return result.stdout;
}

const SET_MEMORY_64M = `sed -i "s|<memory unit='KiB'>[0-9]*</memory>|<memory unit='KiB'>65536</memory>|" "$1"`;

test('an edit that changes the memory is defined: dumpxml shows it, the temp file is gone', () =>
  withDaemon(async (root) => {
    const before = await defineEd1(root);
    assert.match(before, "<memory unit='KiB'>32768</memory>");
    // the script also keeps a copy of what it was given: the inactive XML, in a tsvirsh*.xml file
    const editor = editorScript(
      root,
      'set-memory.sh',
      `cp "$1" "${root}/seen.xml"\necho "$1" > "${root}/seen-name"\n${SET_MEMORY_64M}`,
    );
    const result = await runTsvirsh([...SESSION, 'edit', 'ed1'], editEnv(root, editor));
    assert.equal([result.code, result.stdout, result.stderr], [0, "Domain 'ed1' XML configuration edited.\n\n", '']);
    assert.is(readFileSync(join(root, 'seen.xml'), 'utf8').trimEnd(), before.trimEnd());
    assert.match(
      readFileSync(join(root, 'seen-name'), 'utf8'),
      new RegExp(`^${join(root, 'tmp')}/tsvirsh\\w{6}\\.xml\\n$`),
    );
    assert.equal(readdirSync(join(root, 'tmp')), []);
    const after = await dumpxml(root);
    assert.match(after, "<memory unit='KiB'>65536</memory>");
    assert.not.match(after, "<memory unit='KiB'>32768</memory>");
  }));

test('an edit that changes nothing: "not changed", nothing defined', () =>
  withDaemon(async (root) => {
    const before = await defineEd1(root);
    const result = await runTsvirsh([...SESSION, 'edit', 'ed1'], editEnv(root, 'true'));
    assert.equal(
      [result.code, result.stdout, result.stderr],
      [0, "Domain 'ed1' XML configuration not changed.\n\n", ''],
    );
    assert.is(await dumpxml(root), before);
  }));

test("an invalid edit answered 'n' leaves the definition as it was and fails", () =>
  withDaemon(async (root) => {
    const before = await defineEd1(root);
    const editor = editorScript(root, 'break.sh', `sed -i "s|<memory |<memoryy |" "$1"`);
    const result = await runTsvirsh([...SESSION, 'edit', 'ed1'], editEnv(root, editor), 'n\n');
    assert.is(result.code, 1);
    assert.is(result.stdout, `${PROMPT}\n\n`);
    const errors = result.stderr.split('\n').filter(Boolean);
    assert.is(errors.length, 1, result.stderr);
    assert.match(errors[0]!, /^error: .*memory/);
    assert.is(await dumpxml(root), before);
    assert.equal(readdirSync(join(root, 'tmp')), []);
  }));

test("'?' explains, 'f' defines the same file again, 'y' edits it again: the second edit is defined", () =>
  withDaemon(async (root) => {
    await defineEd1(root);
    // first run: break the XML; second run (the same file, still broken): repair it and set 64 MiB
    const editor = editorScript(
      root,
      'twice.sh',
      [
        `n=$(cat "${root}/runs" 2>/dev/null || echo 0); echo $((n + 1)) > "${root}/runs"`,
        `if [ "$n" = 0 ]; then sed -i "s|<memory |<memoryy |" "$1"; exit 0; fi`,
        `sed -i "s|<memoryy |<memory |" "$1"`,
        SET_MEMORY_64M,
      ].join('\n'),
    );
    const result = await runTsvirsh([...SESSION, 'edit', 'ed1'], editEnv(root, editor), '?\nf\ny\n');
    assert.is(result.code, 0, result.stderr);
    const help = [
      '',
      'y - yes, start editor again',
      'n - no, throw away my changes',
      'f - force, try to redefine again',
      '? - print this help',
      '',
    ].join('\n');
    assert.is(result.stdout, `${PROMPT}${help}${PROMPT}\n${PROMPT}\nDomain 'ed1' XML configuration edited.\n\n`);
    assert.is(result.stderr.split('\n').filter(Boolean).length, 2, 'the define failed twice');
    assert.is(readFileSync(join(root, 'runs'), 'utf8'), '2\n');
    assert.match(await dumpxml(root), "<memory unit='KiB'>65536</memory>");
  }));

test('a new name with the same uuid is refused by the define, as libvirt does; the domain keeps its name', () =>
  withDaemon(async (root) => {
    const before = await defineEd1(root);
    const editor = editorScript(root, 'rename.sh', `sed -i "s|<name>ed1</name>|<name>ed2</name>|" "$1"`);
    const result = await runTsvirsh([...SESSION, 'edit', 'ed1'], editEnv(root, editor), 'n\n');
    assert.is(result.code, 1);
    assert.is(result.stderr, `error: operation failed: domain 'ed1' is already defined with uuid ${UUID}\n`);
    const names = await runTsvirsh(['-q', ...SESSION, 'list', '--all', '--name'], envFor(root));
    assert.is(names.stdout, 'ed1\n');
    assert.is(await dumpxml(root), before);
  }));

test('an editor that fails: its exit status is reported and nothing is defined', () =>
  withDaemon(async (root) => {
    const before = await defineEd1(root);
    const editor = editorScript(root, 'fail.sh', `${SET_MEMORY_64M}\nexit 3`);
    const result = await runTsvirsh([...SESSION, 'edit', 'ed1'], editEnv(root, editor));
    assert.is(result.code, 1);
    assert.match(result.stderr, /^error: Child process \(.*fail\.sh .*tsvirsh\w{6}\.xml\) unexpected exit status 3\n$/);
    assert.is(await dumpxml(root), before);
  }));

test.run();
