/** Each typed QMP command against QEMU 7.2's real return shapes (captured from the installed binary), and against wrong ones. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, ErrorDomain } from '@tsvirt/common';
import { rejectionOf } from '@tsvirt/common/testing';
import {
  QmpCommandError,
  QmpConnection,
  balloon,
  cont,
  queryBalloon,
  queryBlockstats,
  queryChardev,
  queryCpusFast,
  queryKvm,
  queryMachines,
  queryStatus,
  queryVersion,
  queryVnc,
  quit,
  stop,
  systemPowerdown,
  systemReset,
} from '../../src/qemu/monitor/index.js';
import { FakeMonitor, type FakeScript } from './fake-monitor.js';

async function withScript(script: FakeScript): Promise<{ fake: FakeMonitor; qmp: QmpConnection }> {
  const { fake, client } = FakeMonitor.pair({ script });
  return { fake, qmp: await QmpConnection.connect(client) };
}

/** Per-device counters as QEMU 7.2 reports them (BlockDeviceStats), with the given byte and operation counts. */
function blockDeviceStats(rdBytes: number, wrBytes: number, rdOps: number, wrOps: number): Record<string, unknown> {
  return {
    unmap_operations: 0,
    unmap_merged: 0,
    flush_total_time_ns: 1500,
    wr_highest_offset: 0,
    wr_total_time_ns: 2500,
    failed_wr_operations: 0,
    failed_rd_operations: 0,
    wr_merged: 0,
    wr_bytes: wrBytes,
    timed_stats: [],
    failed_unmap_operations: 0,
    failed_flush_operations: 0,
    account_invalid: true,
    rd_total_time_ns: 3500,
    invalid_unmap_operations: 0,
    flush_operations: 3,
    wr_operations: wrOps,
    unmap_bytes: 0,
    rd_merged: 0,
    rd_bytes: rdBytes,
    unmap_total_time_ns: 0,
    invalid_flush_operations: 0,
    account_failed: true,
    rd_operations: rdOps,
    invalid_wr_operations: 0,
    invalid_rd_operations: 0,
  };
}

test('queryStatus reads running and status', async () => {
  const { qmp } = await withScript({
    'query-status': { return: { status: 'prelaunch', singlestep: false, running: false } },
  });
  assert.equal(await queryStatus(qmp), { running: false, status: 'prelaunch' });
  qmp.close();
});

test('cont, stop, systemPowerdown and systemReset send their commands with no arguments', async () => {
  const { fake, qmp } = await withScript({
    cont: { return: {} },
    stop: { return: {} },
    system_powerdown: { return: {} },
    system_reset: { return: {} },
  });
  await cont(qmp);
  await stop(qmp);
  await systemPowerdown(qmp);
  await systemReset(qmp);
  assert.equal(fake.commands, ['qmp_capabilities', 'cont', 'stop', 'system_powerdown', 'system_reset']);
  assert.ok(fake.received.every((c) => c.arguments === undefined));
  qmp.close();
});

test("a refused command surfaces QEMU's error through the typed function", async () => {
  const { qmp } = await withScript({
    cont: { error: { class: 'GenericError', desc: 'Resetting the Virtual Machine is required' } },
  });
  const err = await rejectionOf(cont(qmp));
  assert.instance(err, QmpCommandError);
  assert.is(err.message, "QEMU command 'cont' failed: Resetting the Virtual Machine is required");
  qmp.close();
});

test('quit resolves whether QEMU answers first or just closes the monitor', async () => {
  const answered = await withScript({
    quit: { return: {}, eventsBefore: [{ event: 'SHUTDOWN', data: { guest: false, reason: 'host-qmp-quit' } }] },
  });
  await quit(answered.qmp);
  answered.qmp.close();
  const vanished = await withScript({ quit: { close: true } });
  await quit(vanished.qmp);
  assert.is((await vanished.qmp.closed).reason, 'eof');
});

test('quit still reports a real failure', async () => {
  const { qmp } = await withScript({ quit: { error: { class: 'GenericError', desc: 'nope' } } });
  assert.is((await rejectionOf(quit(qmp))).message, "QEMU command 'quit' failed: nope");
  qmp.close();
});

test('queryVersion reads the nested qemu numbers and the package', async () => {
  const { qmp } = await withScript({
    'query-version': {
      return: { qemu: { micro: 22, minor: 2, major: 7 }, package: 'Debian 1:7.2+dfsg-7+deb12u18+b3' },
    },
  });
  assert.equal(await queryVersion(qmp), { major: 7, minor: 2, micro: 22, package: 'Debian 1:7.2+dfsg-7+deb12u18+b3' });
  qmp.close();
});

