/** setMemory (balloon), reboot (fake reboot on the guest's power-off) and autoport VNC, against real QEMUs (kvm, no OS). */
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '@tsvirt/common';
import {
  DomainEventDefinedDetail,
  DomainEventResumedDetail,
  DomainEventStartedDetail,
  DomainEventSuspendedDetail,
  DomainEventType,
  DomainRunningReason,
  DomainState,
} from '@tsvirt/common/protocol';
import { rejectionOf, waitFor } from '@tsvirt/common/testing';
import { formatDomainDef } from '../../src/conf/domain-xml.js';
import type { BuildCommandLine } from '../../src/driver/domain-process.js';
import { buildQemuCommandLine } from '../../src/qemu/command-line/index.js';
import { queryBalloon, queryVnc } from '../../src/qemu/monitor/index.js';
import { portIsFree } from '../loopback-ports.js';
import { UUID_A, UUID_B } from './helpers.js';
import { UUID_C, isGone, lifecycleOf, minimalBuilder, smallDomainXml, withHarness } from './qemu-harness.js';

const E = DomainEventType;

function domainXml(name: string, uuid: string, devices: string, memoryMiB = 128): string {
  return `<domain type='kvm'>
  <name>${name}</name>
  <uuid>${uuid}</uuid>
  <memory unit='MiB'>${memoryMiB}</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>${devices}</devices>
</domain>`;
}

test('setMemory: balloon target accepted, currentMemory follows, above max refused, inactive refused', () =>
  withHarness(async (h) => {
    const driver = await h.driver({ buildCommandLine: buildQemuCommandLine });
    await driver.defineXML(domainXml('mem1', UUID_A, "<memballoon model='virtio'/>"));

    const inactive = await rejectionOf(driver.setMemory(UUID_A, 65536));
    assert.is(inactive.code, ErrorCode.OPERATION_INVALID);
    assert.is(inactive.message, 'domain is not running');
    assert.is((await driver.getInfo(UUID_A)).memKiB, 131072, 'inactive: from the definition');

    await driver.create(UUID_A);
    const dom = driver.list.getByUuid(UUID_A);
    const monitor = dom.runtime!.monitor;
    const pid = dom.runtime!.pid;

    const tooBig = await rejectionOf(driver.setMemory(UUID_A, 131073));
    assert.is(tooBig.code, ErrorCode.INVALID_ARG);
    assert.is(tooBig.message, 'cannot set memory higher than max memory');

    await driver.setMemory(UUID_A, 65536);
    assert.is(dom.def.currentMemory, 65536, 'live definition follows');
    assert.match(formatDomainDef(dom.def, {}), /<currentMemory unit='KiB'>65536<\/currentMemory>/);
    assert.is(dom.persistentDef.currentMemory, 131072, 'the saved definition is untouched');
    // Without a guest balloon driver QEMU's `actual` stays at the full size: getInfo reports what QEMU says.
    const actual = (await queryBalloon(monitor)).actual;
    const info = await driver.getInfo(UUID_A);
    assert.is(info.memKiB, actual / 1024, 'getInfo reports query-balloon');
    assert.is(info.maxMemKiB, 131072);
    assert.is(actual, 128 * 1024 * 1024, 'no guest driver: QEMU still reports 128 MiB');

    await driver.destroy(UUID_A);
    await waitFor(() => isGone(pid), 3000, 'QEMU to exit');
    assert.is((await driver.getInfo(UUID_A)).memKiB, 131072, 'shut off: the saved definition again');
  }));

test('setMemory without a balloon device is refused', () =>
  withHarness(async (h) => {
    const driver = await h.driver({ buildCommandLine: buildQemuCommandLine });
    await driver.defineXML(domainXml('mem2', UUID_A, "<memballoon model='none'/>"));
    await driver.create(UUID_A);
    const err = await rejectionOf(driver.setMemory(UUID_A, 65536));
    assert.is(err.code, ErrorCode.OPERATION_INVALID);
    assert.match(err.message, /without the balloon device/);
    assert.is((await driver.getInfo(UUID_A)).memKiB, 131072);
    await driver.destroy(UUID_A);
  }));

/**
 * A boot sector that powers off once: it marks 0x8000:0 and powers off through the PIIX4
 * PM port; after a reset (RAM kept) it finds the mark and halts for good.
 */
function writePowerOffOnceDisk(path: string): void {
  const code = [
    [0xb8, 0x00, 0x80], // mov ax,0x8000
    [0x8e, 0xd8], // mov ds,ax
    [0x81, 0x3e, 0x00, 0x00, 0x34, 0x12], // cmp word [0],0x1234
    [0x74, 0x0d], // je hang
    [0xc7, 0x06, 0x00, 0x00, 0x34, 0x12], // mov word [0],0x1234
    [0xba, 0x04, 0x06], // mov dx,0x604
    [0xb8, 0x00, 0x20], // mov ax,0x2000 (SLP_EN)
    [0xef], // out dx,ax
    [0xf4], // hang: hlt
    [0xeb, 0xfd], // jmp hang
  ].flat();
  const sector = Buffer.alloc(512);
  Buffer.from(code).copy(sector);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  writeFileSync(path, sector);
}

