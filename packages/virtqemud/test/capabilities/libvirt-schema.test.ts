/**
 * The golden outputs validate against libvirt's own RelaxNG schemas, used here as an outside
 * oracle (Debian's libvirt0 installs them; tools/scripts/system-packages.txt lists it).
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatDomainCapabilities } from '../../src/capabilities/index.js';
import { fixturePath, libvirtSchemaErrors, libvirtSchemasPresent, loadQemuInfo } from './fixtures.js';

test('libvirt schemas are installed', () => {
  assert.ok(libvirtSchemasPresent(), 'install libvirt0 (see tools/scripts/system-packages.txt)');
});

const CASES: Array<[string, 'capability.rng' | 'domaincaps.rng']> = [
  ['capabilities.xml', 'capability.rng'],
  ['domcapabilities.xml', 'domaincaps.rng'],
  ['domcapabilities-q35-qemu.xml', 'domaincaps.rng'],
];

for (const [file, rng] of CASES) {
  test(`${file} is valid against libvirt's ${rng}`, () => {
    assert.equal(libvirtSchemaErrors(readFileSync(fixturePath(file), 'utf8'), rng), []);
  });
}

test('every machine and virttype of the recorded QEMU gives valid domcapabilities', () => {
  const qemu = loadQemuInfo();
  for (const machine of qemu.machines.filter((m) => m.name !== 'none')) {
    for (const virttype of ['kvm', 'qemu']) {
      const xml = formatDomainCapabilities(qemu, { machine: machine.name, virttype });
      assert.equal(libvirtSchemaErrors(xml, 'domaincaps.rng'), [], `${machine.name} ${virttype}`);
    }
  }
});

test.run();
