/**
 * PCI address assignment as libvirt does it: pcie-root-ports aggregated on one slot with
 * chassis/port from their index and address, one spare port only when libvirt manages the
 * topology, pcie-to-pci-bridges for conventional PCI devices on q35, pci-bridges once pc's
 * bus 0 is full; and the PCI golden outputs checked against libvirt's own domain schema.
 */
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import libxml from 'libxmljs2';
import type { ControllerDef, DomainDef, PciAddress } from '../../src/conf/domain-def.js';
import { domainDefFromXml } from '../../src/conf/domain-xml.js';

const DETERMINISTIC = {
  generateUuid: () => '00000000-0000-4000-8000-000000000001',
  generateMacTail: () => new Uint8Array([1, 2, 3]),
};

function domain(machine: string, devices: string): DomainDef {
  return domainDefFromXml(
    `<domain type='kvm'><name>t</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='${machine}'>hvm</type></os>
  <devices>${devices}</devices></domain>`,
    DETERMINISTIC,
  );
}

const at = (a: PciAddress | undefined): string =>
  a ? `${a.bus}:${a.slot}.${a.function}${a.multifunction === 'on' ? '+' : ''}` : 'none';
const pciAt = (c: { address?: { type: string } }): string =>
  at(c.address?.type === 'pci' ? (c.address as PciAddress) : undefined);
const pciControllers = (def: DomainDef): ControllerDef[] => def.devices.controllers.filter((c) => c.type === 'pci');
const virtioDisks = (n: number): string =>
  Array.from(
    { length: n },
    (_, i) => `<disk type='file'><source file='/d${i}'/><target dev='vd${String.fromCharCode(97 + i)}'/></disk>`,
  ).join('');

test('q35, nine PCIe devices: ports fill functions 0-7 of slot 1, then slot 2, plus one spare', () => {
  const def = domain('q35', `${virtioDisks(8)}<memballoon model='virtio'/>`);
  const ports = pciControllers(def).filter((c) => c.model === 'pcie-root-port');
  assert.is(ports.length, 10);
  assert.equal(
    ports.map((c) => [c.index, pciAt(c), c.target?.chassis, c.target?.port]),
    [
      [1, '0:1.0+', 1, 0x08],
      [2, '0:1.1', 2, 0x09],
      [3, '0:1.2', 3, 0x0a],
      [4, '0:1.3', 4, 0x0b],
      [5, '0:1.4', 5, 0x0c],
      [6, '0:1.5', 6, 0x0d],
      [7, '0:1.6', 7, 0x0e],
      [8, '0:1.7', 8, 0x0f],
      [9, '0:2.0+', 9, 0x10],
      [10, '0:2.1', 10, 0x11],
    ],
  );
  assert.equal(
    def.devices.disks.map((d) => pciAt(d)),
    ['1:0.0', '2:0.0', '3:0.0', '4:0.0', '5:0.0', '6:0.0', '7:0.0', '8:0.0'],
  );
  assert.is(pciAt(def.devices.memballoon!), '9:0.0');
});

test('q35 with user-written root ports: devices use them and no spare is added', () => {
  const def = domain(
    'q35',
    `${virtioDisks(1)}<controller type='pci' index='1' model='pcie-root-port'/>
     <controller type='pci' index='2' model='pcie-root-port'/><memballoon model='virtio'/>`,
  );
  assert.equal(
    pciControllers(def).map((c) => [c.index, c.model, pciAt(c)]),
    [
      [0, 'pcie-root', 'none'],
      [1, 'pcie-root-port', '0:1.0+'],
      [2, 'pcie-root-port', '0:1.1'],
    ],
  );
  assert.is(pciAt(def.devices.disks[0]!), '1:0.0');
  assert.is(pciAt(def.devices.memballoon!), '2:0.0');
});

