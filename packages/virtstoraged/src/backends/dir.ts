/**
 * The `dir` pool: a directory on the host, one file per volume (libvirt's
 * storage_backend_fs.c in its dir flavour). Build makes the directory, delete removes it
 * when empty, start checks it is there, refresh lists its files and the filesystem's sizes.
 */
import { chmod, chown, mkdir, rmdir, stat, statfs } from 'node:fs/promises';
import type { Logger } from 'pino';
import { permissionModeBits, type PoolDef, type VolDef } from '../conf/index.js';
import type { VolObj } from '../driver/pool-obj.js';
import { invalidArg, operationInvalid, systemError } from '../driver/storage-errors.js';
import type {
  BuildFlags,
  CreateVolOptions,
  PoolSizes,
  RefreshResult,
  ResizeOptions,
  StorageBackend,
} from './backend.js';
import { FileVolumes } from './file-volumes.js';
import { qemuImgAvailable } from './qemu-img.js';
import { poolDirectory } from './volume-paths.js';

/** libvirt's default mode for a pool directory it creates. */
const DEFAULT_POOL_DIR_MODE = 0o711;

function targetOf(pool: PoolDef): string {
  const path = pool.target.path;
  if (!path) throw invalidArg(`storage pool '${pool.name}' has no target path`);
  return path;
}

/** Capacity, allocation and free space of the filesystem holding `dir`, as libvirt reads them from statvfs. */
export async function filesystemSizes(dir: string): Promise<PoolSizes> {
  const fs = await statfs(dir);
  return {
    capacity: fs.blocks * fs.bsize,
    allocation: (fs.blocks - fs.bfree) * fs.bsize,
    available: fs.bavail * fs.bsize,
  };
}

export class DirBackend implements StorageBackend {
  readonly type = 'dir' as const;
  private readonly files: FileVolumes;

  constructor(log: Logger) {
    this.files = new FileVolumes(log);
  }

  async checkTools(): Promise<void> {
    // Raw volumes need nothing; images need qemu-img, checked here so its absence is named once, clearly.
    if (!(await qemuImgAvailable()))
      throw operationInvalid("storage pool type 'dir' needs qemu-img, which is not installed");
  }

  /** Makes the target directory (and its parents) with the pool's permissions; an existing one is kept. */
  async build(pool: PoolDef, flags: BuildFlags): Promise<void> {
    if (flags.overwrite && flags.noOverwrite) {
      throw invalidArg('Overwrite and no overwrite flags are mutually exclusive');
    }
    const path = targetOf(pool);
    const perms = pool.target.permissions;
    try {
      await mkdir(path, { recursive: true, mode: DEFAULT_POOL_DIR_MODE });
      const mode = permissionModeBits(perms);
      if (mode !== undefined) await chmod(path, mode);
      if (perms?.owner !== undefined || perms?.group !== undefined) {
        await chown(path, perms.owner ?? -1, perms.group ?? -1);
      }
    } catch (err) {
      throw systemError(`cannot create path '${path}'`, err);
    }
  }

  async start(pool: PoolDef): Promise<void> {
    const path = targetOf(pool);
    let isDir: boolean;
    try {
      isDir = (await stat(path)).isDirectory();
    } catch (err) {
      throw systemError(`cannot open directory '${path}'`, err);
    }
    if (!isDir) throw operationInvalid(`storage pool target path '${path}' is not a directory`);
  }

  async stop(): Promise<void> {}

  async refresh(pool: PoolDef, known: ReadonlyMap<string, VolObj>): Promise<RefreshResult> {
    const dir = await poolDirectory(pool);
    const volumes = await this.files.scan(pool, known);
    return { ...(await filesystemSizes(dir)), volumes };
  }

  /** Removes the directory; one that still holds files is refused by the kernel and reported. */
  async delete(pool: PoolDef): Promise<void> {
    const path = targetOf(pool);
    try {
      await rmdir(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw systemError(`failed to remove pool '${path}'`, err);
    }
  }

  createVol(pool: PoolDef, vol: VolDef, options: CreateVolOptions): Promise<VolObj> {
    return this.files.create(pool, vol, options);
  }

  createVolFrom(
    pool: PoolDef,
    vol: VolDef,
    source: { pool: PoolDef; vol: VolObj },
    options: CreateVolOptions,
  ): Promise<VolObj> {
    return this.files.createFrom(pool, vol, source, options);
  }

  deleteVol(pool: PoolDef, vol: VolObj, options: { zeroed?: boolean | undefined }): Promise<void> {
    return this.files.delete(pool, vol, options.zeroed ?? false);
  }

  wipeVol(pool: PoolDef, vol: VolObj): Promise<VolObj> {
    return this.files.wipe(pool, vol);
  }

  resizeVol(pool: PoolDef, vol: VolObj, capacity: number, options: ResizeOptions): Promise<VolObj> {
    return this.files.resize(pool, vol, capacity, options);
  }

  refreshVol(pool: PoolDef, vol: VolObj): Promise<VolObj> {
    return this.files.refreshVol(pool, vol);
  }
}
