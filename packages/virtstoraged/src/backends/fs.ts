/**
 * The `fs` pool: a block device holding a filesystem, mounted on the target directory
 * (libvirt's storage_backend_fs.c, fs flavour). Build makes the filesystem only when asked
 * to (--no-overwrite: on an empty device; --overwrite: whatever is there), as libvirt does;
 * without either flag it only makes the target directory.
 */
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import type { PoolDef } from '../conf/index.js';
import { invalidArg } from '../driver/storage-errors.js';
import type { BuildFlags } from './backend.js';
import type { CommandRunner } from './host-command.js';
import { MountedPoolBackend, poolTarget } from './mounted-pool.js';

/** mkfs's option forcing it over an existing filesystem, for the mkfs programs that want one. */
const MKFS_FORCE: Readonly<Record<string, string>> = { ext2: '-F', ext3: '-F', ext4: '-F', xfs: '-f' };

export function sourceDevice(pool: PoolDef): string {
  const device = pool.source.devices[0]?.path;
  if (!device) throw invalidArg(`storage pool '${pool.name}' is missing source device`);
  return device;
}

/** The filesystem of the pool's <source><format>, undefined for 'auto' (mount probes it). */
function poolFilesystem(pool: PoolDef): string | undefined {
  const format = pool.source.format?.type ?? 'auto';
  return format === 'auto' ? undefined : format;
}

/**
 * What `blkid -p` finds on `device`: a filesystem type, a partition table, or nothing.
 * It exits 2 when it finds nothing, which is the answer here, not a failure.
 */
export async function probeDeviceContent(run: CommandRunner, device: string): Promise<string | undefined> {
  const { stdout, exitCode } = await run(['blkid', '-p', '-o', 'export', device], { okExitCodes: [2] });
  if (exitCode === 2) return undefined;
  const values = new Map(
    stdout
      .split('\n')
      .map((line) => line.split('='))
      .filter((kv) => kv.length >= 2)
      .map(([key, ...rest]) => [key!, rest.join('=')]),
  );
  return values.get('TYPE') ?? values.get('PTTYPE');
}

export class FsBackend extends MountedPoolBackend {
  readonly type = 'fs' as const;
  protected readonly tools = { mount: 'mount', umount: 'mount', blkid: 'util-linux', mkfs: 'util-linux' };

  mountSource(pool: PoolDef): string {
    return sourceDevice(pool);
  }

  mountArgs(pool: PoolDef): string[] {
    const fs = poolFilesystem(pool);
    return [...(fs ? ['-t', fs] : []), sourceDevice(pool), poolTarget(pool)];
  }

  protected async buildStorage(pool: PoolDef, flags: BuildFlags): Promise<void> {
    if (!flags.overwrite && !flags.noOverwrite) return;
    const device = sourceDevice(pool);
    const fs = poolFilesystem(pool);
    if (!fs) {
      throw new VirError(
        ErrorCode.OPERATION_UNSUPPORTED,
        ErrorDomain.STORAGE,
        `cannot make a filesystem of format 'auto' on '${device}': name one in <source><format type>`,
      );
    }
    if (flags.noOverwrite) await this.assertDeviceEmpty(device);
    await makeFilesystem(this.run, device, fs, flags.overwrite === true);
  }

  private async assertDeviceEmpty(device: string): Promise<void> {
    const found = await probeDeviceContent(this.run, device);
    if (found) {
      throw new VirError(
        ErrorCode.STORAGE_POOL_BUILT,
        ErrorDomain.STORAGE,
        `Device '${device}' already formatted using '${found}'`,
        { str1: device },
      );
    }
  }
}

/** `mkfs -t FS [force] DEVICE`; `force` overrides mkfs's own refusal to write over a filesystem. */
export async function makeFilesystem(run: CommandRunner, device: string, fs: string, force: boolean): Promise<void> {
  const forceFlag = force ? MKFS_FORCE[fs] : undefined;
  await run(['mkfs', '-t', fs, ...(forceFlag ? [forceFlag] : []), device]);
}
