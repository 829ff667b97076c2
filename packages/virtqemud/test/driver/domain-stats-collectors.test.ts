/**
 * The stats collectors on their own: /proc parsers against real and constructed files,
 * rx/tx as libvirt reports a tap's counters, block stats mapped to disks from QEMU 7.2's
 * real reply shapes, and an inactive domain's image sizes from real raw and qcow2 files.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NetDef } from '../../src/conf/domain-def.js';
import { domainDefFromXml } from '../../src/conf/domain-xml.js';
import { inactiveBlockParams, liveBlockParams, netParams, vcpuParams } from '../../src/driver/domain-stats.js';
import {
  HOST_PROC,
  parseProcNetDev,
  parseProcStat,
  parseSchedWaitSum,
  parseSchedstat,
  parseVmRssKiB,
  readNetDevCounters,
  readProcessCpuTimes,
  readThreadStats,
  type ProcSource,
} from '../../src/driver/stats-proc.js';
import { QmpConnection, queryNamedBlockNodes } from '../../src/qemu/monitor/index.js';
import { FakeMonitor } from '../monitor/fake-monitor.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tsv-stats-'));
}

/** A /proc/net/dev as Linux 6.x writes it, with the given lines after the two headers. */
function netDevText(...lines: string[]): string {
  return [
    'Inter-|   Receive                                                |  Transmit',
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
    ...lines,
    '',
  ].join('\n');
}

test('stat: utime and stime counted after the last parenthesis, in ns at 100 ticks/s', () => {
  // A command name may hold spaces and parentheses: "qemu (x) y".
  const line =
    '4242 (qemu (x) y) S 1 4242 4242 0 -1 4194560 3000 0 0 0 57 123 0 0 20 0 5 0 900 300000000 9000 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0';
  assert.equal(parseProcStat(line, 100), { userNs: 570_000_000, systemNs: 1_230_000_000, totalNs: 1_800_000_000 });
  assert.is(parseProcStat('garbage', 100), undefined);
  assert.is(parseProcStat('1 (x) S 1 2', 100), undefined);
});

test("stat of this very process: user + system grows as it burns CPU, like a guest's QEMU does", async () => {
  const before = await readProcessCpuTimes(HOST_PROC, process.pid);
  assert.ok(before, 'our own stat is readable');
  const end = Date.now() + 150;
  let spin = 0;
  while (Date.now() < end) spin += Math.sqrt(spin + 1);
  const after = await readProcessCpuTimes(HOST_PROC, process.pid);
  assert.ok(after!.totalNs > before.totalNs, `${after!.totalNs} > ${before.totalNs} (spin ${spin > 0})`);
  assert.is(after!.totalNs, after!.userNs + after!.systemNs);
  assert.is(await readProcessCpuTimes(HOST_PROC, 0x7ffffff0), undefined, 'a gone process gives nothing');
});

test('schedstat, sched wait_sum and VmRSS parsers', () => {
  assert.equal(parseSchedstat('194979967 15369965 603\n'), { runNs: 194_979_967, queuedNs: 15_369_965 });
  assert.is(parseSchedstat(''), undefined);
  assert.is(
    parseSchedWaitSum(
      'se.exec_start    :   1.5\nwait_sum                                     :            12.345678\n',
    ),
    12_345_678,
  );
  assert.is(parseSchedWaitSum('se.statistics.wait_sum : 2.000000\n'), 2_000_000);
  assert.is(parseSchedWaitSum('se.sum_exec_runtime : 194.979967\n'), undefined, 'kernels without schedstats omit it');
  assert.is(parseVmRssKiB('Name:\tqemu\nVmRSS:\t   39812 kB\nRssAnon:\t 1 kB\n'), 39812);
  assert.is(parseVmRssKiB('Name:\tkthread\n'), undefined);
});

test("per-thread times of this process's main thread from the real /proc", async () => {
  const stats = await readThreadStats(HOST_PROC, process.pid, process.pid);
  assert.ok(stats && stats.runNs > 0, JSON.stringify(stats));
  assert.is(typeof stats.waitNs, 'number');
  assert.is(await readThreadStats(HOST_PROC, process.pid, 0x7ffffff0), undefined);
});

