/**
 * An emulated TPM for real: an OS-less KVM guest with `<tpm model='tpm-crb'>` gets its swtpm
 * (state manufactured once under the state dir, reused at the next start), QEMU reports the
 * TPM over QMP, and swtpm ends with QEMU however QEMU ends: destroy, kill -9, or a destroy
 * from a restarted driver that only knows swtpm's pid from the runtime status.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '@tsvirt/common';
import { rejectionOf, waitFor } from '@tsvirt/common/testing';
import { buildQemuCommandLine } from '../../src/qemu/command-line/index.js';
import type { DomainDriver } from '../../src/driver/domain-handlers.js';
import { runtimePaths } from '../../src/driver/domain-status.js';
import { tpmStateDir } from '../../src/driver/domain-tpm.js';
import { TPM2_STATE_FILE } from '../../src/host/swtpm.js';
import { isGone, withHarness, type Harness } from './qemu-harness.js';

const UUID = '5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

function tpmXml(backend = "<backend type='emulator' version='2.0'/>"): string {
  return `<domain type='kvm'>
  <name>tpm-guest</name>
  <uuid>${UUID}</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <tpm model='tpm-crb'>${backend}</tpm>
  </devices>
</domain>`;
}

async function realDriver(h: Harness): Promise<DomainDriver> {
  return h.driver({ buildCommandLine: buildQemuCommandLine, stateDir: join(h.dir, 'state') });
}

function swtpmPidOf(driver: DomainDriver): number {
  const pid = driver.list.getByUuid(UUID).runtime?.swtpmPid;
  assert.ok(pid !== undefined, 'the runtime knows its swtpm');
  return pid;
}

function comm(pid: number): string {
  return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
}

interface TpmInfo {
  model: string;
  /** the -tpmdev backend's id */
  id: string;
  options: { type: string; data: { chardev?: string } };
}

async function queryTpm(driver: DomainDriver): Promise<TpmInfo[]> {
  const monitor = driver.list.getByUuid(UUID).runtime?.monitor;
  assert.ok(monitor, 'a running domain has a monitor');
  return monitor.execute<TpmInfo[]>('query-tpm');
}

test('tpm-crb emulator: swtpm state made once, QMP sees the TPM, swtpm ends with QEMU every way', async () => {
  await withHarness(async (h) => {
    const driver = await realDriver(h);
    await driver.defineXML(tpmXml());
    const stateDir = tpmStateDir(join(h.dir, 'state'), UUID);
    const setupLog = (): string => readFileSync(join(h.logDir, 'qemu', 'tpm-guest-swtpm.log'), 'utf8');

    // First start: swtpm_setup manufactures the state, swtpm serves QEMU.
    let t0 = Date.now();
    await driver.create(UUID);
    const firstStartMs = Date.now() - t0;
    const first = swtpmPidOf(driver);
    assert.is(comm(first), 'swtpm');
    assert.ok(existsSync(join(stateDir, TPM2_STATE_FILE)), `${TPM2_STATE_FILE} in ${stateDir}`);
    assert.equal(await queryTpm(driver), [
      { model: 'tpm-crb', id: 'tpm-tpm0', options: { type: 'emulator', data: { chardev: 'chrtpm' } } },
    ]);
    const status = JSON.parse(readFileSync(runtimePaths(h.runStateDir, 1).statusFile, 'utf8')) as { swtpmPid?: number };
    assert.is(status.swtpmPid, first, 'swtpm pid in status.json');
    const inode = statSync(join(stateDir, TPM2_STATE_FILE)).ino;

    await driver.destroy(UUID);
    await waitFor(() => isGone(first), 10_000, 'swtpm to end after destroy');

    // Second start: the same state, no new manufacturing.
    t0 = Date.now();
    await driver.create(UUID);
    const secondStartMs = Date.now() - t0;
    const second = swtpmPidOf(driver);
    assert.not.equal(second, first);
    assert.is(setupLog().split('Starting vTPM manufacturing').length - 1, 1, 'swtpm_setup ran once');
    assert.is(statSync(join(stateDir, TPM2_STATE_FILE)).ino, inode, 'the state file was kept');
    assert.is((await queryTpm(driver)).length, 1);

    // kill -9 of QEMU: the domain crashes, and swtpm goes too.
    const qemuPid = driver.list.getByUuid(UUID).runtime?.pid ?? 0;
    process.kill(qemuPid, 'SIGKILL');
    await waitFor(() => !driver.list.getByUuid(UUID).active, 10_000, 'the crash to be noticed');
    await waitFor(() => isGone(second), 10_000, 'swtpm to end after QEMU was killed');

    // A restarted driver finds swtpm's pid in the runtime status and ends it with QEMU.
    await driver.create(UUID);
    const third = swtpmPidOf(driver);
    driver.close();
    const restarted = await realDriver(h);
    assert.ok(restarted.list.getByUuid(UUID).active, 'the restarted driver reattached');
    assert.is(swtpmPidOf(restarted), third);
    assert.is((await queryTpm(restarted)).length, 1);
    await restarted.destroy(UUID);
    await waitFor(() => isGone(third), 10_000, 'swtpm to end after the restarted driver destroyed QEMU');

    // Undefine takes the TPM state with it.
    await restarted.undefine(UUID);
    assert.not.ok(existsSync(join(h.dir, 'state', 'swtpm', UUID)), 'TPM state removed at undefine');
    process.stdout.write(`  start with swtpm_setup ${firstStartMs} ms, with existing state ${secondStartMs} ms\n`);
  });
});

test("a transient domain's TPM state is removed when it stops", async () => {
  await withHarness(async (h) => {
    const driver = await realDriver(h);
    await driver.createXML(tpmXml());
    const dir = join(h.dir, 'state', 'swtpm', UUID);
    assert.ok(existsSync(join(tpmStateDir(join(h.dir, 'state'), UUID), TPM2_STATE_FILE)));
    const pid = swtpmPidOf(driver);
    await driver.destroy(UUID);
    assert.not.ok(existsSync(dir), 'TPM state removed with the transient domain');
    await waitFor(() => isGone(pid), 10_000, 'swtpm to end');
  });
});

test('a passthrough TPM whose device is missing is refused before QEMU starts', async () => {
  await withHarness(async (h) => {
    const driver = await realDriver(h);
    const missing = '/dev/tsvirt-no-such-tpm0';
    await driver.defineXML(tpmXml(`<backend type='passthrough'><device path='${missing}'/></backend>`));
    const err = await rejectionOf(driver.create(UUID));
    assert.is(err.code, ErrorCode.CONFIG_UNSUPPORTED);
    assert.match(err.message, `TPM passthrough device '${missing}' does not exist on this host`);
    assert.not.ok(driver.list.getByUuid(UUID).active);
  });
});

test.run();