test('queryCpusFast maps cpu-index and thread-id', async () => {
  const { qmp } = await withScript({
    'query-cpus-fast': {
      return: [
        {
          'thread-id': 21285,
          props: { 'core-id': 0, 'thread-id': 0, 'socket-id': 0 },
          'qom-path': '/machine/unattached/device[0]',
          'cpu-index': 0,
          target: 'x86_64',
        },
        {
          'thread-id': 21286,
          props: { 'core-id': 0, 'thread-id': 0, 'socket-id': 1 },
          'qom-path': '/machine/unattached/device[1]',
          'cpu-index': 1,
          target: 'x86_64',
        },
      ],
    },
  });
  assert.equal(await queryCpusFast(qmp), [
    { cpuIndex: 0, threadId: 21285, qomPath: '/machine/unattached/device[0]' },
    { cpuIndex: 1, threadId: 21286, qomPath: '/machine/unattached/device[1]' },
  ]);
  qmp.close();
});

test('queryBalloon reads actual; without a balloon device QEMU says DeviceNotActive', async () => {
  const { qmp } = await withScript({ 'query-balloon': { return: { actual: 67108864 } } });
  assert.equal(await queryBalloon(qmp), { actual: 67108864 });
  qmp.close();
  const none = await withScript({
    'query-balloon': { error: { class: 'DeviceNotActive', desc: 'No balloon device has been activated' } },
  });
  const err = await rejectionOf(queryBalloon(none.qmp));
  assert.is((err as QmpCommandError).errorClass, 'DeviceNotActive');
  none.qmp.close();
});

test('balloon sends the target in bytes as "value" and refuses nonsense before asking QEMU', async () => {
  const { fake, qmp } = await withScript({ balloon: { return: {} } });
  await balloon(qmp, 33554432);
  assert.equal(fake.received[1], { execute: 'balloon', arguments: { value: 33554432 }, id: fake.received[1]!.id });
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    const err = await rejectionOf(balloon(qmp, bad));
    assert.is(err.code, ErrorCode.INVALID_ARG);
  }
  assert.is(fake.received.length, 2);
  qmp.close();
});

test('queryBlockstats maps the counters of each device; a -blockdev disk has device ""', async () => {
  const { qmp } = await withScript({
    'query-blockstats': {
      return: [
        {
          device: 'drive0',
          parent: {
            stats: blockDeviceStats(0, 0, 0, 0),
            'node-name': '#block071',
            'driver-specific': { 'discard-bytes-ok': 0, 'discard-nb-ok': 0, driver: 'file', 'discard-nb-failed': 0 },
          },
          stats: blockDeviceStats(1048576, 4096, 120, 3),
          'node-name': '#block133',
          qdev: '/machine/peripheral/disk0/virtio-backend',
        },
        { device: '', stats: blockDeviceStats(512, 0, 1, 0), qdev: 'vda', 'node-name': 'libvirt-1-format' },
      ],
    },
  });
  assert.equal(await queryBlockstats(qmp), [
    {
      device: 'drive0',
      qdev: '/machine/peripheral/disk0/virtio-backend',
      nodeName: '#block133',
      rdBytes: 1048576,
      wrBytes: 4096,
      rdOperations: 120,
      wrOperations: 3,
      flushOperations: 3,
      rdTotalTimeNs: 3500,
      wrTotalTimeNs: 2500,
      flushTotalTimeNs: 1500,
      wrHighestOffset: 0,
      parentWrHighestOffset: 0,
    },
    {
      device: undefined,
      qdev: 'vda',
      nodeName: 'libvirt-1-format',
      rdBytes: 512,
      wrBytes: 0,
      rdOperations: 1,
      wrOperations: 0,
      flushOperations: 3,
      rdTotalTimeNs: 3500,
      wrTotalTimeNs: 2500,
      flushTotalTimeNs: 1500,
      wrHighestOffset: 0,
      parentWrHighestOffset: undefined,
    },
  ]);
  qmp.close();
});

test('queryChardev lists label and filename and finds pty paths', async () => {
  const { qmp } = await withScript({
    'query-chardev': {
      return: [
        { 'frontend-open': true, filename: 'pty:/dev/pts/0', label: 'charserial0' },
        { 'frontend-open': true, filename: 'unix:/tmp/qcap/qmp.sock,server=on', label: 'compat_monitor0' },
      ],
    },
  });
  assert.equal(await queryChardev(qmp), [
    { label: 'charserial0', filename: 'pty:/dev/pts/0', ptyPath: '/dev/pts/0', frontendOpen: true },
    {
      label: 'compat_monitor0',
      filename: 'unix:/tmp/qcap/qmp.sock,server=on',
      ptyPath: undefined,
      frontendOpen: true,
    },
  ]);
  qmp.close();
});