test('q35, a device addressed to a bus nobody wrote: the missing root ports are added', () => {
  const def = domain(
    'q35',
    `<disk type='file'><source file='/a'/><target dev='vda'/><address type='pci' bus='0x03' slot='0'/></disk>
     <memballoon model='none'/>`,
  );
  assert.equal(
    pciControllers(def).map((c) => [c.index, c.model, pciAt(c)]),
    [
      [0, 'pcie-root', 'none'],
      [1, 'pcie-root-port', '0:1.0+'],
      [2, 'pcie-root-port', '0:1.1'],
      [3, 'pcie-root-port', '0:1.2'],
    ],
  );
});

test('q35: the primary video takes 00:01.0, so root ports start at slot 2; ICH9 audio goes to 00:1b.0', () => {
  const def = domain('q35', `${virtioDisks(1)}<graphics type='vnc'/><sound model='ich9'/><memballoon model='none'/>`);
  assert.is(pciAt(def.devices.videos[0]!), '0:1.0');
  assert.is(pciAt(def.devices.sounds[0]!), '0:27.0');
  assert.equal(
    pciControllers(def).map((c) => pciAt(c)),
    ['none', '0:2.0+', '0:2.1'],
  );
});

test('q35: a conventional PCI NIC gets a root port carrying a pcie-to-pci-bridge, in slot 1 of the bridge', () => {
  const def = domain('q35', `<interface type='user'><model type='rtl8139'/></interface><memballoon model='none'/>`);
  assert.equal(
    pciControllers(def).map((c) => [c.index, c.model, c.modelName, pciAt(c)]),
    [
      [0, 'pcie-root', undefined, 'none'],
      [1, 'pcie-root-port', 'pcie-root-port', '0:1.0+'],
      [2, 'pcie-to-pci-bridge', 'pcie-pci-bridge', '1:0.0'],
      [3, 'pcie-root-port', 'pcie-root-port', '0:1.1'],
    ],
  );
  assert.is(pciAt(def.devices.nets[0]!), '2:1.0');
});

test('pc: when bus 0 is full a pci-bridge is added and takes the remaining devices', () => {
  // Slots 1 (PIIX3) and 2 (video) are taken; 29 disks leave no room for the balloon.
  const disks = Array.from(
    { length: 29 },
    (_, i) =>
      `<disk type='file'><source file='/d${i}'/><target dev='vd${i < 26 ? String.fromCharCode(97 + i) : `a${String.fromCharCode(97 + i - 26)}`}'/></disk>`,
  ).join('');
  const def = domain('pc', `${disks}<memballoon model='virtio'/>`);
  assert.equal(
    pciControllers(def).map((c) => [c.index, c.model, c.target?.chassisNr, pciAt(c)]),
    [
      [0, 'pci-root', undefined, 'none'],
      [1, 'pci-bridge', 1, '0:3.0'],
    ],
  );
  assert.is(pciAt(def.devices.disks[0]!), '0:4.0');
  assert.is(pciAt(def.devices.disks[27]!), '0:31.0');
  assert.is(pciAt(def.devices.disks[28]!), '1:1.0');
  assert.is(pciAt(def.devices.memballoon!), '1:2.0');
});

test('pc stays as before: PIIX3 at slot 1, slot 2 kept for video, devices from slot 3', () => {
  const def = domain('pc', `${virtioDisks(1)}<controller type='usb' index='0'/>`);
  assert.is(pciAt(def.devices.controllers.find((c) => c.type === 'usb')!), '0:1.2');
  assert.is(pciAt(def.devices.disks[0]!), '0:3.0');
  assert.is(pciAt(def.devices.memballoon!), '0:4.0');
  assert.equal(pciControllers(def).length, 1);
});

// ---- libvirt's own schema as an outside check ---------------------------------------

const LIBVIRT_DOMAIN_RNG = '/usr/share/libvirt/schemas/domain.rng';
const OUT = new URL('../../../test/fixtures/domainxml2xml/out/', import.meta.url);

test("libvirt's domain schema is installed (libvirt0)", () => {
  assert.ok(existsSync(LIBVIRT_DOMAIN_RNG), 'install libvirt0 (see tools/scripts/system-packages.txt)');
});

for (const name of ['q35-auto', 'q35-pci-bridge', 'q35-user-controllers', 'q35-addressed', 'pc-pci-bridge']) {
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

test.run();
