/**
 * domcapabilities and conf/ agree: every value domcapabilities advertises is accepted by
 * domainDefFromXml, and values just outside the lists are refused by it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, VirError } from '@tsvirt/common';
import { formatDomainCapabilities } from '../../src/capabilities/index.js';
import { NIC_MODELS, supportedValues } from '../../src/capabilities/domain-support.js';
import { domainDefFromXml } from '../../src/conf/domain-xml.js';
import { attrs as attrsOf, loadQemuInfo, parse, texts } from './fixtures.js';

const FIXED = {
  generateUuid: () => '00000000-0000-4000-8000-000000000001',
  generateMacTail: () => new Uint8Array([1, 2, 3]),
};

function domainXml(body: { type?: string; machine?: string; os?: string; cpu?: string; devices?: string }): string {
  return `<domain type='${body.type ?? 'qemu'}'>
  <name>caps</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='${body.machine ?? 'pc'}'>hvm</type>
    ${body.os ?? ''}
  </os>
  ${body.cpu ?? ''}
  <devices>
    ${body.devices ?? ''}
  </devices>
</domain>`;
}

function accepts(xml: string, what: string): void {
  try {
    domainDefFromXml(xml, FIXED);
  } catch (err) {
    assert.unreachable(`${what} is advertised but conf/ refuses it: ${(err as Error).message}`);
  }
}

function refuses(xml: string, what: string): void {
  try {
    domainDefFromXml(xml, FIXED);
  } catch (err) {
    assert.instance(err, VirError, what);
    assert.ok(
      // OPERATION_FAILED: libvirt's code for "no firmware fits" in autoselection.
      (
        [
          ErrorCode.CONFIG_UNSUPPORTED,
          ErrorCode.XML_INVALID_SCHEMA,
          ErrorCode.XML_DETAIL,
          ErrorCode.OPERATION_FAILED,
        ] as number[]
      ).includes((err as VirError).code),
      `${what}: ${(err as Error).message}`,
    );
    return;
  }
  assert.unreachable(`${what} is not advertised but conf/ accepts it`);
}

const caps = parse(formatDomainCapabilities(loadQemuInfo(), { virttype: 'kvm', machine: 'pc' }));
const values = (xpath: string): string[] => texts(caps, xpath);

test('every advertised disk bus and device is accepted, other buses are not', () => {
  const buses = values("//disk/enum[@name='bus']/value");
  assert.ok(buses.length >= 4);
  for (const bus of buses) {
    const device = bus === 'fdc' ? 'floppy' : 'disk';
    const dev = { ide: 'hda', fdc: 'fda', virtio: 'vda' }[bus] ?? 'sda';
    const disk = `<disk type='file' device='${device}'><source file='/i.img'/><target dev='${dev}' bus='${bus}'/></disk>`;
    accepts(domainXml({ devices: disk }), `disk bus '${bus}'`);
  }
  for (const device of values("//disk/enum[@name='diskDevice']/value")) {
    const [bus, dev] = device === 'floppy' ? ['fdc', 'fda'] : ['sata', 'sda'];
    const disk = `<disk type='file' device='${device}'><source file='/i.img'/><target dev='${dev}' bus='${bus}'/></disk>`;
    accepts(domainXml({ devices: disk }), `disk device '${device}'`);
  }
  for (const bus of ['usb', 'xen', 'sd']) {
    const disk = `<disk type='file' device='disk'><source file='/i.img'/><target dev='sda' bus='${bus}'/></disk>`;
    refuses(domainXml({ devices: disk }), `disk bus '${bus}'`);
  }
});

test('graphics types, video models and rng models agree with conf/', () => {
  for (const type of values("//graphics/enum[@name='type']/value")) {
    accepts(domainXml({ devices: `<graphics type='${type}'/>` }), `graphics '${type}'`);
  }
  for (const type of ['sdl', 'rdp', 'egl-headless']) {
    refuses(domainXml({ devices: `<graphics type='${type}'/>` }), `graphics '${type}'`);
  }
  for (const model of values("//video/enum[@name='modelType']/value")) {
    accepts(domainXml({ devices: `<video><model type='${model}'/></video>` }), `video '${model}'`);
  }
  for (const model of ['ramfb', 'vmvga']) {
    refuses(domainXml({ devices: `<video><model type='${model}'/></video>` }), `video '${model}'`);
  }
  for (const model of values("//rng/enum[@name='model']/value")) {
    accepts(
      domainXml({ devices: `<rng model='${model}'><backend model='random'>/dev/urandom</backend></rng>` }),
      'rng',
    );
  }
  refuses(domainXml({ devices: "<hostdev mode='subsystem' type='pci'/>" }), 'hostdev (advertised as unsupported)');
});

test('NIC models the driver offers are all accepted by conf/', () => {
  for (const model of supportedValues(NIC_MODELS, new Set(loadQemuInfo().deviceTypes))) {
    accepts(domainXml({ devices: `<interface type='user'><model type='${model}'/></interface>` }), `nic '${model}'`);
  }
  refuses(domainXml({ devices: "<interface type='user'><model type='ne2k_pci'/></interface>" }), 'nic ne2k_pci');
});

test('CPU modes and custom models, loader types and the domain types agree with conf/', () => {
  for (const mode of ['host-passthrough', 'maximum']) {
    assert.equal(attrsOf(caps, `//cpu/mode[@name='${mode}']/@supported`), ['yes'], mode);
    accepts(domainXml({ type: 'kvm', cpu: `<cpu mode='${mode}'/>` }), `cpu mode '${mode}'`);
  }
  for (const model of values("//cpu/mode[@name='custom']/model").slice(0, 5)) {
    accepts(domainXml({ cpu: `<cpu mode='custom'><model>${model}</model></cpu>` }), `cpu model '${model}'`);
  }
  for (const type of values("//loader/enum[@name='type']/value")) {
    accepts(domainXml({ os: `<loader type='${type}' readonly='yes'>/usr/share/OVMF/OVMF_CODE.fd</loader>` }), type);
  }
  refuses(domainXml({ os: "<loader type='rom' secure='yes'>/x.fd</loader>" }), 'secure rom loader');
  refuses(domainXml({ os: '' }).replace('<os>', "<os firmware='efi'>"), 'firmware autoselection (empty enum)');
  accepts(domainXml({ type: values('/domainCapabilities/domain')[0]! }), 'domain type');
});

test('q35: IDE is left out of domcapabilities because conf/ refuses it', () => {
  const q35 = parse(formatDomainCapabilities(loadQemuInfo(), { virttype: 'qemu', machine: 'q35' }));
  assert.not.ok(texts(q35, "//disk/enum[@name='bus']/value").includes('ide'));
  const disk = "<disk type='file' device='disk'><source file='/i.img'/><target dev='hda' bus='ide'/></disk>";
  refuses(domainXml({ machine: 'q35', devices: disk }), 'IDE on q35');
});

test.run();
