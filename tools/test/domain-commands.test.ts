/** tsvirsh's domain commands as a process against a real virtqemud in a temp root, compared with virsh's output. */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AdminConnection } from '@tsvirt/client';
import { formatTable } from '../src/tsvirsh/commands/domain.js';
import { envFor, runTsvirsh, withDaemon, writeDomain } from './helpers.js';

const SESSION = ['-q', '-c', 'qemu:///session'];
const UUID = 'c7a5fdbd-edaf-9455-926a-d65c16db1809';

const virsh = (root: string, ...args: string[]) => runTsvirsh([...SESSION, ...args], envFor(root));

test('vshTable layout: one leading space, columns padded by 2, dashes of width + 3', () => {
  const { head, body } = formatTable(
    ['Id', 'Name', 'State'],
    [
      ['1', 'fedora', 'running'],
      ['-', 'win10', 'shut off'],
    ],
  );
  assert.is(head, ' Id   Name     State\n' + '-'.repeat(5 + 9 + 11) + '\n');
  assert.is(body, ' 1    fedora   running\n -    win10    shut off\n');
});

test('define, list, dominfo, domstate, domid/uuid/name, dumpxml, autostart, undefine', () =>
  withDaemon(async (root) => {
    const file = writeDomain(root, 'web1', UUID, 512, 2);
    const defined = await virsh(root, 'define', file);
    assert.equal([defined.code, defined.stdout, defined.stderr], [0, `Domain 'web1' defined from ${file}\n`, '']);

    // not running: plain list shows nothing, --all and --inactive show it
    const plain = await runTsvirsh(['-c', 'qemu:///session', 'list'], envFor(root));
    assert.is(plain.stdout, ' Id   Name   State\n--------------------\n\n');
    const all = await runTsvirsh(['-c', 'qemu:///session', 'list', '--all'], envFor(root));
    assert.is(all.stdout, ' Id   Name   State\n-----------------------\n -    web1   shut off\n\n');
    assert.is((await virsh(root, 'list', '--inactive')).stdout, ' -    web1   shut off\n');
    assert.is((await virsh(root, 'list', '--all', '--name')).stdout, 'web1\n');
    assert.is((await virsh(root, 'list', '--all', '--uuid')).stdout, `${UUID}\n`);
    assert.is((await virsh(root, 'list', '--all', '--transient', '--name')).stdout, '');
    assert.is((await virsh(root, 'list', '--all', '--persistent', '--name')).stdout, 'web1\n');

    const info = await virsh(root, 'dominfo', 'web1');
    assert.is(info.code, 0);
    assert.is(
      info.stdout,
      [
        'Id:             -',
        'Name:           web1',
        `UUID:           ${UUID}`,
        'OS Type:        hvm',
        'State:          shut off',
        'CPU(s):         2',
        'Max memory:     524288 KiB',
        'Used memory:    524288 KiB',
        'Persistent:     yes',
        'Autostart:      disable',
        'Managed save:   no',
        'Security model: none',
        'Security DOI:   0',
        '',
      ].join('\n'),
    );
    assert.is((await virsh(root, 'domstate', 'web1')).stdout, 'shut off\n');
    assert.is((await virsh(root, 'domstate', UUID, '--reason')).stdout, 'shut off (unknown)\n');
    assert.is((await virsh(root, 'domid', 'web1')).stdout, '-\n');
    assert.is((await virsh(root, 'domuuid', 'web1')).stdout, `${UUID}\n`);
    assert.is((await virsh(root, 'domname', UUID.toUpperCase())).stdout, 'web1\n');

    const xml = await virsh(root, 'dumpxml', 'web1');
    assert.ok(xml.stdout.startsWith(`<domain type='kvm'>\n  <name>web1</name>\n  <uuid>${UUID}</uuid>\n`), xml.stdout);
    assert.ok(xml.stdout.endsWith('</domain>\n'));
    assert.is((await virsh(root, 'dumpxml', '--inactive', 'web1')).stdout, xml.stdout);

    assert.is((await virsh(root, 'autostart', 'web1')).stdout, "Domain 'web1' marked as autostarted\n");
    assert.match((await virsh(root, 'dominfo', 'web1')).stdout, /^Autostart: {6}enable$/m);
    assert.is((await virsh(root, 'list', '--all', '--autostart', '--name')).stdout, 'web1\n');
    assert.is((await virsh(root, 'list', '--all', '--no-autostart', '--name')).stdout, '');
    assert.is((await virsh(root, 'autostart', '--disable', 'web1')).stdout, "Domain 'web1' unmarked as autostarted\n");

    const undefined_ = await virsh(root, 'undefine', 'web1');
    assert.equal(
      [undefined_.code, undefined_.stdout, undefined_.stderr],
      [0, "Domain 'web1' has been undefined\n", ''],
    );
    assert.is((await virsh(root, 'list', '--all', '--name')).stdout, '');
    assert.not.ok(existsSync(join(root, 'lib', 'virtqemud', 'domains', 'web1.xml')));
  }));

