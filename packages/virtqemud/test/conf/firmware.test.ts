/**
 * Firmware: QEMU firmware descriptors parsed from Debian's ovmf files (copied as fixtures),
 * libvirt's autoselection for `<os firmware='efi'>`, the default per-domain vars path, the
 * secure-boot rules, and domcapabilities listing what can be selected. Outputs are checked
 * against libvirt's own schemas.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, VirError } from '@tsvirt/common';
import {
  machineGlobMatches,
  parseFirmwareDescriptor,
  selectFirmware,
  type FirmwareDescriptor,
} from '../../src/conf/firmware-descriptor.js';
import { domainDefFromXml, formatDomainDef } from '../../src/conf/domain-xml.js';
import { formatDomainCapabilities } from '../../src/capabilities/index.js';
import { libvirtSchemaErrors, loadQemuInfo, parse, texts } from '../capabilities/fixtures.js';

const DIR = new URL('../../../test/fixtures/firmware/', import.meta.url);
const FILES = readdirSync(fileURLToPath(DIR)).sort();
const PARSED = FILES.map((f) => parseFirmwareDescriptor(f, readFileSync(new URL(f, DIR), 'utf8')));
const FIRMWARES = PARSED.filter((d): d is FirmwareDescriptor => d !== undefined);
const OPTIONS = {
  generateUuid: () => '00000000-0000-4000-8000-000000000001',
  generateMacTail: () => new Uint8Array([1, 2, 3]),
  firmwares: FIRMWARES,
  nvramDir: '/var/lib/tsvirt/virtqemud/nvram',
};

function domainXml(os: string, machine = 'pc', features = '<acpi/>'): string {
  return `<domain type='kvm'>
  <name>fw</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  ${os.replace('<TYPE/>', `<type arch='x86_64' machine='${machine}'>hvm</type>`)}
  <features>${features}</features>
  <devices><memballoon model='none'/></devices>
</domain>`;
}

/** The `<os>` ... `</os>` and `<features>` parts of the formatted inactive XML. */
function osAndFeatures(xml: string): string {
  const def = domainDefFromXml(xml, OPTIONS);
  const out = formatDomainDef(def, { inactive: true });
  assert.equal(libvirtSchemaErrors(out, 'domain.rng'), [], "valid against libvirt's domain.rng");
  return out.slice(out.indexOf('  <os'), out.indexOf('  <clock'));
}

function virErrorOf(fn: () => unknown): VirError {
  try {
    fn();
  } catch (err) {
    if (err instanceof VirError) return err;
    throw err;
  }
  throw new Error('expected a VirError');
}

test('Debian ovmf descriptors parse; a file that is not one is skipped', () => {
  assert.equal(FILES, [
    '40-edk2-x86_64-secure-enrolled.json',
    '50-edk2-x86_64-secure.json',
    '60-edk2-x86_64.json',
    '70-broken.json',
  ]);
  assert.is(PARSED[3], undefined);
  assert.equal(FIRMWARES[2], {
    name: '60-edk2-x86_64.json',
    interfaceTypes: ['uefi'],
    device: 'flash',
    executable: '/usr/share/OVMF/OVMF_CODE_4M.fd',
    nvramTemplate: '/usr/share/OVMF/OVMF_VARS_4M.fd',
    targets: [{ architecture: 'x86_64', machines: ['pc-i440fx-*', 'pc-q35-*'] }],
    features: ['acpi-s3', 'amd-sev', 'verbose-dynamic'],
  });
  assert.is(parseFirmwareDescriptor('x.json', 'not json'), undefined);
});

test('machine globs match versioned names and the pc/q35 aliases', () => {
  assert.ok(machineGlobMatches('pc-q35-*', 'q35'));
  assert.ok(machineGlobMatches('pc-q35-*', 'pc-q35-7.2'));
  assert.ok(machineGlobMatches('pc-i440fx-*', 'pc'));
  assert.not.ok(machineGlobMatches('pc-q35-*', 'pc'));
  assert.not.ok(machineGlobMatches('pc-i440fx-*', 'pc-i440fx'));
});

test('selection: first match in file order, secure boot only when asked, SMM respected', () => {
  const pick = (machine: string, secureBoot?: boolean, smm?: boolean): string | undefined =>
    selectFirmware(FIRMWARES, {
      kind: 'efi',
      arch: 'x86_64',
      machine,
      ...(secureBoot !== undefined ? { secureBoot } : {}),
      ...(smm !== undefined ? { smm } : {}),
    })?.name;
  assert.is(pick('pc'), '60-edk2-x86_64.json');
  assert.is(pick('q35'), '60-edk2-x86_64.json', 'no secure boot unless asked, though 40- and 50- come first');
  assert.is(pick('q35', true), '40-edk2-x86_64-secure-enrolled.json');
  assert.is(pick('pc', true), undefined, 'the secure builds are q35-only');
  assert.is(pick('q35', true, false), undefined, 'secure builds require SMM');
  assert.is(selectFirmware(FIRMWARES, { kind: 'efi', arch: 'aarch64', machine: 'virt' }), undefined);
  assert.is(selectFirmware(FIRMWARES, { kind: 'bios', arch: 'x86_64', machine: 'pc' }), undefined);
  // Order is by file name, not by the order given.
  assert.is(
    selectFirmware([...FIRMWARES].reverse(), { kind: 'efi', arch: 'x86_64', machine: 'q35', secureBoot: true })?.name,
    '40-edk2-x86_64-secure-enrolled.json',
  );
});

