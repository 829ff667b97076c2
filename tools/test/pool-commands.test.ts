/**
 * tsvirsh's pool commands as processes against a real virtstoraged: a dir pool under the
 * test's temp root goes through define-as, list, build, start, info, autostart, refresh,
 * dumpxml, edit, destroy, delete and undefine; transient pools through pool-create(-as);
 * each output compared with the text virsh prints.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { prettyCapacity } from '../src/tsvirsh/commands/storage-format.js';
import { ok, outcome, storageVirsh, withStorageDaemon } from './pool-daemon.js';

const UUID_LINE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\n$/;
const SIZE = /^\d+\.\d\d (B|KiB|MiB|GiB|TiB|PiB)$/;

test('a dir pool from define-as to undefine, each step printed as virsh prints it', () =>
  withStorageDaemon(async (root) => {
    const target = join(root, 'p1');
    const run = (...args: string[]) => storageVirsh(root, args);

    assert.equal(outcome(await run('pool-define-as', 'p1', 'dir', '--target', target)), [0, 'Pool p1 defined\n\n', '']);
    assert.is(existsSync(target), false, 'defining builds nothing');
    assert.equal(outcome(await run('pool-list')), [
      0,
      ' Name   State   Autostart\n---------------------------\n\n',
      '',
    ]);
    assert.equal(outcome(await run('pool-list', '--all')), [
      0,
      ' Name   State      Autostart\n' + '------------------------------\n' + ' p1     inactive   no\n\n',
      '',
    ]);
    assert.equal(outcome(await run('pool-list', '--all', '--details')), [
      0,
      ' Name   State      Autostart   Persistent   Capacity   Allocation   Available\n' +
        '-------------------------------------------------------------------------------\n' +
        ' p1     inactive   no          yes          -          -            -\n\n',
      '',
    ]);

    assert.equal(outcome(await run('pool-build', 'p1')), [0, 'Pool p1 built\n\n', '']);
    assert.ok(existsSync(target), 'pool-build made the target directory');
    assert.equal(outcome(await run('pool-start', 'p1')), [0, 'Pool p1 started\n\n', '']);
    assert.equal(outcome(await run('pool-list')), [
      0,
      ' Name   State    Autostart\n' + '----------------------------\n' + ' p1     active   no\n\n',
      '',
    ]);

    const uuid = await ok(root, 'pool-uuid', 'p1');
    assert.match(uuid, UUID_LINE);
    assert.equal(outcome(await run('pool-name', uuid.trim())), [0, 'p1\n\n', '']);
    // pool-name takes a uuid only, pool-uuid a name only, as in virsh
    assert.equal(outcome(await run('pool-name', 'p1')), [1, '\n', "error: failed to get pool 'p1'\n"]);
    assert.equal(outcome(await run('pool-uuid', uuid.trim())), [
      1,
      '\n',
      `error: failed to get pool '${uuid.trim()}'\n` +
        `error: Storage pool not found: no storage pool with matching name '${uuid.trim()}'\n`,
    ]);

    // the sizes are the filesystem's; its capacity does not move while the test runs
    const fs = statfsSync(target);
    const info = await run('pool-info', 'p1');
    assert.is(info.code, 0, info.stderr);
    const lines = info.stdout.split('\n');
    assert.equal(lines.slice(0, 6), [
      'Name:           p1',
      `UUID:           ${uuid.trim()}`,
      'State:          running',
      'Persistent:     yes',
      'Autostart:      no',
      `Capacity:       ${prettyCapacity(fs.blocks * fs.bsize)}`,
    ]);
    assert.match(lines[6] ?? '', /^Allocation: {5}/);
    assert.match((lines[6] ?? '').slice(16), SIZE);
    assert.match(lines[7] ?? '', /^Available: {6}/);
    assert.match((lines[7] ?? '').slice(16), SIZE);
    assert.equal(lines.slice(8), ['', '']);
    const bytes = (await ok(root, 'pool-info', '--bytes', uuid.trim())).split('\n');
    assert.is(bytes[5], `Capacity:       ${fs.blocks * fs.bsize}`);
    // allocation and available move with whatever else writes to this filesystem: their sum is what must hold
    const allocation = Number((bytes[6] ?? '').slice(16));
    const available = Number((bytes[7] ?? '').slice(16));
    assert.match(bytes[6] ?? '', /^Allocation: {5}\d+$/);
    assert.match(bytes[7] ?? '', /^Available: {6}\d+$/);
    assert.ok(allocation > 0 && available > 0 && allocation + available <= fs.blocks * fs.bsize, bytes.join('\n'));

    const details = (await run('pool-list', '--details')).stdout.split('\n');
    assert.match(details[0] ?? '', /^ Name {3}State {5}Autostart {3}Persistent {3}Capacity +Allocation +Available$/);
    const capacityText = prettyCapacity(fs.blocks * fs.bsize);
    assert.match(details[2] ?? '', new RegExp(`^ p1 {5}running {3}no {10}yes {10}${capacityText} +\\d`));
    assert.is(details[1], '-'.repeat((details[0] ?? '').length + 2));

    assert.equal(outcome(await run('pool-autostart', 'p1')), [0, 'Pool p1 marked as autostarted\n\n', '']);
    assert.equal(outcome(await run('pool-list', '--autostart')), [
      0,
      ' Name   State    Autostart\n' + '----------------------------\n' + ' p1     active   yes\n\n',
      '',
    ]);
    assert.equal(outcome(await run('pool-list', '--no-autostart')), [
      0,
      ' Name   State   Autostart\n---------------------------\n\n',
      '',
    ]);
    assert.equal(outcome(await run('pool-autostart', 'p1', '--disable')), [
      0,
      'Pool p1 unmarked as autostarted\n\n',
      '',
    ]);
    assert.equal(outcome(await run('pool-refresh', 'p1')), [0, 'Pool p1 refreshed\n\n', '']);

    const inactiveXml = await ok(root, 'pool-dumpxml', '--inactive', 'p1');
    assert.match(inactiveXml, /^<pool type='dir'>\n {2}<name>p1<\/name>\n/);
    assert.match(inactiveXml, `<uuid>${uuid.trim()}</uuid>`);
    assert.match(inactiveXml, `<path>${target}</path>`);
    const liveXml = await ok(root, 'pool-dumpxml', 'p1');
    assert.match(liveXml, `<capacity unit='bytes'>${fs.blocks * fs.bsize}</capacity>`);

    // the pool is running: it cannot be undefined, and virsh says so in two lines
    const refused = await run('pool-undefine', 'p1');
    assert.equal(outcome(refused).slice(0, 2), [1, '\n']);
    assert.match(refused.stderr, /^error: Failed to undefine pool p1\nerror: .+\n$/);

    assert.equal(outcome(await run('pool-destroy', 'p1')), [0, 'Pool p1 destroyed\n\n', '']);
    assert.equal(outcome(await run('pool-info', 'p1')), [
      0,
      `Name:           p1\nUUID:           ${uuid.trim()}\nState:          inactive\nPersistent:     yes\nAutostart:      no\n\n`,
      '',
    ]);
    assert.ok(existsSync(target), 'destroy leaves the data');
    assert.equal(outcome(await run('pool-delete', 'p1')), [0, 'Pool p1 deleted\n\n', '']);
    assert.is(existsSync(target), false, 'pool-delete removed the directory');
    assert.equal(outcome(await run('pool-undefine', 'p1')), [0, 'Pool p1 has been undefined\n\n', '']);
    assert.equal(outcome(await run('pool-list', '--all')), [
      0,
      ' Name   State   Autostart\n---------------------------\n\n',
      '',
    ]);
    assert.equal(outcome(await run('pool-start', 'p1')), [
      1,
      '\n',
      "error: failed to get pool 'p1'\nerror: Storage pool not found: no storage pool with matching name 'p1'\n",
    ]);
  }));

test('transient pools: pool-create-as --build and pool-create from a file; pool-define from a file; filters', () =>
  withStorageDaemon(async (root) => {
    const run = (...args: string[]) => storageVirsh(root, args);
    assert.equal(outcome(await run('pool-create-as', 't1', 'dir', '--target', join(root, 't1'), '--build')), [
      0,
      'Pool t1 created\n\n',
      '',
    ]);
    assert.ok(existsSync(join(root, 't1')), '--build made the directory');

    const file = join(root, 't2.xml');
    writeFileSync(file, await ok(root, 'pool-define-as', 't2', 'dir', '--target', join(root, 't2'), '--print-xml'));
    assert.equal(outcome(await run('pool-create', file, '--build')), [0, `Pool t2 created from ${file}\n\n`, '']);
    const defFile = join(root, 'd1.xml');
    writeFileSync(defFile, await ok(root, 'pool-define-as', 'd1', 'dir', '--target', join(root, 'd1'), '--print-xml'));
    assert.equal(outcome(await run('pool-define', defFile)), [0, `Pool d1 defined from ${defFile}\n\n`, '']);

    assert.equal(outcome(await run('pool-list', '--all', '--name')), [
      0,
      `${'d1'.padEnd(20)}\n${'t1'.padEnd(20)}\n${'t2'.padEnd(20)}\n\n`,
      '',
    ]);
    assert.equal(outcome(await run('pool-list', '--transient', '--name')), [
      0,
      `${'t1'.padEnd(20)}\n${'t2'.padEnd(20)}\n\n`,
      '',
    ]);
    assert.equal(outcome(await run('pool-list', '--persistent', '--all', '--name')), [0, `${'d1'.padEnd(20)}\n\n`, '']);
    assert.equal(outcome(await run('pool-list', '--inactive', '--name')), [0, `${'d1'.padEnd(20)}\n\n`, '']);
    assert.equal(outcome(await run('pool-list', '--all', '--type', 'fs,logical', '--name')), [0, '\n', '']);
    assert.equal(outcome(await run('pool-list', '--all', '--type', 'dir', '--name')).slice(0, 2), [
      0,
      `${'d1'.padEnd(20)}\n${'t1'.padEnd(20)}\n${'t2'.padEnd(20)}\n\n`,
    ]);
    const uuids = await ok(root, 'pool-list', '--transient', '--uuid', '--name');
    assert.match(uuids, /^[0-9a-f-]{36} t1 {18}\n[0-9a-f-]{36} t2 {18}\n$/);
    assert.equal(outcome(await run('pool-list', '--type', 'nope')), [1, '\n', "error: Invalid pool type 'nope'\n"]);
    assert.equal(outcome(await run('pool-list', '--all', '--inactive')), [
      1,
      '\n',
      'error: Options --all and --inactive are mutually exclusive\n',
    ]);
    assert.equal(outcome(await run('pool-list', '--details', '--uuid')), [
      1,
      '\n',
      'error: Options --details and --uuid are mutually exclusive\n',
    ]);
    assert.equal(outcome(await run('pool-start', 'd1', '--overwrite', '--no-overwrite')), [
      1,
      '\n',
      'error: Options --overwrite and --no-overwrite are mutually exclusive\n',
    ]);

    // a transient pool is gone once stopped
    assert.equal(outcome(await run('pool-destroy', 't1')), [0, 'Pool t1 destroyed\n\n', '']);
    assert.equal(outcome(await run('pool-list', '--all', '--name')), [
      0,
      `${'d1'.padEnd(20)}\n${'t2'.padEnd(20)}\n\n`,
      '',
    ]);
    assert.equal(outcome(await run('pool-create', join(root, 'missing.xml'))), [
      1,
      '\n',
      `error: Failed to open file '${join(root, 'missing.xml')}': No such file or directory\n`,
    ]);
    assert.equal(outcome(await run('pool-destroy', 't2')), [0, 'Pool t2 destroyed\n\n', '']);
    assert.equal(outcome(await run('pool-undefine', 'd1')), [0, 'Pool d1 has been undefined\n\n', '']);
  }));

test('pool-edit: a changed target is defined again; an unchanged file is "not changed"', () =>
  withStorageDaemon(async (root) => {
    await ok(root, 'pool-define-as', 'e1', 'dir', '--target', join(root, 'before'));
    const editor = join(root, 'retarget.sh');
    writeFileSync(editor, `#!/bin/sh\nset -e\nsed -i "s|${root}/before|${root}/after|" "$1"\n`);
    chmodSync(editor, 0o755);
    const tmp = join(root, 'tmp');
    mkdirSync(tmp);
    const edited = await storageVirsh(root, ['pool-edit', 'e1'], { EDITOR: editor, VISUAL: '', TMPDIR: tmp });
    assert.equal(outcome(edited), [0, 'Pool e1 XML configuration edited.\n\n', '']);
    const xml = await ok(root, 'pool-dumpxml', '--inactive', 'e1');
    assert.match(xml, `<path>${root}/after</path>`);
    assert.not.match(xml, 'before');
    const unchanged = await storageVirsh(root, ['pool-edit', 'e1'], { EDITOR: 'true', VISUAL: '', TMPDIR: tmp });
    assert.equal(outcome(unchanged), [0, 'Pool e1 XML configuration not changed.\n\n', '']);
    assert.equal(readdirSync(tmp), [], 'the temp files are gone');

    // an edit the daemon refuses asks "Try again?"; 'n' keeps the definition as it was
    const breaker = join(root, 'break.sh');
    writeFileSync(breaker, `#!/bin/sh\nset -e\nsed -i "s|<pool type='dir'>|<pool type='nope'>|" "$1"\n`);
    chmodSync(breaker, 0o755);
    const refused = await storageVirsh(root, ['pool-edit', 'e1'], { EDITOR: breaker, VISUAL: '', TMPDIR: tmp }, 'n\n');
    assert.equal([refused.code, refused.stdout], [1, '\rFailed. Try again? [y,n,f,?]: \n\n']);
    // one error line, with libvirt's prefix for a schema failure
    assert.match(refused.stderr, /^error: XML document failed to validate against schema: [^\n]+\n$/);
    assert.is(await ok(root, 'pool-dumpxml', '--inactive', 'e1'), xml);
    assert.equal(readdirSync(tmp), []);
  }));

test('pool-capabilities lists the dir pool as supported', () =>
  withStorageDaemon(async (root) => {
    const caps = await ok(root, 'pool-capabilities');
    assert.match(caps, /^<storagepoolCapabilities>\n/);
    assert.match(caps, "<pool type='dir' supported='yes'>");
    assert.match(caps, /<\/storagepoolCapabilities>\n$/);
  }));

test.run();
