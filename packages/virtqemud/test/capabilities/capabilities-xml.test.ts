/** formatCapabilities: golden output for the host-2cpu tree and QEMU 7.2, key XPaths, escaping, and KVM's domain only when usable. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatCapabilities, probeHost, type HostInfo } from '../../src/capabilities/index.js';
import { assertGolden, attrs, fixturePath, loadQemuInfo, parse, texts } from './fixtures.js';

const hostPromise = probeHost({ root: fixturePath('host-2cpu'), arch: 'x86_64' });

test('host-2cpu + qemu-7.2 → capabilities.xml', async () => {
  assertGolden(formatCapabilities(await hostPromise, loadQemuInfo()), 'capabilities.xml');
});

test('the output parses and answers the XPaths virsh users ask', async () => {
  const doc = parse(formatCapabilities(await hostPromise, loadQemuInfo()));
  assert.equal(texts(doc, '/capabilities/host/cpu/arch'), ['x86_64']);
  assert.equal(texts(doc, '/capabilities/host/uuid'), ['4c4c4544-0042-3510-8052-b4c04f4a4e32']);
  assert.equal(attrs(doc, '/capabilities/host/topology/cells/@num'), ['1']);
  assert.equal(attrs(doc, '/capabilities/host/topology/cells/cell/cpus/@num'), ['2']);
  assert.equal(attrs(doc, '/capabilities/host/topology/cells/cell/cpus/cpu/@siblings'), ['0-1', '0-1']);
  assert.equal(attrs(doc, '/capabilities/host/iommu/@support'), ['yes']);
  assert.equal(texts(doc, '/capabilities/host/secmodel/model'), ['none']);
  assert.equal(attrs(doc, "/capabilities/host/cpu/counter[@name='tsc']/@frequency"), ['2294608000']);

  const x86 = "/capabilities/guest[arch/@name='x86_64']/arch";
  assert.equal(texts(doc, `${x86}/wordsize`), ['64']);
  assert.equal(texts(doc, `${x86}/emulator`), ['/usr/bin/qemu-system-x86_64']);
  const machines = texts(doc, `${x86}/machine`);
  assert.is(machines[0], 'pc-i440fx-7.2', 'the default machine comes first');
  assert.ok(machines.includes('pc-i440fx-7.2'));
  assert.equal(attrs(doc, `${x86}/machine[text()='pc']/@canonical`), ['pc-i440fx-7.2']);
  assert.equal(attrs(doc, `${x86}/machine[text()='q35']/@canonical`), ['pc-q35-7.2']);
  assert.not.ok(machines.includes('none'), "'none' runs no guest");
  assert.equal(attrs(doc, `${x86}/machine[text()='pc-i440fx-1.4']/@deprecated`), ['yes']);
  assert.equal(attrs(doc, `${x86}/domain/@type`), ['qemu', 'kvm']);
  assert.is(doc.find(`${x86}/domain[@type='qemu']`).length, 1);
  assert.equal(texts(doc, "/capabilities/guest[arch/@name='i686']/arch/wordsize"), ['32']);
  assert.is(doc.find("/capabilities/guest[arch/@name='i686']/features/pae").length, 1);
  assert.is(doc.find("/capabilities/guest[arch/@name='x86_64']/features/pae").length, 0);
});

test('without usable KVM only the qemu domain type is listed', async () => {
  const qemu = loadQemuInfo();
  qemu.kvm = { present: true, usable: false };
  const doc = parse(formatCapabilities(await hostPromise, qemu));
  assert.equal(attrs(doc, '/capabilities/guest/arch/domain/@type'), ['qemu', 'qemu']);
});

test('text and attributes are escaped', async () => {
  const host: HostInfo = { ...(await hostPromise), secmodels: [{ model: 'a<b>&c', doi: "0'" }] };
  const qemu = { ...loadQemuInfo(), binary: "/opt/q&a's/qemu-system-x86_64" };
  qemu.machines = qemu.machines.map((m) => (m.alias === 'pc' ? { ...m, alias: `p'c"&` } : m));
  const xml = formatCapabilities(host, qemu);
  assert.match(xml, '<model>a&lt;b&gt;&amp;c</model>');
  assert.match(xml, "<emulator>/opt/q&amp;a's/qemu-system-x86_64</emulator>");
  assert.match(xml, "<machine canonical='pc-i440fx-7.2' maxCpus='255'>p'c\"&amp;</machine>");
  const doc = parse(xml);
  assert.equal(texts(doc, '/capabilities/host/secmodel/doi'), ["0'"]);
  assert.equal(texts(doc, "/capabilities/guest[1]/arch/machine[@canonical='pc-i440fx-7.2']"), [`p'c"&`]);
});

test.run();