test('queryVnc reads an enabled server and a disabled one', async () => {
  const { qmp } = await withScript({
    'query-vnc': {
      return: { enabled: true, auth: 'none', family: 'ipv4', clients: [], service: '5977', host: '127.0.0.1' },
    },
  });
  assert.equal(await queryVnc(qmp), {
    enabled: true,
    host: '127.0.0.1',
    service: '5977',
    family: 'ipv4',
    auth: 'none',
  });
  qmp.close();
  const off = await withScript({ 'query-vnc': { return: { enabled: false } } });
  assert.equal(await queryVnc(off.qmp), {
    enabled: false,
    host: undefined,
    service: undefined,
    family: undefined,
    auth: undefined,
  });
  off.qmp.close();
});

test('queryMachines maps name, alias, is-default (present only when true) and cpu-max', async () => {
  const { qmp } = await withScript({
    'query-machines': {
      return: [
        {
          'hotpluggable-cpus': false,
          name: 'none',
          'numa-mem-supported': false,
          'cpu-max': 1,
          deprecated: false,
          'default-ram-id': 'ram',
        },
        {
          'hotpluggable-cpus': true,
          name: 'pc-q35-7.2',
          'numa-mem-supported': false,
          'default-cpu-type': 'qemu64-x86_64-cpu',
          'cpu-max': 288,
          deprecated: false,
          'default-ram-id': 'pc.ram',
          alias: 'q35',
        },
        {
          'hotpluggable-cpus': true,
          name: 'pc-i440fx-7.2',
          'numa-mem-supported': false,
          'default-cpu-type': 'qemu64-x86_64-cpu',
          'is-default': true,
          'cpu-max': 255,
          deprecated: false,
          'default-ram-id': 'pc.ram',
          alias: 'pc',
        },
      ],
    },
  });
  assert.equal(await queryMachines(qmp), [
    { name: 'none', alias: undefined, isDefault: false, cpuMax: 1, deprecated: false, defaultCpuType: undefined },
    {
      name: 'pc-q35-7.2',
      alias: 'q35',
      isDefault: false,
      cpuMax: 288,
      deprecated: false,
      defaultCpuType: 'qemu64-x86_64-cpu',
    },
    {
      name: 'pc-i440fx-7.2',
      alias: 'pc',
      isDefault: true,
      cpuMax: 255,
      deprecated: false,
      defaultCpuType: 'qemu64-x86_64-cpu',
    },
  ]);
  qmp.close();
});

test('queryKvm reads enabled and present', async () => {
  const { qmp } = await withScript({ 'query-kvm': { return: { enabled: false, present: true } } });
  assert.equal(await queryKvm(qmp), { enabled: false, present: true });
  qmp.close();
});

const wrongShapes: Array<[string, FakeScript, (qmp: QmpConnection) => Promise<unknown>, string]> = [
  [
    'query-status',
    { 'query-status': { return: { status: 'running' } } },
    queryStatus,
    'return.running is not a boolean',
  ],
  ['query-status', { 'query-status': { return: [] } }, queryStatus, 'return is not an object'],
  ['query-version', { 'query-version': { return: { package: '' } } }, queryVersion, 'return.qemu is not an object'],
  [
    'query-version',
    { 'query-version': { return: { qemu: { major: '7', minor: 2, micro: 0 } } } },
    queryVersion,
    'return.qemu.major is not a number',
  ],
  ['query-cpus-fast', { 'query-cpus-fast': { return: {} } }, queryCpusFast, 'return is not an array'],
  [
    'query-cpus-fast',
    { 'query-cpus-fast': { return: [{ 'cpu-index': 0, 'thread-id': 1 }, { 'cpu-index': 1 }] } },
    queryCpusFast,
    'return[1].thread-id is not a number',
  ],
  ['query-balloon', { 'query-balloon': { return: { actual: null } } }, queryBalloon, 'return.actual is not a number'],
  [
    'query-blockstats',
    { 'query-blockstats': { return: [{ device: 'd' }] } },
    queryBlockstats,
    'return[0].stats is not an object',
  ],
  [
    'query-chardev',
    { 'query-chardev': { return: [{ label: 'x' }] } },
    queryChardev,
    'return[0].filename is not a string',
  ],
  ['query-vnc', { 'query-vnc': { return: {} } }, queryVnc, 'return.enabled is not a boolean'],
  [
    'query-machines',
    { 'query-machines': { return: [{ name: 'pc' }] } },
    queryMachines,
    'return[0].cpu-max is not a number',
  ],
  [
    'query-kvm',
    { 'query-kvm': { return: { enabled: 1, present: true } } },
    queryKvm,
    'return.enabled is not a boolean',
  ],
];

for (const [command, script, call, complaint] of wrongShapes) {
  test(`${command}: an unexpected shape (${complaint}) is an INTERNAL_ERROR naming command and field`, async () => {
    const { qmp } = await withScript(script);
    const err = await rejectionOf(call(qmp));
    assert.is(err.code, ErrorCode.INTERNAL_ERROR);
    assert.is(err.domain, ErrorDomain.QEMU);
    assert.is(err.message, `unexpected reply to QEMU command '${command}': ${complaint}`);
    qmp.close();
  });
}

test.run();
