/**
 * The `logical` pool: an LVM volume group on the source devices, one logical volume per
 * volume (libvirt's storage_backend_logical.c). Build makes the physical volumes and the
 * group, start and stop activate and deactivate it, delete removes both. Volumes are
 * block devices at /dev/VG/LV, fully allocated: sparse (thin) volumes are refused.
 */
import { readFile } from 'node:fs/promises';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import type { PoolDef, VolDef } from '../conf/index.js';
import type { VolObj } from '../driver/pool-obj.js';
import { invalidArg, noVolume } from '../driver/storage-errors.js';
import type { BuildFlags, RefreshResult, ResizeOptions, StorageBackend } from './backend.js';
import { openBlockDevice } from './block-device.js';
import { zeroFill } from './file-ops.js';
import { probeDeviceContent } from './fs.js';
import { requireTools, runHostCommand, type CommandRunner } from './host-command.js';
import { LvmCommands, poolDevices, volumeGroup } from './lvm-command.js';
import { qemuImgAvailable, runQemuImg } from './qemu-img.js';

/** The kernel's device-mapper registers this misc device; without it no logical volume can be activated. */
const PROC_MISC = '/proc/misc';

async function hasDeviceMapper(): Promise<boolean> {
  try {
    return /\bdevice-mapper$/m.test(await readFile(PROC_MISC, 'utf8'));
  } catch {
    return false;
  }
}

const LV_FIELDS = 'lv_name,lv_path,lv_size,lv_uuid,lv_attr';
const VG_FIELDS = 'vg_name,vg_size,vg_free';

function unsupported(message: string): VirError {
  return new VirError(ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.STORAGE, message);
}

export class LogicalBackend implements StorageBackend {
  readonly type = 'logical' as const;
  private readonly lvm: LvmCommands;

  constructor(
    private readonly run: CommandRunner = runHostCommand,
    private readonly deviceMapper: () => Promise<boolean> = hasDeviceMapper,
  ) {
    this.lvm = new LvmCommands(run);
  }

  async checkTools(): Promise<void> {
    await requireTools('logical', {
      pvcreate: 'lvm2',
      vgcreate: 'lvm2',
      vgchange: 'lvm2',
      lvcreate: 'lvm2',
      lvs: 'lvm2',
      blkid: 'util-linux',
    });
    if (!(await qemuImgAvailable()))
      throw new VirError(
        ErrorCode.OPERATION_INVALID,
        ErrorDomain.STORAGE,
        "storage pool type 'logical' needs qemu-img, which is not installed",
      );
  }