test('errors are printed as virsh prints them', () =>
  withDaemon(async (root) => {
    const missing = await virsh(root, 'dominfo', 'nope');
    assert.equal([missing.code, missing.stdout, missing.stderr], [1, '', "error: failed to get domain 'nope'\n"]);
    const undef = await virsh(root, 'undefine', '7');
    assert.is(undef.stderr, "error: failed to get domain '7'\n");

    const file = writeDomain(root, 'web1', UUID, 512, 2);
    await virsh(root, 'define', file);
    const clash = writeDomain(root, 'web1', '3e3fce45-4f53-4fa7-bb32-11f34168b82b', 512, 2);
    const refused = await virsh(root, 'define', clash);
    assert.is(refused.code, 1);
    assert.is(
      refused.stderr,
      `error: Failed to define domain from ${clash}\nerror: operation failed: domain 'web1' already exists with uuid ${UUID}\n`,
    );
    const bad = join(root, 'bad.xml');
    writeFileSync(bad, '<domain type="kvm"><name>x</name>');
    const badXml = await virsh(root, 'define', bad);
    assert.is(badXml.code, 1);
    assert.ok(badXml.stderr.startsWith(`error: Failed to define domain from ${bad}\nerror: `), badXml.stderr);

    const ro = await runTsvirsh(['-q', '-r', '-c', 'qemu:///session', 'undefine', 'web1'], envFor(root));
    assert.is(ro.code, 1);
    assert.match(
      ro.stderr,
      /^error: Failed to undefine domain 'web1'\nerror: operation forbidden: read only access prevents domain\.undefine\n$/,
    );
    const noEvent = await virsh(root, 'event');
    assert.is(noEvent.stderr, 'error: one of --list, --all, or --event <type> is required\n');
  }));

test('event --loop prints lifecycle events as virsh does, then times out', () =>
  withDaemon(async (root) => {
    const file = writeDomain(root, 'web1', UUID, 512, 2);
    const watching = runTsvirsh(
      [...SESSION, 'event', '--event', 'lifecycle', '--loop', '--timeout', '4'],
      envFor(root),
    );
    // subscribed once a read-write client has been served connect.open and connect.eventRegister
    const admin = await AdminConnection.open('virtqemud', 'qemu:///session', envFor(root));
    try {
      const deadline = Date.now() + 10_000;
      while (!(await admin.listClients()).some((c) => c.socket === 'rw' && c.callsServed >= 2)) {
        if (Date.now() > deadline) throw new Error('tsvirsh event never subscribed');
        await sleep(25);
      }
    } finally {
      admin.close();
    }
    await virsh(root, 'define', file);
    await virsh(root, 'define', file);
    await virsh(root, 'undefine', 'web1');
    const result = await watching;
    assert.is(result.code, 0, result.stderr);
    assert.is(
      result.stdout,
      [
        "event 'lifecycle' for domain 'web1': Defined Added",
        "event 'lifecycle' for domain 'web1': Defined Updated",
        "event 'lifecycle' for domain 'web1': Undefined Removed",
        'event loop timed out',
        'events received: 3',
        '',
      ].join('\n'),
    );
  }));

test.run();
