/**
 * Test support for the tests that boot the real test guest through a virtqemud process:
 * its domain XML, its serial log, the runtime files the daemon keeps for it, and a daemon
 * on a fresh root whose QEMUs are killed by PID whatever happens.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { domainLifecycle, open, type Connection } from '@tsvirt/client';
import {
  killProcessesMentioning,
  makeTempRoot,
  pidsMentioning,
  removeTempRoot,
  spawnNamedDaemon,
  type DaemonProcess,
} from '@tsvirt/common/testing';
import { ensureTestGuest } from './test-guest.js';

export interface GuestOptions {
  name: string;
  uuid?: string;
  /** The serial port's file backend: QEMU truncates it at each start. */
  serialLog?: string;
  /** Instead of `serialLog`: the serial port on a pty, or on a unix socket QEMU listens on. */
  serial?: 'pty' | { unix: string };
  /** Extra kernel command line words, e.g. the init's `tsvirt.reboot=1`. */
  cmdline?: string;
  onReboot?: 'restart' | 'destroy';
  machine?: 'pc' | 'q35';
  /** `<os firmware='efi'>`: the daemon picks the firmware from the installed descriptors. */
  firmware?: 'efi';
  /** More `<os>` children after the kernel's, e.g. a UEFI `<loader>`. */
  os?: string;
  /** More `<devices>` after the serial port: disks, NICs, channels, `<memballoon model='none'/>`. */
  devices?: string;
}

/** The test guest under TCG (a Linux guest dies under this host's nested KVM). */
export function guestXml(options: GuestOptions): string {
  const { kernel, initrd } = ensureTestGuest();
  const uuid = options.uuid ? `\n  <uuid>${options.uuid}</uuid>` : '';
  const firmware = options.firmware ? ` firmware='${options.firmware}'` : '';
  const os = options.os ? `\n    ${options.os}` : '';
  const onReboot = options.onReboot ? `\n  <on_reboot>${options.onReboot}</on_reboot>` : '';
  const devices = options.devices ? `\n    ${options.devices.trim()}` : '';
  return `<domain type='qemu'>
  <name>${options.name}</name>${uuid}
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os${firmware}>
    <type arch='x86_64' machine='${options.machine ?? 'pc'}'>hvm</type>
    <kernel>${kernel}</kernel>
    <initrd>${initrd}</initrd>
    <cmdline>console=ttyS0 panic=-1${options.cmdline ? ` ${options.cmdline}` : ''}</cmdline>${os}
  </os>
  <features><acpi/></features>${onReboot}
  <devices>
    ${serialXml(options)}${devices}
  </devices>
</domain>`;
}

function serialXml({ serial, serialLog }: GuestOptions): string {
  if (serial === 'pty') return `<serial type='pty'/>`;
  if (serial) return `<serial type='unix'><source mode='bind' path='${serial.unix}'/></serial>`;
  if (!serialLog) throw new Error('guestXml: give serialLog or serial');
  return `<serial type='file'><source path='${serialLog}'/></serial>`;
}

/** What the guest wrote on its serial port so far ('' before QEMU created the file). */
export function serialText(path: string): string {
  return existsSync(path) ? readFileSync(path, 'latin1') : '';
}

/** How many lines of the serial log carry `marker` (e.g. TSVIRT-GUEST-BOOTED). */
export function markerCount(path: string, marker: string): number {
  return serialText(path)
    .split('\n')
    .filter((line) => line.includes(marker)).length;
}

/** A 1 MiB raw disk whose first sector is the line the guest's init prints back (TSVIRT-DISK-MARKER `text`). */
export function markerDisk(path: string, text: string): void {
  const image = Buffer.alloc(1024 * 1024);
  image.write(`TSVIRT-DISK:${text}\n`, 0, 'latin1');
  writeFileSync(path, image);
}

/** The daemon's runtime dir of the domain running with `id`. */
export function runtimeDir(root: string, id: number): string {
  return join(root, 'run', 'virtqemud', `domain-${id}`);
}

/** The QEMU pid the daemon recorded for the domain running with `id`. */
export function qemuPidOf(root: string, id: number): number {
  const status = JSON.parse(readFileSync(join(runtimeDir(root, id), 'status.json'), 'utf8')) as { pid: number };
  return status.pid;
}

/** Live QEMU processes whose command line mentions `marker` (a root, a domain's uuid). */
export function qemusMentioning(marker: string): number[] {
  return pidsMentioning(marker).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('qemu');
    } catch {
      return false;
    }
  });
}

export interface GuestDaemon {
  root: string;
  env: NodeJS.ProcessEnv;
  daemon(): DaemonProcess;
  /** Starts the daemon (again) on the same root. */
  restart(): Promise<DaemonProcess>;
  /** A new client connection (read-only if asked); closed at the end. */
  connect(options?: { readonly?: boolean }): Promise<Connection>;
  /** `[event, detail]` pairs of the lifecycle events `conn` receives from now on. */
  recordEvents(conn: Connection): Promise<Array<[number, number, number]>>;
}

/** Runs `body` with a virtqemud on a fresh root; connections, daemons and QEMUs are ended by PID after it. */
export async function withGuestDaemon(body: (g: GuestDaemon) => Promise<void>): Promise<void> {
  const root = makeTempRoot();
  const env = { ...process.env, TSVIRT_ROOT: root };
  const daemons: DaemonProcess[] = [];
  const conns: Connection[] = [];
  const g: GuestDaemon = {
    root,
    env,
    daemon: () => daemons.at(-1)!,
    async restart() {
      const daemon = await spawnNamedDaemon('virtqemud', root);
      daemons.push(daemon);
      return daemon;
    },
    async connect(options) {
      const conn = await open('qemu:///session', { env, autostart: false, readonly: options?.readonly });
      conns.push(conn);
      return conn;
    },
    async recordEvents(conn) {
      // [event, detail, ms timestamp]: latency measurements need the arrival time
      const events: Array<[number, number, number]> = [];
      await conn.subscribe(domainLifecycle, (e) => events.push([e.event, e.detail, Date.now()]));
      return events;
    },
  };
  try {
    await g.restart();
    await body(g);
  } finally {
    for (const conn of conns) await conn.close().catch(() => undefined);
    for (const daemon of daemons) await daemon.stop(2000);
    killProcessesMentioning(root);
    removeTempRoot(root);
  }
}
