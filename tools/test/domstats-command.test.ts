/**
 * tsvirsh domstats as a process against the real virtqemud and a real QEMU (no OS, under
 * KVM): virsh's record format, the group options, the list filters, named domains in the
 * order given, a read-only connection, and virsh's error for an unknown domain.
 */
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatStatsRecords } from '../src/tsvirsh/commands/domstats.js';
import { envFor, runTsvirsh, withQemuDaemon, writeDomain } from './helpers.js';

const SESSION = ['-c', 'qemu:///session'];
const ALPHA = '5b0a8a55-6a51-4d36-9a0c-1f1e3c4b2a01';
const BETA = '5b0a8a55-6a51-4d36-9a0c-1f1e3c4b2a02';

const virsh = (root: string, ...args: string[]) => runTsvirsh([...SESSION, ...args], envFor(root));

function writeAlpha(root: string): { xml: string; disk: string } {
  const disk = join(root, 'alpha.raw');
  writeFileSync(disk, '');
  truncateSync(disk, 8 * 1024 * 1024);
  const xml = join(root, 'alpha.xml');
  writeFileSync(
    xml,
    `<domain type='kvm'>
  <name>alpha</name>
  <uuid>${ALPHA}</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk>
    <interface type='user'><model type='virtio'/></interface>
    <memballoon model='virtio'/>
  </devices>
</domain>
`,
  );
  return { xml, disk };
}

test('records as virsh prints them: a header, two-space key=value lines, a blank line between records', () => {
  const text = formatStatsRecords([
    { domain: { name: 'a', uuid: ALPHA, id: 1 }, params: { 'state.state': 1, 'vcpu.0.halted': false, 'x.mode': 'y' } },
    { domain: { name: "b'c", uuid: BETA, id: -1 }, params: {} },
  ]);
  assert.is(text, "Domain: 'a'\n  state.state=1\n  vcpu.0.halted=no\n  x.mode=y\n\nDomain: 'b'c'\n");
  assert.is(formatStatsRecords([]), '');
});

test('domstats against a running and a shut-off domain', () =>
  withQemuDaemon(async (root) => {
    const { xml, disk } = writeAlpha(root);
    assert.is((await virsh(root, 'define', xml)).code, 0);
    assert.is((await virsh(root, 'define', writeDomain(root, 'beta', BETA))).code, 0);
    assert.is((await virsh(root, 'start', 'alpha')).code, 0);

    // The blank line after the last record is virsh's usual one after a command; -q drops it.
    const state = await virsh(root, 'domstats', '--state');
    assert.equal(state, {
      code: 0,
      stdout:
        "Domain: 'alpha'\n  state.state=1\n  state.reason=1\n\nDomain: 'beta'\n  state.state=5\n  state.reason=0\n\n",
      stderr: '',
    });
    const quiet = await virsh(root, '-q', 'domstats', '--state');
    assert.is(
      quiet.stdout,
      "Domain: 'alpha'\n  state.state=1\n  state.reason=1\n\nDomain: 'beta'\n  state.state=5\n  state.reason=0\n",
    );

    // Every group: the running domain's keys in libvirt's order, the shut-off one's exact values.
    const all = await virsh(root, '-q', 'domstats');
    assert.is(all.code, 0, all.stderr);
    const [alpha, beta] = all.stdout.split('\n\n');
    const alphaLines = alpha!.split('\n');
    assert.is(alphaLines[0], "Domain: 'alpha'");
    for (const line of alphaLines.slice(1)) assert.match(line, /^ {2}[a-z0-9.]+=\S+$/);
    assert.equal(
      alphaLines.slice(1).map((line) => line.slice(2, line.indexOf('='))),
      [
        'state.state',
        'state.reason',
        'cpu.time',
        'cpu.user',
        'cpu.system',
        'balloon.current',
        'balloon.maximum',
        'balloon.rss',
        'vcpu.current',
        'vcpu.maximum',
        'vcpu.0.state',
        'vcpu.0.time',
        'vcpu.0.wait',
        'vcpu.0.delay',
        'net.count',
        'block.count',
        'block.0.name',
        'block.0.path',
        'block.0.rd.reqs',
        'block.0.rd.bytes',
        'block.0.rd.times',
        'block.0.wr.reqs',
        'block.0.wr.bytes',
        'block.0.wr.times',
        'block.0.fl.reqs',
        'block.0.fl.times',
        'block.0.allocation',
        'block.0.capacity',
        'block.0.physical',
      ],
    );
    assert.ok(alphaLines.includes(`  block.0.path=${disk}`));
    assert.ok(alphaLines.includes('  block.0.capacity=8388608'));
    assert.is(
      beta,
      "Domain: 'beta'\n  state.state=5\n  state.reason=0\n  balloon.current=32768\n  balloon.maximum=32768\n  vcpu.current=1\n  vcpu.maximum=1\n  block.count=0\n",
    );

    // Filters, on a read-only connection.
    const running = await virsh(root, '-q', '-r', 'domstats', '--vcpu', '--list-running');
    assert.is(running.code, 0, running.stderr);
    assert.match(
      running.stdout,
      /^Domain: 'alpha'\n {2}vcpu\.current=1\n {2}vcpu\.maximum=1\n {2}vcpu\.0\.state=1\n {2}vcpu\.0\.time=\d+\n {2}vcpu\.0\.wait=\d+\n {2}vcpu\.0\.delay=\d+\n$/,
    );
    const shutoff = await virsh(root, '-q', 'domstats', '--state', '--list-shutoff');
    assert.is(shutoff.stdout, "Domain: 'beta'\n  state.state=5\n  state.reason=0\n");
    const inactive = await virsh(root, '-q', 'domstats', '--state', '--list-inactive');
    assert.is(inactive.stdout, shutoff.stdout);
    const none = await virsh(root, '-q', 'domstats', '--state', '--list-paused');
    assert.equal([none.code, none.stdout], [0, '']);

    // Named domains (by name or uuid) in the order given.
    const named = await virsh(root, '-q', 'domstats', '--balloon', BETA, 'alpha');
    assert.match(
      named.stdout,
      /^Domain: 'beta'\n {2}balloon\.current=32768\n {2}balloon\.maximum=32768\n\nDomain: 'alpha'\n/,
    );
    assert.match(named.stdout, /\n {2}balloon\.rss=\d+\n$/);

    const missing = await virsh(root, 'domstats', 'alpha', 'nope');
    // virsh prints its blank line after a failed command too
    assert.equal(missing, { code: 1, stdout: '\n', stderr: "error: failed to get domain 'nope'\n" });

    const info = await virsh(root, 'dominfo', 'alpha');
    assert.match(info.stdout, /\nCPU time: {7}\d+\.\ds\n/);
    assert.is((await virsh(root, 'destroy', 'alpha')).code, 0);
  }));

test.run();
