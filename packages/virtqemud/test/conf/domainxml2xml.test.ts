/** Golden tests for domain XML: in/ → out/ after parse + post-parse, expected failures, schema and round-trip checks. */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, VirError } from '@tsvirt/common';
import { domainDefFromXml, formatDomainDef, parseDomainDef } from '../../src/conf/domain-xml.js';
import { parseXmlSafe, validateRng } from '../../src/conf/xml-parse.js';
import { domainSchemaPath } from '../../src/conf/schema-path.js';
import { libvirtSchemaErrors } from '../capabilities/fixtures.js';

const FIXTURES = new URL('../../../test/fixtures/domainxml2xml/', import.meta.url);
const read = (rel: string): string => readFileSync(new URL(rel, FIXTURES), 'utf8');
const list = (dir: string): string[] =>
  readdirSync(fileURLToPath(new URL(dir, FIXTURES)))
    .filter((f) => f.endsWith('.xml'))
    .map((f) => f.slice(0, -4))
    .sort();

/** Fixed generators so that fixtures without a MAC stay byte-stable. */
const DETERMINISTIC = {
  generateUuid: () => '00000000-0000-4000-8000-000000000001',
  generateMacTail: () => new Uint8Array([1, 2, 3]),
};

function roundTrip(xml: string): string {
  return formatDomainDef(domainDefFromXml(xml, DETERMINISTIC), { inactive: true });
}

function expectVirError(fn: () => unknown, code: number, fragment: string): VirError {
  try {
    fn();
  } catch (err) {
    assert.instance(err, VirError);
    const e = err as VirError;
    assert.is(e.codeName, new VirError(code as ErrorCode, 0, '').codeName, `code for: ${e.message}`);
    assert.ok(e.message.includes(fragment), `message '${e.message}' should include '${fragment}'`);
    return e;
  }
  assert.unreachable('expected a VirError');
  throw new Error('unreachable');
}

// ---- in → out ------------------------------------------------------------------

const GOOD = [
  'boot-order',
  'channels-sound',
  'chardevs',
  'disk-network',
  'explicit-address',
  'full',
  'hostdev-pci',
  'hyperv-clock',
  'kernel-boot',
  'minimal',
  'pc-pci-bridge',
  'q35-addressed',
  'q35-auto',
  'q35-pci-bridge',
  'q35-user-controllers',
  'sysinfo',
  'tpm-emulator',
  'tpm-passthrough',
  'uefi-firmware-efi',
  'uefi-spice',
];

test('every in/ fixture is in the table and has an out/', () => {
  assert.equal(list('in/'), GOOD);
  assert.equal(list('out/'), GOOD);
});

for (const name of GOOD) {
  test(`xml2xml ${name}`, () => {
    assert.fixture(roundTrip(read(`in/${name}.xml`)), read(`out/${name}.xml`));
  });

  test(`out/${name}.xml validates against the schema`, () => {
    const out = read(`out/${name}.xml`);
    validateRng(parseXmlSafe(out), out, domainSchemaPath(), name);
  });

  test(`out/${name}.xml validates against libvirt's own installed domain schema`, () => {
    assert.equal(libvirtSchemaErrors(read(`out/${name}.xml`), 'domain.rng'), []);
  });

  test(`out/${name}.xml round-trips unchanged`, () => {
    const out = read(`out/${name}.xml`);
    // format(parse(out)) alone: the output is already complete, so nothing is lost or added...
    assert.fixture(formatDomainDef(parseDomainDef(out), { inactive: true }), out);
    // ...and post-parse on it is a no-op.
    assert.fixture(roundTrip(out), out);
  });
}

// ---- expected failures ---------------------------------------------------------

