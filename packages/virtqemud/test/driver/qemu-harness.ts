/** Test support for the lifecycle tests: a minimal QEMU argv builder, temp dirs, drivers on them, and cleanup by PID. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DomainDef } from '../../src/conf/domain-xml.js';
import { DomainDriver, type DomainDriverOptions } from '../../src/driver/domain-handlers.js';
import type { BuildCommandLine } from '../../src/driver/domain-process.js';
import { DomainStore } from '../../src/driver/domain-store.js';
import type { QemuRuntimeInfo } from '../../src/qemu/command-line/runtime-info.js';
import { RecordingSink, recordingLogger } from './helpers.js';
import { isGone, pidsMentioning } from '@tsvirt/common/testing';

/** Just enough argv for a QEMU with no OS, a QMP monitor and a pidfile. */
export const minimalBuilder: BuildCommandLine = (def: DomainDef, runtime: QemuRuntimeInfo) => ({
  binary: 'qemu-system-x86_64',
  args: [
    '-name',
    `guest=${def.name}`,
    '-uuid',
    def.uuid ?? '',
    '-machine',
    'pc',
    '-accel',
    runtime.accel,
    '-m',
    String(Math.max(16, Math.floor(def.memory / 1024))),
    '-smp',
    String(def.vcpu.current ?? def.vcpu.max),
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-S',
    '-no-shutdown',
    '-chardev',
    `socket,id=charmonitor,path=${runtime.monitorSocket},server=on,wait=off`,
    '-mon',
    'chardev=charmonitor,id=monitor,mode=control',
    '-pidfile',
    runtime.pidFile,
  ],
});

export function smallDomainXml(name: string, uuid: string, type: 'kvm' | 'qemu' = 'kvm'): string {
  return `<domain type='${type}'>
  <name>${name}</name>
  <uuid>${uuid}</uuid>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
</domain>`;
}

export const UUID_C = '0f4a3c3e-9d55-4b4e-8f7e-2c1d6a0b7e11';

export interface Harness {
  dir: string;
  runStateDir: string;
  logDir: string;
  sink: RecordingSink;
  errors: Array<{ obj: unknown; msg: string }>;
  /** A driver on the harness dirs, loaded; each call makes a new one (a restarted daemon). */
  driver(overrides?: Partial<DomainDriverOptions>): Promise<DomainDriver>;
}

/** Runs `body` on fresh dirs; whatever QEMU it left is killed by PID, and the dirs removed. */
export async function withHarness(body: (h: Harness) => Promise<void>): Promise<void> {
  const dir = mkdtempSync('/tmp/tsv-lc-');
  const runStateDir = join(dir, 'run');
  const logDir = join(dir, 'log');
  mkdirSync(runStateDir);
  const sink = new RecordingSink();
  const { log, errors } = recordingLogger();
  const drivers: DomainDriver[] = [];
  const harness: Harness = {
    dir,
    runStateDir,
    logDir,
    sink,
    errors,
    async driver(overrides = {}) {
      const driver = new DomainDriver({
        store: new DomainStore(join(dir, 'state'), log),
        events: sink,
        log,
        jobWaitMs: 5000,
        runStateDir,
        logDir,
        buildCommandLine: minimalBuilder,
        ...overrides,
      });
      drivers.push(driver);
      await driver.load();
      return driver;
    },
  };
  try {
    await body(harness);
  } finally {
    for (const driver of drivers) driver.close();
    for (const pid of pidsMentioning(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The lifecycle events recorded so far, as `[event, detail]` pairs, for one domain. */
export function lifecycleOf(sink: RecordingSink, name: string): Array<[number, number]> {
  return sink.events
    .filter((e) => e.name === 'domain.lifecycle' && (e.data as { name: string }).name === name)
    .map((e) => {
      const data = e.data as { event: number; detail: number };
      return [data.event, data.detail];
    });
}

export { isGone, pidsMentioning };
