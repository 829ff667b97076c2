/** Test support for the driver tests: a recording logger, a recording event sink, temp state dirs, XML. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { EventDataOf, EventDecl } from '@tsvirt/common';
import type { EventSink } from '../../src/driver/domain-handlers.js';

export interface RecordingLogger {
  log: Logger;
  errors: Array<{ obj: unknown; msg: string }>;
}

export function recordingLogger(): RecordingLogger {
  const errors: Array<{ obj: unknown; msg: string }> = [];
  const noop = (): void => undefined;
  const log = {
    error: (obj: unknown, msg: string) => errors.push({ obj, msg }),
    warn: noop,
    info: noop,
    debug: noop,
    trace: noop,
    fatal: noop,
    child: () => log,
  } as unknown as Logger;
  return { log, errors };
}

export class RecordingSink implements EventSink {
  readonly events: Array<{ name: string; data: unknown }> = [];

  emit<E extends EventDecl>(event: E, data: EventDataOf<E>): number {
    this.events.push({ name: event.name, data });
    return 1;
  }
}

export function tempStateDir(): string {
  return mkdtempSync(join(tmpdir(), 'tsv-drv-'));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function domainXml(name: string, uuid: string, memoryMiB = 512): string {
  return `<domain type='kvm'>
  <name>${name}</name>
  <uuid>${uuid}</uuid>
  <memory unit='MiB'>${memoryMiB}</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
</domain>`;
}

export const UUID_A = 'c7a5fdbd-edaf-9455-926a-d65c16db1809';
export const UUID_B = '3e3fce45-4f53-4fa7-bb32-11f34168b82b';
