/**
 * Features, clock, sysinfo, channels and sound beyond the golden files: libvirt's own schema
 * as an outside check of their outputs, the enlightenments this host's QEMU cannot start
 * (so no argv fixture runs them), the q35 power-management device, SPICE audio, and the
 * runtime-only parts of a channel.
 */
import { existsSync, readFileSync } from 'node:fs';
import libxml from 'libxmljs2';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, VirError } from '@tsvirt/common';
import { domainDefFromXml, formatDomainDef } from '../../src/conf/domain-xml.js';
import { cpuFeatureProps, withCpuFeatures } from '../../src/qemu/command-line/cpu-features.js';
import { pmArgs } from '../../src/qemu/command-line/power-management.js';
import { rtcArgs } from '../../src/qemu/command-line/clock.js';
import { buildQemuCommandLine } from '../../src/qemu/command-line/index.js';
import { fakeRuntime } from '../command-line/fixtures.js';

const LIBVIRT_DOMAIN_RNG = '/usr/share/libvirt/schemas/domain.rng';
const OUT = new URL('../../../test/fixtures/domainxml2xml/out/', import.meta.url);
const DETERMINISTIC = {
  generateUuid: () => '00000000-0000-4000-8000-000000000001',
  generateMacTail: () => new Uint8Array([1, 2, 3]),
};

const def = (body: string, machine = 'pc', type = 'kvm'): ReturnType<typeof domainDefFromXml> =>
  domainDefFromXml(
    `<domain type='${type}'><name>t</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
     <os><type arch='x86_64' machine='${machine}'>hvm</type></os>${body}</domain>`,
    DETERMINISTIC,
  );

test("libvirt's domain schema is installed (libvirt0)", () => {
  assert.ok(existsSync(LIBVIRT_DOMAIN_RNG), 'install libvirt0 (see tools/scripts/system-packages.txt)');
});

for (const name of ['hyperv-clock', 'sysinfo', 'channels-sound']) {
  test(`out/${name}.xml is valid against libvirt's domain.rng`, () => {
    const schema = libxml.parseXml(readFileSync(LIBVIRT_DOMAIN_RNG, 'utf8'), { baseUrl: LIBVIRT_DOMAIN_RNG });
    const doc = libxml.parseXml(readFileSync(new URL(`${name}.xml`, OUT), 'utf8')) as unknown as {
      rngValidate(s: unknown): boolean;
      validationErrors: Array<{ message?: string }>;
    };
    const ok = doc.rngValidate(schema);
    assert.equal(ok ? [] : doc.validationErrors.map((e) => (e.message ?? '').trim()), []);
  });
}

test('every enlightenment of out/hyperv-clock.xml becomes its -cpu property, in libvirt order', () => {
  const d = domainDefFromXml(readFileSync(new URL('hyperv-clock.xml', OUT), 'utf8'), DETERMINISTIC);
  assert.equal(cpuFeatureProps(d), [
    'hv-time=on',
    'kvmclock=off',
    'hv-relaxed=on',
    'hv-vapic=on',
    'hv-spinlocks=0x1fff',
    'hv-vpindex=on',
    'hv-runtime=on',
    'hv-synic=on',
    'hv-stimer=on',
    'hv-stimer-direct=on',
    'hv-vendor-id=KVM Hv',
    'hv-frequencies=on',
    'hv-tlbflush=on',
    'hv-ipi=on',
    'kvm=off',
    'pmu=off',
  ]);
  // No <cpu>: libvirt's default model carries them.
  assert.equal(withCpuFeatures(d, []).slice(0, 2), ['-cpu', `qemu64,${cpuFeatureProps(d).join(',')}`]);
  assert.equal(withCpuFeatures(d, ['-cpu', 'Nehalem'])[1]?.split(',')[0], 'Nehalem');
});

test('no features: -cpu is left as the model alone', () => {
  assert.equal(withCpuFeatures(def(''), []), []);
  assert.equal(withCpuFeatures(def(''), ['-cpu', 'qemu64']), ['-cpu', 'qemu64']);
});

test('<pm> goes to the PIIX4 PM device on pc and to the ICH9 LPC bridge on q35', () => {
  const pm = "<pm><suspend-to-mem enabled='no'/><suspend-to-disk enabled='yes'/></pm>";
  assert.equal(pmArgs(def(pm)), ['-global', 'PIIX4_PM.disable_s3=1', '-global', 'PIIX4_PM.disable_s4=0']);
  assert.equal(pmArgs(def(pm, 'q35')), ['-global', 'ICH9-LPC.disable_s3=1', '-global', 'ICH9-LPC.disable_s4=0']);
});

test('variable clock: -rtc base is start time plus adjustment; track and catchup become clock= and driftfix=', () => {
  const now = Date.UTC(2026, 5, 30, 23, 59, 30);
  const d = def(
    "<clock offset='variable' adjustment='45'><timer name='rtc' tickpolicy='catchup' track='wall'/></clock>",
  );
  assert.equal(rtcArgs(d, now), ['-rtc', 'base=2026-07-01T00:00:15,clock=host,driftfix=slew']);
  assert.equal(rtcArgs(def("<clock offset='localtime'/>"), now), ['-rtc', 'base=localtime']);
});

test('a SPICE display gives sound cards a spice audio backend, as libvirt does', () => {
  const d = def(
    "<devices><graphics type='spice' autoport='yes'/><sound model='ich9'/><video><model type='qxl'/></video></devices>",
  );
  assert.equal(d.devices.audios, [{ id: 1, type: 'spice' }]);
  assert.match(formatDomainDef(d, { inactive: true }), "<audio id='1' type='spice'/>");
});

test('a pathless unix channel without a path from the driver is an internal error naming the channel', () => {
  const d = def(
    "<devices><channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel></devices>",
  );
  try {
    buildQemuCommandLine(d, fakeRuntime('x', d));
    assert.unreachable('expected a VirError');
  } catch (err) {
    assert.instance(err, VirError);
    assert.is((err as VirError).code, ErrorCode.INTERNAL_ERROR);
    assert.match((err as VirError).message, "no socket path for channel 'channel0'");
  }
});

test("a channel's pty and a made-up socket path show in live XML only", () => {
  const d = def(
    "<devices><channel type='pty'><target type='virtio' name='a'/></channel>" +
      "<channel type='unix'><target type='virtio' name='b'/></channel></devices>",
  );
  d.devices.channels[0]!.source = { path: '/dev/pts/7' };
  d.devices.channels[1]!.source = { mode: 'bind', path: '/run/x/domain-1/b' };
  const live = formatDomainDef(d, {});
  assert.match(live, "<source path='/dev/pts/7'/>");
  assert.match(live, "<source mode='bind' path='/run/x/domain-1/b'/>");
  assert.not.match(formatDomainDef(d, { inactive: true }), '/dev/pts/7');
});

test.run();