  /** pvcreate on each device (refusing one with content unless overwriting), then vgcreate. */
  async build(pool: PoolDef, flags: BuildFlags): Promise<void> {
    if (flags.overwrite && flags.noOverwrite) {
      throw invalidArg('Overwrite and no overwrite flags are mutually exclusive');
    }
    const devices = poolDevices(pool);
    if (devices.length === 0) throw invalidArg(`storage pool '${pool.name}' is missing source device`);
    if (!flags.overwrite) {
      for (const device of devices) {
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
    const made: string[] = [];
    try {
      for (const device of devices) {
        await this.lvm.lvm(pool, 'pvcreate', [...(flags.overwrite ? ['-ff', '--yes'] : []), device]);
        made.push(device);
      }
      await this.lvm.lvm(pool, 'vgcreate', [volumeGroup(pool), ...devices]);
    } catch (err) {
      for (const device of made) await this.lvm.lvm(pool, 'pvremove', [device]).catch(() => undefined);
      throw err;
    }
  }

  async start(pool: PoolDef): Promise<void> {
    await this.lvm.lvm(pool, 'vgchange', ['-aly', volumeGroup(pool)]);
  }

  async stop(pool: PoolDef): Promise<void> {
    await this.lvm.lvm(pool, 'vgchange', ['-aln', volumeGroup(pool)]);
  }

  async refresh(pool: PoolDef): Promise<RefreshResult> {
    const vg = volumeGroup(pool);
    const [group] = await this.lvm.report(pool, 'vgs', VG_FIELDS, vg);
    if (!group) throw invalidArg(`volume group '${vg}' not found`);
    const capacity = Number(group.vg_size);
    const available = Number(group.vg_free);
    const rows = await this.lvm.report(pool, 'lvs', LV_FIELDS, vg);
    // A thin pool ('t') holds volumes; it is not one.
    const volumes = rows.filter((row) => !row.lv_attr?.startsWith('t')).map((row) => this.describe(vg, row));
    return { capacity, allocation: capacity - available, available, volumes };
  }

  /** vgremove, then pvremove on every device, as libvirt does. */
  async delete(pool: PoolDef): Promise<void> {
    await this.lvm.lvm(pool, 'vgremove', ['-f', volumeGroup(pool)]);
    for (const device of poolDevices(pool)) await this.lvm.lvm(pool, 'pvremove', [device]);
  }

  private describe(vg: string, row: Record<string, string>): VolObj {
    const name = row.lv_name ?? '';
    const size = Number(row.lv_size);
    const def: VolDef = {
      name,
      key: row.lv_uuid || `${vg}/${name}`,
      type: 'block',
      capacity: size,
      allocation: size,
      physical: size,
      target: { path: row.lv_path || `/dev/${vg}/${name}` },
    };
    return { def };
  }

  private async lookup(pool: PoolDef, name: string): Promise<VolObj> {
    const vg = volumeGroup(pool);
    const [row] = await this.lvm.report(pool, 'lvs', LV_FIELDS, `${vg}/${name}`).catch(() => []);
    if (!row) throw noVolume('name', name);
    return this.describe(vg, row);
  }

  async createVol(pool: PoolDef, vol: VolDef): Promise<VolObj> {
    if (vol.backingStore) throw unsupported('backing storage not supported for logical volumes');
    if (vol.hasAllocation && (vol.allocation ?? vol.capacity) < vol.capacity) {
      throw unsupported(
        `sparse logical volumes are not supported: allocation of volume '${vol.name}' must equal its capacity`,
      );
    }
    if (vol.capacity <= 0) throw invalidArg(`volume '${vol.name}' needs a capacity`);
    await this.createLv(pool, vol.name, vol.capacity);
    return this.lookup(pool, vol.name);
  }

  /** lvcreate rounds the size up to whole extents; --yes wipes an old signature found in the new space. */
  private async createLv(pool: PoolDef, name: string, capacity: number): Promise<void> {
    // lvm's own message for this is three lines about libdevmapper versions: say what is wrong instead.
    if (!(await this.deviceMapper())) {
      throw new VirError(
        ErrorCode.OPERATION_UNSUPPORTED,
        ErrorDomain.STORAGE,
        `cannot create logical volume '${name}': the kernel has no device-mapper (no 'device-mapper' in ${PROC_MISC})`,
      );
    }
    await this.lvm.lvm(pool, 'lvcreate', ['--yes', '--name', name, '--size', `${capacity}b`, volumeGroup(pool)]);
  }

  /** A new LV of at least the source's capacity, filled by qemu-img convert (raw, into the existing device). */
  async createVolFrom(pool: PoolDef, vol: VolDef, source: { pool: PoolDef; vol: VolObj }): Promise<VolObj> {
    if (vol.backingStore) throw unsupported('backing storage not supported for logical volumes');
    const sourcePath = source.vol.def.target.path;
    if (!sourcePath) throw invalidArg(`volume '${source.vol.def.name}' has no path`);
    const capacity = Math.max(vol.capacity, source.vol.def.capacity);
    await this.createLv(pool, vol.name, capacity);
    try {
      const created = await this.lookup(pool, vol.name);
      await runQemuImg([
        'convert',
        '-q',
        '-U',
        '-n',
        '-f',
        source.vol.def.target.format?.type ?? 'raw',
        '-O',
        'raw',
        sourcePath,
        created.def.target.path!,
      ]);
      return created;
    } catch (err) {
      await this.removeLv(pool, vol.name).catch(() => undefined);
      throw err;
    }
  }

  private async removeLv(pool: PoolDef, name: string): Promise<void> {
    await this.lvm.lvm(pool, 'lvremove', ['-f', `${volumeGroup(pool)}/${name}`]);
  }

  async deleteVol(pool: PoolDef, vol: VolObj, options: { zeroed?: boolean | undefined }): Promise<void> {
    if (options.zeroed) await this.zero(pool, vol);
    await this.removeLv(pool, vol.def.name);
  }

  private async zero(pool: PoolDef, vol: VolObj): Promise<void> {
    const current = await this.lookup(pool, vol.def.name);
    const { handle } = await openBlockDevice(current.def.target.path!, 'write');
    try {
      await zeroFill(handle, current.def.capacity);
    } finally {
      await handle.close();
    }
  }

  async wipeVol(pool: PoolDef, vol: VolObj): Promise<VolObj> {
    await this.zero(pool, vol);
    return this.lookup(pool, vol.def.name);
  }

  /** lvresize; a shrink is forced past lvm's question, the driver having checked the shrink flag. */
  async resizeVol(pool: PoolDef, vol: VolObj, capacity: number, options: ResizeOptions): Promise<VolObj> {
    await this.lvm.lvm(pool, 'lvresize', [
      ...(options.shrink ? ['--force'] : []),
      '--size',
      `${capacity}b`,
      `${volumeGroup(pool)}/${vol.def.name}`,
    ]);
    return this.lookup(pool, vol.def.name);
  }

  refreshVol(pool: PoolDef, vol: VolObj): Promise<VolObj> {
    return this.lookup(pool, vol.def.name);
  }

  /** Uploads and downloads go to the LV's device node. */
  async openVolume(pool: PoolDef, vol: VolObj, mode: 'read' | 'write') {
    const current = await this.lookup(pool, vol.def.name);
    return openBlockDevice(current.def.target.path!, mode);
  }
}
