/**
 * Running lvm for a logical pool. Every command is confined to the pool's own devices by a
 * `--config devices { filter }`, so LVM never scans or touches the host's other disks or
 * volume groups; without udev (containers) LVM is told to make the device nodes itself.
 */
import { access } from 'node:fs/promises';
import type { PoolDef } from '../conf/index.js';
import { invalidArg } from '../driver/storage-errors.js';
import type { CommandResult, CommandRunner } from './host-command.js';

/** Quiets the warnings about inherited descriptors that lvm prints when run from a daemon. */
const LVM_ENV = { LVM_SUPPRESS_FD_WARNINGS: '1' };
const UDEV_CONTROL = '/run/udev/control';

/** The volume group of a logical pool: <source><name>, which post-parse defaults to the pool name. */
export function volumeGroup(pool: PoolDef): string {
  const vg = pool.source.name ?? pool.name;
  if (!/^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$/.test(vg)) throw invalidArg(`invalid volume group name '${vg}'`);
  return vg;
}

export function poolDevices(pool: PoolDef): string[] {
  return pool.source.devices.map((d) => {
    // The path goes into an lvm config string and a regular expression: only plain paths.
    if (!/^\/[A-Za-z0-9+_.:/@-]+$/.test(d.path)) throw invalidArg(`unsupported source device path '${d.path}'`);
    return d.path;
  });
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()[\]\\/]/g, '\\$&');
}

/** The `--config` for the pool: a filter accepting exactly its devices, and udev settings when udev is absent. */
export function lvmConfig(devices: readonly string[], udev: boolean): string[] {
  const parts: string[] = [];
  if (devices.length > 0) {
    const accept = devices.map((d) => `"a|^${escapeRegex(d)}$|"`).join(',');
    parts.push(`devices { filter=[${accept},"r|.*|"] }`);
  }
  if (!udev) parts.push('activation { udev_sync=0 udev_rules=0 verify_udev_operations=1 }');
  return parts.length > 0 ? ['--config', parts.join(' ')] : [];
}

async function udevRunning(): Promise<boolean> {
  try {
    await access(UDEV_CONTROL);
    return true;
  } catch {
    return false;
  }
}

export class LvmCommands {
  constructor(private readonly run: CommandRunner) {}

  /** `lvm COMMAND --config ... ARGS`, for the devices of `pool`. */
  async lvm(pool: PoolDef, command: string, args: readonly string[]): Promise<CommandResult> {
    const config = lvmConfig(poolDevices(pool), await udevRunning());
    return this.run([command, ...config, ...args], { env: LVM_ENV });
  }

  /** An lvm report (`vgs`, `lvs`) as JSON rows, sizes in bytes. */
  async report(
    pool: PoolDef,
    command: 'vgs' | 'lvs',
    fields: string,
    target: string,
  ): Promise<Record<string, string>[]> {
    const { stdout } = await this.lvm(pool, command, [
      '--reportformat',
      'json',
      '--units',
      'b',
      '--nosuffix',
      '-o',
      fields,
      target,
    ]);
    const parsed = JSON.parse(stdout) as { report?: Record<string, Record<string, string>[]>[] };
    const key = command === 'vgs' ? 'vg' : 'lv';
    return parsed.report?.[0]?.[key] ?? [];
  }
}
