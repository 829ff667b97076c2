/**
 * The pools that are a filesystem mounted on the target directory (fs: a local device,
 * netfs: a network share). Mounting is theirs; once mounted, the pool is a directory and
 * everything about volumes is the dir backend's, which this class delegates to.
 */
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { PoolDef, VolDef } from '../conf/index.js';
import type { VolObj } from '../driver/pool-obj.js';
import { invalidArg, operationInvalid, systemError } from '../driver/storage-errors.js';
import type { BuildFlags, CreateVolOptions, RefreshResult, ResizeOptions, StorageBackend } from './backend.js';
import { DirBackend } from './dir.js';
import { requireTools, runHostCommand, type CommandRunner } from './host-command.js';
import { mountAt, sameMountSource } from './mount-table.js';

/** Mount points the backend creates: plain directories anyone may traverse, as mkdir -p makes them. */
const MOUNT_POINT_MODE = 0o755;

export function poolTarget(pool: PoolDef): string {
  const path = pool.target.path;
  if (!path) throw invalidArg(`storage pool '${pool.name}' has no target path`);
  return path;
}

export abstract class MountedPoolBackend implements StorageBackend {
  abstract readonly type: 'fs' | 'netfs';
  protected readonly dir: DirBackend;

  constructor(
    log: Logger,
    protected readonly run: CommandRunner = runHostCommand,
  ) {
    this.dir = new DirBackend(log);
  }

  /** The tools the type needs beyond qemu-img, with the Debian package of each. */
  protected abstract readonly tools: Readonly<Record<string, string>>;
  /** What is mounted, as the mount table will show it: a device path, `host:/dir`, `//host/share`. */
  abstract mountSource(pool: PoolDef): string;
  /** The arguments of `mount` for this pool, the target path last or followed by options. */
  abstract mountArgs(pool: PoolDef): string[];
  /** After the target directory exists: make the storage itself (fs: the filesystem). */
  protected abstract buildStorage(pool: PoolDef, flags: BuildFlags): Promise<void>;

  async checkTools(): Promise<void> {
    await requireTools(this.type, this.tools);
    await this.dir.checkTools();
  }

  async build(pool: PoolDef, flags: BuildFlags): Promise<void> {
    await this.dir.build(pool, flags);
    await this.buildStorage(pool, flags);
  }

  /** Mounts the source on the target, which is made if missing; a target something is mounted on is refused. */
  async start(pool: PoolDef): Promise<void> {
    const target = poolTarget(pool);
    const source = this.mountSource(pool);
    const current = await mountAt(target);
    if (current) {
      if (await sameMountSource(current.source, source)) {
        throw operationInvalid(`Target '${target}' is already mounted`);
      }
      throw operationInvalid(`Target '${target}' is already mounted by '${current.source}'`);
    }
    try {
      await mkdir(target, { recursive: true, mode: MOUNT_POINT_MODE });
    } catch (err) {
      throw systemError(`cannot create path '${target}'`, err);
    }
    await this.run(['mount', ...this.mountArgs(pool)]);
  }

  /** After a daemon restart: the pool is still active only if its source is still mounted on the target. */
  async resume(pool: PoolDef): Promise<void> {
    await this.assertMounted(pool);
  }

  /** Unmounts; a pool that is no longer mounted is stopped without error, as libvirt does. */
  async stop(pool: PoolDef): Promise<void> {
    const target = poolTarget(pool);
    const current = await mountAt(target);
    if (!current) return;
    if (!(await sameMountSource(current.source, this.mountSource(pool)))) {
      throw operationInvalid(`Target '${target}' is mounted by '${current.source}', not by this pool`);
    }
    await this.run(['umount', target]);
  }

  /** Lists the mounted directory; if the mount went away, the pool is not listed from the bare mount point. */
  async refresh(pool: PoolDef, known: ReadonlyMap<string, VolObj>): Promise<RefreshResult> {
    await this.assertMounted(pool);
    return this.dir.refresh(pool, known);
  }

  /** Removes the (unmounted, empty) target directory, as libvirt's fs delete does. */
  delete(pool: PoolDef): Promise<void> {
    return this.dir.delete(pool);
  }

  private async assertMounted(pool: PoolDef): Promise<void> {
    const target = poolTarget(pool);
    const source = this.mountSource(pool);
    const current = await mountAt(target);
    if (!current || !(await sameMountSource(current.source, source))) {
      throw operationInvalid(`storage pool '${pool.name}': '${source}' is not mounted on '${target}'`);
    }
  }

  createVol(pool: PoolDef, vol: VolDef, options: CreateVolOptions): Promise<VolObj> {
    return this.dir.createVol(pool, vol, options);
  }

  createVolFrom(
    pool: PoolDef,
    vol: VolDef,
    source: { pool: PoolDef; vol: VolObj },
    options: CreateVolOptions,
  ): Promise<VolObj> {
    return this.dir.createVolFrom(pool, vol, source, options);
  }

  deleteVol(pool: PoolDef, vol: VolObj, options: { zeroed?: boolean | undefined }): Promise<void> {
    return this.dir.deleteVol(pool, vol, options);
  }

  wipeVol(pool: PoolDef, vol: VolObj): Promise<VolObj> {
    return this.dir.wipeVol(pool, vol);
  }

  resizeVol(pool: PoolDef, vol: VolObj, capacity: number, options: ResizeOptions): Promise<VolObj> {
    return this.dir.resizeVol(pool, vol, capacity, options);
  }

  refreshVol(pool: PoolDef, vol: VolObj): Promise<VolObj> {
    return this.dir.refreshVol(pool, vol);
  }
}
