/** formatDomainCapabilities: golden output per (virttype, machine), defaults, build-dependent devices, and refusals. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import { formatDomainCapabilities, type DomainCapabilitiesRequest } from '../../src/capabilities/index.js';
import { assertGolden, attrs, loadQemuInfo, parse, texts } from './fixtures.js';

const GOLDEN: Array<[string, DomainCapabilitiesRequest]> = [
  ['domcapabilities.xml', { virttype: 'kvm', arch: 'x86_64' }],
  ['domcapabilities-q35-qemu.xml', { virttype: 'qemu', machine: 'q35' }],
];

for (const [file, request] of GOLDEN) {
  test(`qemu-7.2 ${JSON.stringify(request)} → ${file}`, () => {
    assertGolden(formatDomainCapabilities(loadQemuInfo(), request), file);
  });
}

test('defaults: kvm when usable, the emulator arch, and QEMU default machine by its canonical name', () => {
  const doc = parse(formatDomainCapabilities(loadQemuInfo()));
  assert.equal(texts(doc, '/domainCapabilities/domain'), ['kvm']);
  assert.equal(texts(doc, '/domainCapabilities/arch'), ['x86_64']);
  assert.equal(texts(doc, '/domainCapabilities/machine'), ['pc-i440fx-7.2']);
  assert.equal(attrs(doc, '/domainCapabilities/vcpu/@max'), ['255']);
  assert.equal(texts(doc, '/domainCapabilities/path'), ['/usr/bin/qemu-system-x86_64']);

  const qemu = loadQemuInfo();
  qemu.kvm = { present: false, usable: false };
  assert.equal(texts(parse(formatDomainCapabilities(qemu)), '/domainCapabilities/domain'), ['qemu']);
});

test('CPU modes and models follow the accelerator', () => {
  const kvm = parse(formatDomainCapabilities(loadQemuInfo(), { virttype: 'kvm' }));
  const tcg = parse(formatDomainCapabilities(loadQemuInfo(), { virttype: 'qemu' }));
  const mode = (name: string): string => `/domainCapabilities/cpu/mode[@name='${name}']`;
  assert.equal(attrs(kvm, `${mode('host-passthrough')}/@supported`), ['yes']);
  assert.equal(attrs(tcg, `${mode('host-passthrough')}/@supported`), ['no']);
  assert.equal(attrs(tcg, `${mode('maximum')}/@supported`), ['yes']);
  assert.equal(attrs(tcg, `${mode('host-model')}/@supported`), ['no']);
  // The recorded KVM (nested) lacks pni, so qemu64 runs under TCG only.
  assert.equal(attrs(kvm, `${mode('custom')}/model[text()='qemu64']/@usable`), ['no']);
  assert.equal(attrs(tcg, `${mode('custom')}/model[text()='qemu64']/@usable`), ['yes']);
  assert.equal(attrs(tcg, `${mode('custom')}/model[text()='qemu64']/@vendor`), ['unknown']);
  assert.equal(attrs(tcg, `${mode('custom')}/model[text()='EPYC-Milan-v1']/@vendor`), ['AMD']);
  assert.equal(attrs(tcg, `${mode('custom')}/model[text()='Skylake-Server']/@vendor`), ['Intel']);
  const unprobed = { ...loadQemuInfo(), cpuDefinitionsKvm: undefined };
  const guess = parse(formatDomainCapabilities(unprobed, { virttype: 'kvm' }));
  assert.equal([...new Set(attrs(guess, `${mode('custom')}/model/@usable`))], ['unknown'], 'KVM not probed');
  for (const hidden of ['host', 'max', 'base']) {
    assert.is(tcg.find(`${mode('custom')}/model[text()='${hidden}']`).length, 0, hidden);
  }
});

test('devices follow the QEMU build: no spice, no qxl; q35 has no IDE and allows secure boot', () => {
  const qemu = loadQemuInfo();
  qemu.commands = qemu.commands.filter((c) => c !== 'query-spice');
  qemu.deviceTypes = qemu.deviceTypes.filter((t) => t !== 'qxl-vga' && t !== 'virtio-rng-pci');
  const doc = parse(formatDomainCapabilities(qemu, { virttype: 'qemu' }));
  assert.equal(texts(doc, "//graphics/enum[@name='type']/value"), ['vnc']);
  assert.not.ok(texts(doc, "//video/enum[@name='modelType']/value").includes('qxl'));
  assert.equal(attrs(doc, '//devices/rng/@supported'), ['no']);
  assert.equal(texts(doc, "//disk/enum[@name='bus']/value"), ['ide', 'fdc', 'scsi', 'virtio', 'sata']);
  assert.equal(texts(doc, "//loader/enum[@name='secure']/value"), ['no']);

  const q35 = parse(formatDomainCapabilities(loadQemuInfo(), { virttype: 'qemu', machine: 'pc-q35-7.2' }));
  assert.equal(texts(q35, "//disk/enum[@name='bus']/value"), ['fdc', 'scsi', 'virtio', 'sata']);
  assert.equal(texts(q35, "//loader/enum[@name='secure']/value"), ['yes', 'no']);
  assert.equal(attrs(q35, '/domainCapabilities/vcpu/@max'), ['288']);
  assert.equal(texts(q35, '//graphics/enum/value'), ['vnc', 'spice']);
});

function refusal(request: DomainCapabilitiesRequest, usable = true): VirError {
  const qemu = loadQemuInfo();
  if (!usable) qemu.kvm = { present: true, usable: false };
  try {
    formatDomainCapabilities(qemu, request);
  } catch (err) {
    assert.instance(err, VirError);
    assert.is((err as VirError).domain, ErrorDomain.CAPABILITIES);
    return err as VirError;
  }
  assert.unreachable(`no error for ${JSON.stringify(request)}`);
  throw new Error('unreachable');
}

test('refusals: unknown machine, none, KVM unusable, unknown virttype, foreign arch or emulator', () => {
  let err = refusal({ machine: 'pc-i440fx-99.0' });
  assert.is(err.code, ErrorCode.CONFIG_UNSUPPORTED);
  assert.is(err.message, "the machine 'pc-i440fx-99.0' is not supported by emulator '/usr/bin/qemu-system-x86_64'");
  assert.is(refusal({ machine: 'none' }).code, ErrorCode.CONFIG_UNSUPPORTED);
  err = refusal({ virttype: 'kvm' }, false);
  assert.is(err.code, ErrorCode.CONFIG_UNSUPPORTED);
  assert.is(err.message, "virttype 'kvm' is not available on this host: /dev/kvm cannot be opened read-write");
  err = refusal({ virttype: 'xen' });
  assert.is(err.code, ErrorCode.INVALID_ARG);
  assert.is(err.message, "unknown virttype 'xen'");
  err = refusal({ arch: 'aarch64' });
  assert.is(err.code, ErrorCode.CONFIG_UNSUPPORTED);
  assert.match(err.message, "does not support arch 'aarch64'");
  assert.is(refusal({ emulator: '/usr/bin/qemu-system-aarch64' }).code, ErrorCode.CONFIG_UNSUPPORTED);
  // i686 runs on the x86_64 binary, as capabilities says.
  const doc = parse(formatDomainCapabilities(loadQemuInfo(), { arch: 'i686', virttype: 'qemu' }));
  assert.equal(texts(doc, '/domainCapabilities/arch'), ['i686']);
});

test.run();