test('reboot: the power-off becomes system_reset + cont; same QEMU, still running, no lifecycle change', () =>
  withHarness(async (h) => {
    const disk = join(h.dir, 'poweroff-once.img');
    writePowerOffOnceDisk(disk);
    const withDisk: BuildCommandLine = (def, runtime) => {
      const argv = minimalBuilder(def, runtime);
      return { ...argv, args: [...argv.args, '-drive', `file=${disk},format=raw,if=ide`] };
    };
    const driver = await h.driver({ buildCommandLine: withDisk });
    await driver.defineXML(smallDomainXml('rb1', UUID_A));

    const inactive = await rejectionOf(driver.reboot(UUID_A));
    assert.is(inactive.code, ErrorCode.OPERATION_INVALID);
    assert.is(inactive.message, 'domain is not running');

    // Paused, so that the guest powers off only after the reboot was asked for.
    await driver.create(UUID_A, { paused: true });
    const dom = driver.list.getByUuid(UUID_A);
    const runtime = dom.runtime!;
    const pid = runtime.pid;
    const qmp: string[] = [];
    for (const name of ['SHUTDOWN', 'STOP', 'RESET', 'RESUME'] as const) {
      runtime.monitor.onEvent(name, () => qmp.push(name));
    }
    await driver.reboot(UUID_A);
    assert.ok(runtime.fakeReboot, 'reboot flag set');
    await driver.resume(UUID_A);
    await waitFor(
      () => qmp.includes('RESET') && qmp.lastIndexOf('RESUME') > qmp.indexOf('RESET'),
      10_000,
      'reset + cont',
    );
    assert.equal(qmp.slice(0, 2), ['RESUME', 'SHUTDOWN'], 'the guest powered off');
    assert.ok(qmp.includes('STOP'), '-no-shutdown paused it');
    assert.not.ok(runtime.fakeReboot, 'flag spent');
    assert.is(dom.runtime, runtime);
    assert.is(dom.runtime?.pid, pid, 'same QEMU');
    assert.not.ok(isGone(pid));
    const status = await runtime.monitor.execute('query-status');
    assert.equal(status, { status: 'running', singlestep: false, running: true });
    // Give stray event handlers a moment: nothing changes the state.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal([dom.state, dom.reason], [DomainState.RUNNING, DomainRunningReason.UNPAUSED]);
    assert.equal(lifecycleOf(h.sink, 'rb1'), [
      [E.DEFINED, DomainEventDefinedDetail.ADDED],
      [E.STARTED, DomainEventStartedDetail.BOOTED],
      [E.SUSPENDED, DomainEventSuspendedDetail.PAUSED],
      [E.RESUMED, DomainEventResumedDetail.UNPAUSED],
    ]);
    await driver.destroy(UUID_A);
    await waitFor(() => isGone(pid), 3000, 'QEMU to exit');
  }));

function rfbBanner(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => undefined);
    socket.setTimeout(3000, () => socket.destroy(new Error('no banner')));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString('latin1'));
    });
    socket.once('error', reject);
  });
}

test('autoport VNC: a free port from 5900 in the live XML, two domains get two ports, released at stop', () =>
  withHarness(async (h) => {
    const driver = await h.driver({ buildCommandLine: buildQemuCommandLine });
    const vnc = "<graphics type='vnc' autoport='yes' listen='127.0.0.1'/><memballoon model='none'/>";
    await driver.defineXML(domainXml('vnc1', UUID_A, vnc, 32));
    await driver.defineXML(domainXml('vnc2', UUID_B, vnc, 32));
    await driver.create(UUID_A);
    await driver.create(UUID_B);
    const a = driver.list.getByUuid(UUID_A);
    const b = driver.list.getByUuid(UUID_B);
    const portA = a.def.devices.graphics[0]?.port ?? -1;
    const portB = b.def.devices.graphics[0]?.port ?? -1;
    assert.ok(portA >= 5900 && portB >= 5900 && portA !== portB, `ports ${portA} ${portB}`);
    const live = formatDomainDef(a.def, {});
    assert.match(live, new RegExp(`<graphics type='vnc' port='${portA}' autoport='yes' listen='127.0.0.1'>`));
    assert.is(a.persistentDef.devices.graphics[0]?.port, -1, 'the saved definition keeps autoport');
    const info = await queryVnc(a.runtime!.monitor);
    assert.is(info.service, String(portA), 'QEMU listens on the recorded port');
    assert.is((await rfbBanner(portA)).slice(0, 12), 'RFB 003.008\n');
    // A restarted daemon shows the same port (the status file records it) and does not hand it out again.
    driver.close();
    const again = await h.driver({ buildCommandLine: buildQemuCommandLine });
    const recovered = again.list.getByUuid(UUID_A);
    assert.ok(recovered.active);
    assert.is(recovered.def.devices.graphics[0]?.port, portA);
    assert.match(formatDomainDef(recovered.def, {}), new RegExp(`port='${portA}'`));
    await again.defineXML(domainXml('vnc3', UUID_C, vnc, 32));
    await again.create(UUID_C);
    const portC = again.list.getByUuid(UUID_C).def.devices.graphics[0]?.port ?? -1;
    assert.ok(portC !== portA && portC !== portB, `third port ${portC}`);
    await again.destroy(UUID_C);
    await again.destroy(UUID_A);
    assert.is(recovered.def.devices.graphics[0]?.port, -1, 'shut off: back to the saved definition');
    // QMP's EOF can come a moment before the dead QEMU's VNC listener is gone: wait for the
    // OS to free the port, then the lowest free port, the released one, is handed out again.
    await waitFor(() => portIsFree(portA), 5000, `port ${portA} to be free`);
    await again.create(UUID_A);
    assert.is(recovered.def.devices.graphics[0]?.port, portA, 'a released port is reused');
    await again.destroy(UUID_A);
    await again.destroy(UUID_B);
  }));

test.run();