const INVALID: Array<[name: string, code: number, fragment: string]> = [
  ['malformed', ErrorCode.XML_ERROR, 'line 2'],
  ['xxe', ErrorCode.XML_ERROR, 'DOCTYPE is not allowed'],
  ['billion-laughs', ErrorCode.XML_ERROR, 'entity'],
  ['unknown-element', ErrorCode.XML_INVALID_SCHEMA, 'unknown element <foo> at line 10'],
  ['unknown-top-element', ErrorCode.XML_INVALID_SCHEMA, 'unknown element <bogus>'],
  ['unknown-attribute', ErrorCode.XML_INVALID_SCHEMA, "unknown attribute 'colour' of element <disk>"],
  ['missing-name', ErrorCode.XML_INVALID_SCHEMA, 'element name'],
  ['memory-unit-unknown', ErrorCode.XML_INVALID_SCHEMA, 'Invalid attribute unit for element memory'],
  ['domain-xen', ErrorCode.CONFIG_UNSUPPORTED, "<domain type> 'xen'"],
  ['secure-boot-i440fx', ErrorCode.CONFIG_UNSUPPORTED, 'Secure boot is supported with q35 machine types only'],
  ['os-firmware-efi', ErrorCode.OPERATION_FAILED, "Unable to find 'efi' firmware"],
  ['features-hyperv', ErrorCode.CONFIG_UNSUPPORTED, "<hyperv mode> 'passthrough' is not supported"],
  ['hyperv-spinlocks-low', ErrorCode.XML_DETAIL, "HyperV spinlock retry count '100' must be at least 4095"],
  ['hyperv-stimer-no-synic', ErrorCode.CONFIG_UNSUPPORTED, "Hyper-V feature 'stimer' requires feature 'synic'"],
  ['kvm-hint-dedicated', ErrorCode.CONFIG_UNSUPPORTED, "<kvm> element 'hint-dedicated' is not supported"],
  ['smbios-host', ErrorCode.CONFIG_UNSUPPORTED, "<smbios mode> 'host' is not supported"],
  ['smbios-no-sysinfo', ErrorCode.XML_DETAIL, "<smbios mode='sysinfo'> needs a <sysinfo type='smbios'>"],
  ['sysinfo-fwcfg', ErrorCode.CONFIG_UNSUPPORTED, "<sysinfo type> 'fwcfg' is not supported"],
  ['sysinfo-uuid-mismatch', ErrorCode.XML_DETAIL, 'UUID mismatch between <uuid>'],
  ['sysinfo-bios-date', ErrorCode.XML_DETAIL, "invalid BIOS date '2026-01-02'"],
  ['clock-timezone', ErrorCode.CONFIG_UNSUPPORTED, "<clock offset> 'timezone' is not supported"],
  ['timer-tsc', ErrorCode.CONFIG_UNSUPPORTED, "<timer name> 'tsc' is not supported"],
  ['timer-rtc-merge', ErrorCode.CONFIG_UNSUPPORTED, "<timer name='rtc'> tickpolicy 'merge' is not supported"],
  ['channel-guestfwd', ErrorCode.CONFIG_UNSUPPORTED, "<channel> <target type> 'guestfwd' is not supported"],
  ['channel-spicevmc', ErrorCode.CONFIG_UNSUPPORTED, "<channel type> 'spicevmc' is not supported"],
  ['channel-unix-no-name', ErrorCode.XML_DETAIL, "<channel type='unix'> without <source path> needs a <target name>"],
  ['channel-port-clash', ErrorCode.XML_DETAIL, "virtio-serial port '2' of controller '0' is used by two channels"],
  ['sound-pcspk', ErrorCode.CONFIG_UNSUPPORTED, "<sound model> 'pcspk' is not supported"],
  ['sound-codec-ac97', ErrorCode.CONFIG_UNSUPPORTED, "<sound model='ac97'> has no codecs"],
  ['audio-pulseaudio', ErrorCode.CONFIG_UNSUPPORTED, "<audio type> 'pulseaudio' is not supported"],
  ['disk-network-auth', ErrorCode.CONFIG_UNSUPPORTED, "<auth username='admin'> needs a secret from virtsecretd"],
  ['disk-network-ftp', ErrorCode.CONFIG_UNSUPPORTED, "<disk> <source protocol> 'ftp'"],
  ['disk-network-http-writable', ErrorCode.CONFIG_UNSUPPORTED, "protocol 'http' must be <readonly/>"],
  ['disk-network-rdma', ErrorCode.CONFIG_UNSUPPORTED, "<disk> <host transport> 'rdma'"],
  ['disk-network-nbd-two-hosts', ErrorCode.XML_DETAIL, "protocol 'nbd' needs exactly one <host>, not 2"],
  ['tpm-version-1.2', ErrorCode.CONFIG_UNSUPPORTED, "<tpm> <backend version> '1.2'"],
  ['tpm-two', ErrorCode.CONFIG_UNSUPPORTED, 'only one <tpm> device is supported'],
  ['hostdev-usb', ErrorCode.CONFIG_UNSUPPORTED, "<hostdev type> 'usb'"],
  ['hostdev-duplicate', ErrorCode.XML_DETAIL, 'host PCI device 0000:00:04.0 is assigned twice'],
  ['disk-bus-usb', ErrorCode.CONFIG_UNSUPPORTED, "<disk> <target bus> 'usb'"],
  ['disk-format-vmdk', ErrorCode.CONFIG_UNSUPPORTED, "<disk> <driver type> 'vmdk'"],
  ['interface-direct', ErrorCode.CONFIG_UNSUPPORTED, "<interface type> 'direct'"],
  ['net-model-unknown', ErrorCode.CONFIG_UNSUPPORTED, "<interface> <model type> 'ne2k_pci'"],
  ['net-mtu-user', ErrorCode.CONFIG_UNSUPPORTED, "setting MTU on interface type 'user' is not supported yet"],
  ['graphics-sdl', ErrorCode.CONFIG_UNSUPPORTED, "<graphics type> 'sdl'"],
  ['video-acceleration', ErrorCode.CONFIG_UNSUPPORTED, "<video> <model> child 'acceleration'"],
  ['serial-udp', ErrorCode.CONFIG_UNSUPPORTED, "<serial type> 'udp'"],
  ['rng-egd', ErrorCode.CONFIG_UNSUPPORTED, "<rng> <backend model> 'egd'"],
  ['watchdog-diag288', ErrorCode.CONFIG_UNSUPPORTED, "<watchdog model> 'diag288'"],
  ['usb-input-no-controller', ErrorCode.CONFIG_UNSUPPORTED, "needs a <controller type='usb'>"],
  ['q35-ide-controller', ErrorCode.CONFIG_UNSUPPORTED, 'IDE controllers are unsupported'],
  ['q35-pci-root', ErrorCode.XML_DETAIL, "index='0' must be model='pcie-root'"],
  ['pci-controller-duplicate', ErrorCode.XML_DETAIL, "Multiple 'pci' controllers with index '1'"],
  ['pcie-root-port-on-pc', ErrorCode.CONFIG_UNSUPPORTED, "model='pcie-root-port', but none is available"],
  ['pci-address-wrong-bus-type', ErrorCode.XML_DETAIL, 'It requires a controller that accepts a pcie-root-port'],
  ['pci-address-domain', ErrorCode.XML_DETAIL, 'Only PCI domain 0 is available'],
  ['name-slash', ErrorCode.XML_DETAIL, "domain name 'etc/passwd'"],
  ['duplicate-target', ErrorCode.XML_DETAIL, "target 'vda' duplicated"],
  ['duplicate-boot-order', ErrorCode.XML_DETAIL, "boot order '1'"],
  ['current-memory-exceeds', ErrorCode.XML_DETAIL, "currentMemory '1048576' KiB must not exceed memory '524288' KiB"],
  ['topology-mismatch', ErrorCode.XML_DETAIL, 'does not match the maximum vcpu count'],
  ['multicast-mac', ErrorCode.XML_DETAIL, "'01:00:5e:00:00:01' is a multicast address"],
  ['pci-address-clash', ErrorCode.XML_DETAIL, 'PCI address 0000:00:03.0 is used by both'],
];

test('every invalid/ fixture is in the table', () => {
  assert.equal(list('invalid/'), INVALID.map(([n]) => n).sort());
});

for (const [name, code, fragment] of INVALID) {
  test(`invalid ${name}`, () => {
    expectVirError(() => domainDefFromXml(read(`invalid/${name}.xml`), DETERMINISTIC), code, fragment);
  });
}

test.run();
