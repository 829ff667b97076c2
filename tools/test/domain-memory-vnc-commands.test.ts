/**
 * tsvirsh setmem, reboot, vncdisplay and list --title as a process, against the real
 * virtqemud running real QEMUs (no OS, under KVM).
 */
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseScaledInteger, vncFromXml } from '../src/tsvirsh/commands/domain.js';
import { envFor, qemusUnder, runTsvirsh, withQemuDaemon } from './helpers.js';

const SESSION = ['-q', '-c', 'qemu:///session'];
const UUID = 'c7a5fdbd-edaf-9455-926a-d65c16db1809';
const UUID2 = '3e3fce45-4f53-4fa7-bb32-11f34168b82b';

const virsh = (root: string, ...args: string[]) => runTsvirsh([...SESSION, ...args], envFor(root));

function writeVncDomain(root: string, name: string, uuid: string, title?: string): string {
  const file = join(root, `${name}.xml`);
  writeFileSync(
    file,
    `<domain type='kvm'>
  <name>${name}</name>
  <uuid>${uuid}</uuid>
${title !== undefined ? `  <title>${title}</title>\n` : ''}  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
    <memballoon model='virtio'/>
  </devices>
</domain>
`,
  );
  return file;
}

function rfbBanner(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(3000, () => socket.destroy(new Error('no banner')));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString('latin1'));
    });
    socket.once('error', reject);
  });
}

test('scaled integers as virsh reads them: KiB by default, k/M/G (1024s), KB/MB (1000s), b', () => {
  assert.is(parseScaledInteger('65536', 1024), 65536 * 1024);
  assert.is(parseScaledInteger('64M', 1024), 64 * 1024 * 1024);
  assert.is(parseScaledInteger('64MiB', 1024), 64 * 1024 * 1024);
  assert.is(parseScaledInteger('1G', 1024), 1024 ** 3);
  assert.is(parseScaledInteger('512k', 1024), 512 * 1024);
  assert.is(parseScaledInteger('1MB', 1024), 1_000_000);
  assert.is(parseScaledInteger('4096b', 1024), 4096);
  for (const bad of ['', 'abc', '-1', '1.5M', '10X', '10Mx']) assert.is(parseScaledInteger(bad, 1024), undefined, bad);
});

test('the VNC port and listen address of a domain XML', () => {
  assert.equal(
    vncFromXml(
      "<domain><devices><graphics type='vnc' port='5901' autoport='yes' listen='127.0.0.1'>\n<listen type='address' address='127.0.0.1'/></graphics></devices></domain>",
    ),
    { port: 5901, listen: '127.0.0.1' },
  );
  assert.equal(vncFromXml("<graphics type='vnc' port='5903'><listen type='address' address='::1'/></graphics>"), {
    port: 5903,
    listen: '::1',
  });
  assert.equal(vncFromXml("<graphics type='vnc' port='5902'/>"), { port: 5902, listen: undefined });
  assert.is(vncFromXml("<graphics type='spice' port='5902'/>"), undefined);
});

test('setmem, vncdisplay, reboot and list --title against a running domain', () =>
  withQemuDaemon(async (root) => {
    assert.is((await virsh(root, 'define', writeVncDomain(root, 'web1', UUID, 'Web server'))).code, 0);
    assert.is((await virsh(root, 'define', writeVncDomain(root, 'db1', UUID2))).code, 0);

    assert.equal(await virsh(root, 'list', '--all', '--title'), {
      code: 0,
      stdout: ' -    db1    shut off   \n -    web1   shut off   Web server\n',
      stderr: '',
    });
    assert.equal(await virsh(root, 'setmem', 'web1', '65536'), {
      code: 1,
      stdout: '',
      stderr: 'error: Requested operation is not valid: domain is not running\n',
    });
    assert.equal(await virsh(root, 'reboot', 'web1'), {
      code: 1,
      stdout: '',
      stderr: "error: Failed to reboot domain 'web1'\nerror: Requested operation is not valid: domain is not running\n",
    });
    assert.equal(await virsh(root, 'vncdisplay', 'web1'), {
      code: 1,
      stdout: '',
      stderr: 'error: Domain is not running\n',
    });

    assert.is((await virsh(root, 'start', 'web1')).code, 0);
    const [pid] = qemusUnder(root);
    assert.ok(pid);
    assert.is((await virsh(root, 'list', '--title')).stdout, ' 1    web1   running   Web server\n');

    // setmem: KiB by default, nothing printed on success, as virsh
    assert.equal(await virsh(root, 'setmem', 'web1', '65536'), { code: 0, stdout: '', stderr: '' });
    assert.match((await virsh(root, 'dumpxml', 'web1')).stdout, "<currentMemory unit='KiB'>65536</currentMemory>");
    assert.match(
      (await virsh(root, 'dumpxml', 'web1', '--inactive')).stdout,
      "<currentMemory unit='KiB'>131072</currentMemory>",
    );
    assert.equal(await virsh(root, 'setmem', 'web1', '96M'), { code: 0, stdout: '', stderr: '' });
    assert.match((await virsh(root, 'dumpxml', 'web1')).stdout, "<currentMemory unit='KiB'>98304</currentMemory>");
    assert.equal(await virsh(root, 'setmem', 'web1', '1G'), {
      code: 1,
      stdout: '',
      stderr: 'error: invalid argument: cannot set memory higher than max memory\n',
    });
    assert.equal(await virsh(root, 'setmem', 'web1', 'lots'), {
      code: 1,
      stdout: '',
      stderr: "error: Scaled numeric value 'lots' for <size> option is malformed or out of range\n",
    });
    // No guest balloon driver: QEMU still reports the full 128 MiB, and dominfo says so.
    assert.match((await virsh(root, 'dominfo', 'web1')).stdout, /Used memory: +131072 KiB\n/);

    const display = await virsh(root, 'vncdisplay', 'web1');
    assert.is(display.code, 0);
    const match = /^127\.0\.0\.1:(\d+)\n$/.exec(display.stdout);
    assert.ok(match, display.stdout);
    assert.is((await rfbBanner(5900 + Number(match[1]))).slice(0, 12), 'RFB 003.008\n');

    assert.equal(await virsh(root, 'reboot', 'web1'), {
      code: 0,
      stdout: "Domain 'web1' is being rebooted\n",
      stderr: '',
    });
    assert.is((await virsh(root, 'domstate', 'web1')).stdout, 'running\n');
    assert.equal(qemusUnder(root), [pid], 'the same QEMU');

    assert.is((await virsh(root, 'destroy', 'web1')).code, 0);
    assert.equal(qemusUnder(root), []);
  }));

test.run();
