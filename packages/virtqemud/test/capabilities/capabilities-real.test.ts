/** capabilities and domcapabilities of this very host and the installed QEMU, checked against facts read independently. Every QEMU is killed by PID. */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import {
  clearQemuProbeCache,
  formatCapabilities,
  formatDomainCapabilities,
  probeHost,
  probeQemu,
} from '../../src/capabilities/index.js';
import { attrs, libvirtSchemaErrors, libvirtSchemasPresent, parse, texts } from './fixtures.js';

const QEMU = process.env.QEMU_BINARY ?? 'qemu-system-x86_64';

function kvmOpens(): boolean {
  try {
    closeSync(openSync('/dev/kvm', 'r+'));
    return true;
  } catch {
    return false;
  }
}

/** MemTotal as the kernel states it: the NUMA nodes' sum when sysfs has nodes, else /proc/meminfo. */
function hostMemoryKiB(): number {
  const nodeDir = '/sys/devices/system/node';
  const nodes = existsSync(nodeDir) ? readdirSync(nodeDir).filter((n) => /^node\d+$/.test(n)) : [];
  const total = (text: string): number => Number(/MemTotal:\s+(\d+)/.exec(text)?.[1]);
  if (nodes.length === 0) return total(readFileSync('/proc/meminfo', 'utf8'));
  return nodes.reduce((sum, n) => sum + total(readFileSync(`${nodeDir}/${n}/meminfo`, 'utf8')), 0);
}

/** QEMU's default machine from `-machine help`, which does not go through QMP at all. */
function qemuDefaultMachine(): string {
  const help = execFileSync(QEMU, ['-machine', 'help'], { encoding: 'utf8' });
  const line = help.split('\n').find((l) => l.includes('(default)'));
  assert.ok(line, 'QEMU names a default machine');
  return line.trim().split(/\s+/)[0]!;
}

/**
 * PIDs of QEMUs this test process's probes started (their socket lives in a
 * tsvirt-qemu-probe- directory); children of this process only, so that probes run by
 * other processes at the same time do not count.
 */
function probeQemus(): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const parent = Number(readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
        return parent === process.pid && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('tsvirt-qemu-probe-');
      } catch {
        return false;
      }
    })
    .map(Number);
}

test('the real host and QEMU: topology, memory, machines and KVM agree with the kernel and QEMU', async () => {
  clearQemuProbeCache();
  const hostStarted = performance.now();
  const host = await probeHost();
  const hostMs = performance.now() - hostStarted;
  const probe = await probeQemu(QEMU);
  console.log(
    `  host probe ${hostMs.toFixed(1)} ms; QEMU probe ${probe.probeMs.toFixed(1)} ms ` +
      `(${probe.info.cpuDefinitionsKvm ? 'TCG + KVM starts' : 'TCG start only'}), KVM usable: ${probe.info.kvm.usable}`,
  );
  assert.is(probe.cached, false);
  assert.equal(probeQemus(), [], 'no probe QEMU left running');

  const capsXml = formatCapabilities(host, probe.info);
  if (libvirtSchemasPresent()) assert.equal(libvirtSchemaErrors(capsXml, 'capability.rng'), []);
  const caps = parse(capsXml);
  const nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  const cpuCounts = attrs(caps, '/capabilities/host/topology/cells/cell/cpus/@num').map(Number);
  assert.is(
    cpuCounts.reduce((a, b) => a + b, 0),
    nproc,
  );
  const memory = texts(caps, '/capabilities/host/topology/cells/cell/memory').map(Number);
  assert.is(
    memory.reduce((a, b) => a + b, 0),
    hostMemoryKiB(),
  );
  assert.equal(texts(caps, '/capabilities/host/cpu/arch'), ['x86_64']);

  const x86 = "/capabilities/guest[arch/@name='x86_64']/arch";
  const defaultMachine = qemuDefaultMachine();
  assert.ok(texts(caps, `${x86}/machine`).includes(defaultMachine), defaultMachine);
  assert.is(texts(caps, `${x86}/machine`)[0], defaultMachine, 'listed first');
  assert.is(caps.find(`${x86}/domain[@type='qemu']`).length, 1);
  assert.is(caps.find(`${x86}/domain[@type='kvm']`).length, kvmOpens() ? 1 : 0, 'kvm iff /dev/kvm opens');

  const domXml = formatDomainCapabilities(probe.info, { virttype: 'qemu' });
  if (libvirtSchemasPresent()) assert.equal(libvirtSchemaErrors(domXml, 'domaincaps.rng'), []);
  const dom = parse(domXml);
  assert.equal(texts(dom, '/domainCapabilities/machine'), [defaultMachine]);
  assert.ok(texts(dom, "//cpu/mode[@name='custom']/model[@usable='yes']").includes('qemu64'));
  if (kvmOpens()) {
    const kvm = parse(formatDomainCapabilities(probe.info));
    assert.equal(texts(kvm, '/domainCapabilities/domain'), ['kvm']);
  }
});

test('the probe is cached per binary and mtime, and cleared on demand', async () => {
  const first = await probeQemu(QEMU);
  const again = await probeQemu(QEMU);
  assert.is(again.cached, true);
  assert.is(again.info, first.info, 'the same object');
  clearQemuProbeCache();
  const fresh = await probeQemu(QEMU);
  assert.is(fresh.cached, false);
  assert.equal(fresh.info.machines, first.info.machines);
  assert.equal(probeQemus(), []);
});

test('without an openable KVM device: no kvm domain type, and domcapabilities for kvm is refused', async () => {
  const { info } = await probeQemu(QEMU, { kvmDevice: '/nonexistent/kvm', probeKvmCpuModels: false });
  assert.is(info.kvm.usable, false);
  assert.is(info.cpuDefinitionsKvm, undefined);
  const host = await probeHost();
  assert.is(parse(formatCapabilities(host, info)).find("//domain[@type='kvm']").length, 0);
  try {
    formatDomainCapabilities(info, { virttype: 'kvm' });
    assert.unreachable();
  } catch (err) {
    assert.is((err as VirError).code, ErrorCode.CONFIG_UNSUPPORTED);
  }
});

test('a binary that is not QEMU fails as OPERATION_FAILED, and a missing one is named', async () => {
  for (const [binary, message] of [
    ['/bin/false', "cannot probe '/bin/false'"],
    ['no-such-qemu-system-x86_64', "cannot find emulator 'no-such-qemu-system-x86_64' in PATH"],
  ] as const) {
    const started = performance.now();
    try {
      await probeQemu(binary, { timeoutMs: 10_000 });
      assert.unreachable(binary);
    } catch (err) {
      assert.instance(err, VirError);
      assert.is((err as VirError).code, ErrorCode.OPERATION_FAILED);
      assert.is((err as VirError).domain, ErrorDomain.CAPABILITIES);
      assert.match((err as Error).message, message);
    }
    assert.ok(performance.now() - started < 5000, 'reported at once, not after the timeout');
  }
  assert.equal(probeQemus(), []);
});

test.run();