test('vcpu.N params from a constructed /proc: sorted by vCPU index, a vanished thread left out', async () => {
  const root = tempDir();
  try {
    const task = (tid: number, schedstat: string, sched: string): void => {
      const dir = join(root, '100', 'task', String(tid));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'schedstat'), schedstat);
      writeFileSync(join(dir, 'sched'), sched);
    };
    task(201, '5000 70 3\n', 'wait_sum : 0.004\n');
    task(202, '9000 80 4\n', 'nr_switches : 4\n');
    const proc: ProcSource = { ...HOST_PROC, procRoot: root };
    const params = await vcpuParams(proc, 100, [
      { cpuIndex: 1, threadId: 202, qomPath: undefined },
      { cpuIndex: 0, threadId: 201, qomPath: undefined },
      { cpuIndex: 2, threadId: 203, qomPath: undefined },
    ]);
    assert.equal(Object.entries(params), [
      ['vcpu.0.state', 1],
      ['vcpu.0.time', 5000],
      ['vcpu.0.wait', 4000],
      ['vcpu.0.delay', 70],
      ['vcpu.1.state', 1],
      ['vcpu.1.time', 9000],
      ['vcpu.1.wait', 0],
      ['vcpu.1.delay', 80],
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

const nets: NetDef[] = [
  { type: 'network', mac: '52:54:00:00:00:01', targetDev: 'vnet0', source: { network: 'default' } },
  { type: 'user', mac: '52:54:00:00:00:02' },
  { type: 'bridge', mac: '52:54:00:00:00:03', targetDev: 'vnet9', source: { bridge: 'br0' } },
  { type: 'ethernet', mac: '52:54:00:00:00:04', targetDev: 'tap-eth' },
];

test("interface stats from a constructed /proc/net/dev: a tap's rx is the guest's tx, as libvirt swaps them", async () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'dev');
    writeFileSync(
      file,
      netDevText(
        '    lo:   23130     362    0    0    0     0          0         0    23130     362    0    0    0     0       0          0',
        // the tap received 1000 bytes / 10 packets from the guest and sent it 5000 / 50
        ' vnet0:    1000      10    1    2    0     0          0         0     5000      50    3    4    0     0       0          0',
        'tap-eth:    700       7    0    0    0     0          0         0      800       8    0    0    0     0       0          0',
      ),
    );
    const counters = await readNetDevCounters({ ...HOST_PROC, netDevPath: file });
    assert.equal(counters.get('vnet0'), {
      rxBytes: 1000,
      rxPackets: 10,
      rxErrors: 1,
      rxDropped: 2,
      txBytes: 5000,
      txPackets: 50,
      txErrors: 3,
      txDropped: 4,
    });
    assert.equal(Object.entries(netParams(nets, counters)), [
      ['net.count', 4],
      ['net.0.name', 'vnet0'],
      ['net.0.rx.bytes', 5000],
      ['net.0.rx.pkts', 50],
      ['net.0.rx.errs', 3],
      ['net.0.rx.drop', 4],
      ['net.0.tx.bytes', 1000],
      ['net.0.tx.pkts', 10],
      ['net.0.tx.errs', 1],
      ['net.0.tx.drop', 2],
      // the user interface has no host device: counted, nothing else; vnet9 is not there: name only
      ['net.2.name', 'vnet9'],
      // type ethernet shares the host's view: not swapped
      ['net.3.name', 'tap-eth'],
      ['net.3.rx.bytes', 700],
      ['net.3.rx.pkts', 7],
      ['net.3.rx.errs', 0],
      ['net.3.rx.drop', 0],
      ['net.3.tx.bytes', 800],
      ['net.3.tx.pkts', 8],
      ['net.3.tx.errs', 0],
      ['net.3.tx.drop', 0],
    ]);
    assert.equal((await readNetDevCounters({ ...HOST_PROC, netDevPath: join(dir, 'missing') })).size, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Sends `count` UDP datagrams of `size` bytes to itself over 127.0.0.1, from a node inside `ns`. */
const UDP_TO_SELF = `
const s = require('node:dgram').createSocket('udp4');
s.bind(0, '127.0.0.1', async () => {
  let got = 0;
  s.on('message', () => { if (++got === Number(process.argv[1])) s.close(); });
  for (let i = 0; i < Number(process.argv[1]); i++) s.send(Buffer.alloc(Number(process.argv[2])), s.address().port, '127.0.0.1');
});`;

test("the real kernel's /proc/net/dev of a fresh network namespace: lo counts the datagrams sent over it", () => {
  const ns = `tsv-stats-${process.pid}`;
  const inNs = (...argv: string[]): string => execFileSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8' });
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    inNs('ip', 'link', 'set', 'lo', 'up');
    assert.is(parseProcNetDev(inNs('cat', '/proc/net/dev')).get('lo')?.rxPackets, 0);
    inNs(process.execPath, '-e', UDP_TO_SELF, '5', '100');
    const lo = parseProcNetDev(inNs('cat', '/proc/net/dev')).get('lo');
    // each datagram leaves and enters through lo, counted from its IP header: 100 bytes + 8 UDP + 20 IP
    assert.equal(
      [lo?.rxPackets, lo?.txPackets, lo?.rxBytes, lo?.txBytes, lo?.rxErrors, lo?.txDropped],
      [5, 5, 5 * 128, 5 * 128, 0, 0],
    );
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
});

function diskDomain(disks: string): ReturnType<typeof domainDefFromXml> {
  return domainDefFromXml(`<domain type='kvm'>
  <name>d</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>${disks}</devices>
</domain>`);
}

test('block stats of a running domain: counters by device, capacity from the format node, allocation from the storage node', async () => {
  const dir = tempDir();
  try {
    const raw = join(dir, 'a.raw');
    // sparse: QEMU reports actual-size 0, so physical comes from the file's size as in libvirt
    writeFileSync(raw, '');
    truncateSync(raw, 16 * 1024 * 1024);
    const def = diskDomain(`
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${raw}'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>`);
    const counters = (rd: number, wr: number) => ({
      rdBytes: rd * 512,
      wrBytes: wr * 512,
      rdOperations: rd,
      wrOperations: wr,
      flushOperations: 2,
      rdTotalTimeNs: 11,
      wrTotalTimeNs: 22,
      flushTotalTimeNs: 33,
    });
    const params = await liveBlockParams(def, {
      blockstats: [
        // QEMU 7.2's shapes: a -blockdev disk has device "", a virtio one a QOM path as qdev
        {
          device: undefined,
          qdev: 'ide0-1-0',
          nodeName: undefined,
          ...counters(0, 0),
          wrHighestOffset: 0,
          parentWrHighestOffset: undefined,
        },
        {
          device: undefined,
          qdev: '/machine/peripheral/virtio-disk0/virtio-backend',
          nodeName: 'libvirt-2-format',
          ...counters(7, 3),
          wrHighestOffset: 4096,
          parentWrHighestOffset: 8192,
        },
      ],
      blockNodes: [
        { nodeName: 'libvirt-2-format', virtualSize: 16 * 1024 * 1024, actualSize: 0 },
        { nodeName: 'libvirt-2-storage', virtualSize: 16 * 1024 * 1024, actualSize: 0 },
      ],
    });
    assert.equal(Object.entries(params), [
      ['block.count', 2],
      ['block.0.name', 'vda'],
      ['block.0.path', raw],
      ['block.0.rd.reqs', 7],
      ['block.0.rd.bytes', 3584],
      ['block.0.rd.times', 11],
      ['block.0.wr.reqs', 3],
      ['block.0.wr.bytes', 1536],
      ['block.0.wr.times', 22],
      ['block.0.fl.reqs', 2],
      ['block.0.fl.times', 33],
      ['block.0.allocation', 8192],
      ['block.0.capacity', 16777216],
      ['block.0.physical', 16777216],
      ['block.1.name', 'hdc'],
      ['block.1.rd.reqs', 0],
      ['block.1.rd.bytes', 0],
      ['block.1.rd.times', 11],
      ['block.1.wr.reqs', 0],
      ['block.1.wr.bytes', 0],
      ['block.1.wr.times', 22],
      ['block.1.fl.reqs', 2],
      ['block.1.fl.times', 33],
      ['block.1.allocation', 0],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('block stats of an inactive domain: sizes of real raw and qcow2 images, zero allocation left out', async () => {
  const dir = tempDir();
  try {
    const raw = join(dir, 'sparse.raw');
    writeFileSync(raw, '');
    truncateSync(raw, 8 * 1024 * 1024);
    const full = join(dir, 'full.raw');
    writeFileSync(full, Buffer.alloc(64 * 1024, 1));
    const qcow2 = join(dir, 'img.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', qcow2, '1G']);
    const qcow2Size = readFileSync(qcow2).length;
    const def = diskDomain(`
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${raw}'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${full}'/><target dev='vdb' bus='virtio'/></disk>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${qcow2}'/><target dev='vdc' bus='virtio'/></disk>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${join(dir, 'gone.raw')}'/><target dev='vdd' bus='virtio'/></disk>`);
    const params = await inactiveBlockParams(def.devices.disks);
    assert.is(params['block.count'], 4);
    assert.equal(
      [params['block.0.name'], params['block.0.allocation'], params['block.0.capacity'], params['block.0.physical']],
      ['vda', undefined, 8 * 1024 * 1024, 8 * 1024 * 1024],
    );
    assert.ok(Number(params['block.1.allocation']) >= 64 * 1024, String(params['block.1.allocation']));
    assert.is(params['block.1.capacity'], 64 * 1024);
    assert.is(params['block.2.capacity'], 1024 ** 3, 'the guest size from the qcow2 header');
    assert.is(params['block.2.physical'], qcow2Size);
    assert.equal(
      Object.keys(params).filter((k) => k.startsWith('block.3.')),
      ['block.3.name', 'block.3.path'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('queryNamedBlockNodes reads node name and sizes from the flat list', async () => {
  const { fake, client } = FakeMonitor.pair({
    script: {
      'query-named-block-nodes': {
        return: [
          {
            'node-name': 'libvirt-1-format',
            drv: 'raw',
            image: {
              'virtual-size': 16777216,
              filename: '/x.raw',
              format: 'raw',
              'actual-size': 0,
              'dirty-flag': false,
            },
          },
          { 'node-name': 'libvirt-1-storage', drv: 'file', image: { 'virtual-size': 16777216, filename: '/x.raw' } },
        ],
      },
    },
  });
  const qmp = await QmpConnection.connect(client);
  assert.equal(await queryNamedBlockNodes(qmp), [
    { nodeName: 'libvirt-1-format', virtualSize: 16777216, actualSize: 0 },
    { nodeName: 'libvirt-1-storage', virtualSize: 16777216, actualSize: undefined },
  ]);
  assert.equal(fake.received.at(-1)?.arguments, { flat: true });
  qmp.close();
});

test.run();
