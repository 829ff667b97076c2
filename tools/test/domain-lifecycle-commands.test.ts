/**
 * tsvirsh start, create, suspend, resume, reset, shutdown, destroy as a process, against
 * the real virtqemud running real QEMUs (no OS, under KVM).
 */

import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { envFor, qemusUnder, runTsvirsh, withQemuDaemon, writeDomain } from './helpers.js';

const SESSION = ['-q', '-c', 'qemu:///session'];
const UUID = 'c7a5fdbd-edaf-9455-926a-d65c16db1809';
const UUID2 = '3e3fce45-4f53-4fa7-bb32-11f34168b82b';

const virsh = (root: string, ...args: string[]) => runTsvirsh([...SESSION, ...args], envFor(root));

test('start, suspend, resume, reset, shutdown, destroy: virsh lines, states and refusals', () =>
  withQemuDaemon(async (root) => {
    const file = writeDomain(root, 'web1', UUID);
    assert.is((await virsh(root, 'define', file)).code, 0);

    assert.equal(await virsh(root, 'start', 'web1'), { code: 0, stdout: "Domain 'web1' started\n", stderr: '' });
    assert.is(qemusUnder(root).length, 1);
    assert.is((await virsh(root, 'list')).stdout, ' 1    web1   running\n');
    assert.equal(await virsh(root, 'start', 'web1'), {
      code: 1,
      stdout: '',
      stderr: 'error: Domain is already active\n',
    });

    assert.equal(await virsh(root, 'suspend', 'web1'), { code: 0, stdout: "Domain 'web1' suspended\n", stderr: '' });
    assert.is((await virsh(root, 'domstate', 'web1', '--reason')).stdout, 'paused (user)\n');
    assert.equal(await virsh(root, 'resume', '1'), { code: 0, stdout: "Domain 'web1' resumed\n", stderr: '' });
    assert.is((await virsh(root, 'domstate', 'web1', '--reason')).stdout, 'running (unpaused)\n');
    assert.equal(await virsh(root, 'resume', 'web1'), {
      code: 1,
      stdout: '',
      stderr: "error: Failed to resume domain 'web1'\nerror: Requested operation is not valid: domain is not paused\n",
    });
    assert.equal(await virsh(root, 'reset', 'web1'), { code: 0, stdout: "Domain 'web1' was reset\n", stderr: '' });
    assert.equal(await virsh(root, 'shutdown', UUID), {
      code: 0,
      stdout: "Domain 'web1' is being shutdown\n",
      stderr: '',
    });

    assert.equal(await virsh(root, 'destroy', 'web1'), { code: 0, stdout: "Domain 'web1' destroyed\n", stderr: '' });
    assert.is((await virsh(root, 'domstate', 'web1', '--reason')).stdout, 'shut off (destroyed)\n');
    assert.equal(await virsh(root, 'destroy', 'web1'), {
      code: 1,
      stdout: '',
      stderr:
        "error: Failed to destroy domain 'web1'\nerror: Requested operation is not valid: domain is not running\n",
    });

    assert.equal(await virsh(root, 'start', 'web1', '--paused'), {
      code: 0,
      stdout: "Domain 'web1' started\n",
      stderr: '',
    });
    assert.is((await virsh(root, 'domstate', 'web1')).stdout, 'paused\n');
    assert.is((await virsh(root, 'destroy', 'web1')).code, 0);
    assert.equal(qemusUnder(root), []);
  }));

test('create FILE [--paused]: a transient domain, gone once destroyed; a missing file is reported', () =>
  withQemuDaemon(async (root) => {
    const file = writeDomain(root, 'tr1', UUID2);
    assert.equal(await virsh(root, 'create', file, '--paused'), {
      code: 0,
      stdout: `Domain 'tr1' created from ${file}\n`,
      stderr: '',
    });
    assert.is((await virsh(root, 'list', '--transient')).stdout, ' 1    tr1    paused\n');
    assert.is((await virsh(root, 'destroy', 'tr1')).code, 0);
    assert.is((await virsh(root, 'list', '--all', '--name')).stdout, '');

    const missing = await virsh(root, 'create', join(root, 'nope.xml'));
    assert.is(missing.code, 1);
    assert.is(missing.stderr, `error: Failed to open file '${join(root, 'nope.xml')}': ENOENT\n`);
  }));

test.run();