test("<os firmware='efi'> resolves to the descriptor's code, template and a default vars path", () => {
  assert.fixture(
    osAndFeatures(domainXml("<os firmware='efi'><TYPE/></os>")),
    `  <os firmware='efi'>
    <type arch='x86_64' machine='pc'>hvm</type>
    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>
    <nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>/var/lib/tsvirt/virtqemud/nvram/fw_VARS.fd</nvram>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
  </features>
`,
  );
});

test('secure boot asked for on q35: the enrolled build, secure flash, SMM turned on', () => {
  assert.fixture(
    osAndFeatures(
      domainXml(
        "<os firmware='efi'><TYPE/><firmware><feature enabled='yes' name='secure-boot'/></firmware></os>",
        'q35',
      ),
    ),
    `  <os firmware='efi'>
    <type arch='x86_64' machine='q35'>hvm</type>
    <firmware>
      <feature enabled='yes' name='secure-boot'/>
    </firmware>
    <loader readonly='yes' secure='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.ms.fd</loader>
    <nvram template='/usr/share/OVMF/OVMF_VARS_4M.ms.fd'>/var/lib/tsvirt/virtqemud/nvram/fw_VARS.fd</nvram>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <smm state='on'/>
  </features>
`,
  );
});

test('a hand-written pflash loader gets the default vars path and its template from the descriptors', () => {
  const os = osAndFeatures(
    domainXml("<os><TYPE/><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader></os>"),
  );
  assert.ok(
    os.includes("<nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>/var/lib/tsvirt/virtqemud/nvram/fw_VARS.fd</nvram>"),
    os,
  );
  // An explicit <nvram> path is kept.
  const own = osAndFeatures(
    domainXml(
      "<os><TYPE/><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader><nvram>/srv/vars.fd</nvram></os>",
    ),
  );
  assert.ok(own.includes("<nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>/srv/vars.fd</nvram>"), own);
});

test('refusals: no matching firmware, secure boot off q35 or without SMM, TLS spice modes', () => {
  let e = virErrorOf(() =>
    domainDefFromXml(
      domainXml("<os firmware='efi'><TYPE/><firmware><feature enabled='yes' name='secure-boot'/></firmware></os>"),
      OPTIONS,
    ),
  );
  assert.is(e.code, ErrorCode.OPERATION_FAILED);
  assert.match(e.message, "Unable to find 'efi' firmware that is compatible with the current configuration");
  const secureLoader =
    "<os><TYPE/><loader readonly='yes' secure='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.secboot.fd</loader></os>";
  e = virErrorOf(() => domainDefFromXml(domainXml(secureLoader), OPTIONS));
  assert.is(e.code, ErrorCode.CONFIG_UNSUPPORTED);
  assert.match(e.message, 'Secure boot is supported with q35 machine types only');
  e = virErrorOf(() => domainDefFromXml(domainXml(secureLoader, 'q35'), OPTIONS));
  assert.is(e.code, ErrorCode.CONFIG_UNSUPPORTED);
  assert.match(e.message, 'Secure boot requires SMM feature enabled');
  e = virErrorOf(() =>
    domainDefFromXml(
      domainXml('<os><TYPE/></os>').replace(
        '<devices>',
        "<devices><graphics type='spice' autoport='yes' defaultMode='secure'/>",
      ),
      OPTIONS,
    ),
  );
  assert.is(e.code, ErrorCode.CONFIG_UNSUPPORTED);
  assert.match(e.message, "<graphics type='spice' defaultMode> 'secure'");
});

test('domcapabilities lists efi and the loaders selectable for the machine, valid for libvirt', () => {
  const qemu = loadQemuInfo();
  const pc = formatDomainCapabilities(qemu, { virttype: 'kvm', machine: 'pc' }, FIRMWARES);
  assert.equal(libvirtSchemaErrors(pc, 'domaincaps.rng'), []);
  assert.equal(texts(parse(pc), '/domainCapabilities/os/enum[@name="firmware"]/value'), ['efi']);
  assert.equal(texts(parse(pc), '/domainCapabilities/os/loader/value'), ['/usr/share/OVMF/OVMF_CODE_4M.fd']);
  const q35 = formatDomainCapabilities(qemu, { virttype: 'kvm', machine: 'q35' }, FIRMWARES);
  assert.equal(libvirtSchemaErrors(q35, 'domaincaps.rng'), []);
  assert.equal(texts(parse(q35), '/domainCapabilities/os/loader/value'), [
    '/usr/share/OVMF/OVMF_CODE_4M.ms.fd',
    '/usr/share/OVMF/OVMF_CODE_4M.secboot.fd',
    '/usr/share/OVMF/OVMF_CODE_4M.fd',
  ]);
  const none = formatDomainCapabilities(qemu, { virttype: 'kvm', machine: 'pc' });
  assert.equal(texts(parse(none), '/domainCapabilities/os/enum[@name="firmware"]/value'), []);
});

test.run();
