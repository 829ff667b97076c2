/** probeHost against fixture procfs/sysfs trees: the full sysfs case and the no-sysfs fallbacks; CPU lists and model names. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import { formatCpuList, parseCpuList, probeHost } from '../../src/capabilities/index.js';
import { hostCpuModel } from '../../src/capabilities/host-cpu-model.js';
import { fixturePath } from './fixtures.js';

test('host-2cpu: CPU, topology, NUMA, UUID, IOMMU and power from sysfs', async () => {
  const host = await probeHost({ root: fixturePath('host-2cpu'), arch: 'x86_64' });
  assert.is(host.uuid, '4c4c4544-0042-3510-8052-b4c04f4a4e32', 'DMI product_uuid wins over machine-id');
  assert.is(host.cpu.arch, 'x86_64');
  assert.is(host.cpu.vendor, 'Intel');
  assert.is(host.cpu.model, 'Skylake-Server');
  assert.is(host.cpu.modelName, 'Intel(R) Xeon(R) Gold 6140 CPU @ 2.30GHz');
  assert.equal(host.cpu.topology, { sockets: 1, dies: 1, cores: 1, threads: 2 });
  assert.equal(host.cpu.tsc, { frequencyHz: 2_294_608_000, scaling: false });
  assert.ok(host.cpu.features.includes('avx512f'));
  assert.is(host.cpu.features[0], 'fpu', 'kernel order kept');
  assert.is(host.iommu, true);
  assert.equal(host.powerManagement, { suspendMem: true, suspendDisk: true, suspendHybrid: true });
  assert.equal(host.migrationTransports, ['tcp']);
  assert.equal(host.secmodels, [{ model: 'none', doi: '0' }]);
  assert.equal(host.cells, [
    {
      id: 0,
      memoryKiB: 4028236,
      distances: [{ id: 0, value: 10 }],
      cpus: [
        { id: 0, socketId: 0, dieId: 0, coreId: 0, siblings: [0, 1] },
        { id: 1, socketId: 0, dieId: 0, coreId: 0, siblings: [0, 1] },
      ],
    },
  ]);
});

test('host-nosysfs: one cell from /proc/meminfo, ids from cpuinfo, UUID from machine-id', async () => {
  const host = await probeHost({ root: fixturePath('host-nosysfs'), arch: 'x86_64' });
  assert.is(host.uuid, '01234567-89ab-cdef-0123-456789abcdef');
  assert.is(host.cpu.vendor, 'AMD');
  assert.is(host.cpu.model, 'EPYC-Rome', 'family 17h with clwb');
  assert.equal(host.cpu.topology, { sockets: 2, dies: 1, cores: 2, threads: 1 });
  assert.is(host.cpu.tsc, undefined, 'no constant_tsc/tsc_known_freq: no counter');
  assert.is(host.iommu, false);
  assert.equal(host.powerManagement, { suspendMem: false, suspendDisk: false, suspendHybrid: false });
  assert.is(host.cells.length, 1);
  const cell = host.cells[0]!;
  assert.is(cell.memoryKiB, 8192000);
  assert.equal(cell.distances, []);
  assert.equal(
    cell.cpus.map((c) => [c.id, c.socketId, c.coreId]),
    [
      [0, 0, 0],
      [1, 0, 1],
      [2, 1, 0],
      [3, 1, 1],
    ],
  );
});

test('a root without /proc/cpuinfo is a SYSTEM_ERROR in the CAPABILITIES domain', async () => {
  try {
    await probeHost({ root: fixturePath('no-such-host') });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, VirError);
    assert.is((err as VirError).code, ErrorCode.SYSTEM_ERROR);
    assert.is((err as VirError).domain, ErrorDomain.CAPABILITIES);
    assert.match((err as VirError).message, /cannot read '.*no-such-host\/proc\/cpuinfo'/);
  }
});

test('CPU lists: parse and format as the kernel and libvirt write them', () => {
  assert.equal(parseCpuList('0-3,8,10-11\n'), [0, 1, 2, 3, 8, 10, 11]);
  assert.equal(parseCpuList(''), []);
  assert.equal(parseCpuList('5,1-2,2'), [1, 2, 5]);
  assert.throws(() => parseCpuList('0-a'), /malformed CPU list '0-a'/);
  assert.is(formatCpuList([0, 1, 2, 5, 7, 8]), '0-2,5,7-8');
  assert.is(formatCpuList([3]), '3');
  assert.is(formatCpuList([]), '');
});

test('host CPU model: vendor and family pick a QEMU model, qemu64 otherwise', () => {
  assert.is(hostCpuModel({ vendorId: 'AuthenticAMD', family: 0x19, flags: [] }), 'EPYC-Milan');
  assert.is(hostCpuModel({ vendorId: 'AuthenticAMD', family: 0x17, flags: [] }), 'EPYC');
  assert.is(hostCpuModel({ vendorId: 'GenuineIntel', family: 6, flags: ['avx', 'avx2', 'rdseed'] }), 'Broadwell');
  assert.is(hostCpuModel({ vendorId: 'GenuineIntel', family: 6, flags: [] }), 'Conroe');
  assert.is(hostCpuModel({ vendorId: 'GenuineIntel', family: 15, flags: [] }), 'qemu64');
  assert.is(hostCpuModel({ vendorId: undefined, family: undefined, flags: [] }), 'qemu64');
});

test.run();
