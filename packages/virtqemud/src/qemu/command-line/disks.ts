/** Disks: a `-blockdev` protocol node and format node (JSON form) per source, then the guest device on its bus. */
import type { DiskDef, DomainDef } from '../../conf/domain-def.js';
import { diskNameIndex, isQ35 } from '../../conf/device-address.js';
import { jsonOption, keyval, type OptionItem } from './option-value.js';
import { bootIndexes, pciProps } from './device-props.js';
import { cannotExpress, missingRuntime, type QemuRuntimeInfo } from './runtime-info.js';
import { networkStorageProps } from './network-disk.js';

/** The block node names of one disk; the driver needs them for block stats, cdrom changes and jobs. */
export interface DiskNodeNames {
  storage: string;
  format: string;
}

/**
 * `libvirt-N-storage` / `libvirt-N-format`, numbered from the last disk as libvirt does.
 * Node names are internal and short (QEMU caps them at 31 characters), never from the XML.
 */
export function diskNodeNames(def: DomainDef, index: number): DiskNodeNames {
  const n = def.devices.disks.length - index;
  return { storage: `libvirt-${n}-storage`, format: `libvirt-${n}-format` };
}

/** The device id QEMU reports in query-block: the user alias, else libvirt's name for the bus position. */
export function diskAlias(disk: DiskDef): string {
  if (disk.alias !== undefined) return disk.alias;
  const a = disk.address?.type === 'drive' ? disk.address : undefined;
  switch (disk.target.bus) {
    case 'virtio':
      return `virtio-disk${diskNameIndex(disk.target.dev) ?? 0}`;
    case 'ide':
      return `ide${a?.controller ?? 0}-${a?.bus ?? 0}-${a?.unit ?? 0}`;
    case 'sata':
      return `sata${a?.controller ?? 0}-0-${a?.unit ?? 0}`;
    case 'scsi':
      return `scsi${a?.controller ?? 0}-${a?.bus ?? 0}-${a?.target ?? 0}-${a?.unit ?? 0}`;
    case 'fdc':
      return `fdc0-0-${a?.unit ?? 0}`;
    default:
      throw cannotExpress(`<disk> <target bus> '${disk.target.bus ?? ''}'`);
  }
}

interface CacheMode {
  direct: boolean;
  noFlush: boolean;
  writeCache: boolean;
}

/** libvirt's split of a cache mode into the block layer's flags and the device's write cache. */
const CACHE: Record<string, CacheMode> = {
  none: { direct: true, noFlush: false, writeCache: true },
  writethrough: { direct: false, noFlush: false, writeCache: false },
  writeback: { direct: false, noFlush: false, writeCache: true },
  directsync: { direct: true, noFlush: false, writeCache: false },
  unsafe: { direct: false, noFlush: true, writeCache: true },
};

function cacheMode(disk: DiskDef): CacheMode | undefined {
  const mode = disk.driver.cache;
  if (mode === undefined || mode === 'default') return undefined;
  const c = CACHE[mode];
  if (!c) throw cannotExpress(`<disk> <driver cache> '${mode}'`);
  return c;
}

/** The host file or device node behind a disk, or undefined for an empty cdrom/floppy. */
function diskSource(disk: DiskDef, runtime: QemuRuntimeInfo): { path: string; block: boolean } | undefined {
  const s = disk.source;
  if (!s) return undefined;
  if (disk.type === 'file' && s.file !== undefined) return { path: s.file, block: false };
  if (disk.type === 'block' && s.dev !== undefined) return { path: s.dev, block: true };
  if (disk.type === 'volume') {
    const v = runtime.volumePaths[disk.target.dev];
    if (v === undefined) throw missingRuntime(`no resolved path for volume disk '${disk.target.dev}'`);
    return typeof v === 'string' ? { path: v, block: false } : { path: v.path, block: v.type === 'block' };
  }
  return undefined;
}

/** The protocol node's driver and location: a local file or device, or a network server (network-disk.ts). */
function storageProtocol(disk: DiskDef, source: { path: string; block: boolean }): Record<string, unknown> {
  if (!source.block) return { driver: 'file', filename: source.path };
  return { driver: disk.device === 'cdrom' ? 'host_cdrom' : 'host_device', filename: source.path };
}

function blockdevArgs(disk: DiskDef, names: DiskNodeNames, protocol: Record<string, unknown>): string[] {
  const cache = cacheMode(disk);
  if (disk.driver.io !== undefined && protocol.driver !== 'file' && protocol.driver !== 'host_device') {
    throw cannotExpress(
      `<driver io='${disk.driver.io}'> on disk '${disk.target.dev}': only local files and devices take it`,
    );
  }
  const cacheProps = cache ? { direct: cache.direct, 'no-flush': cache.noFlush } : undefined;
  if (disk.driver.io === 'native' && !cache?.direct) {
    // QEMU refuses Linux native AIO without O_DIRECT; say so before QEMU does.
    throw cannotExpress(`<driver io='native'> on disk '${disk.target.dev}' needs cache 'none' or 'directsync'`);
  }
  const discard = disk.driver.discard === 'unmap' ? 'unmap' : undefined;
  const format = disk.driver.type ?? 'raw';
  if (format !== 'raw' && format !== 'qcow2') throw cannotExpress(`<disk> <driver type> '${format}'`);
  const storage = jsonOption({
    ...protocol,
    'node-name': names.storage,
    // Opened read-write only when a writer attaches, so a read-only image needs no write access.
    'auto-read-only': true,
    'read-only': disk.readonly ? true : undefined,
    discard,
    aio: disk.driver.io,
    cache: cacheProps,
  });
  const fmt = jsonOption({
    'node-name': names.format,
    'read-only': disk.readonly,
    discard,
    cache: cacheProps,
    driver: format,
    file: names.storage,
    // The XML names no backing chain, so none is opened: a backing file named inside a guest-writable
    // qcow2 header would otherwise let the guest read any host file.
    backing: format === 'qcow2' ? null : undefined,
  });
  return ['-blockdev', storage, '-blockdev', fmt];
}

/** The guest-side device, its driver name and its bus placement. */
function diskDevice(def: DomainDef, disk: DiskDef): { driver: string; placement: OptionItem[] } {
  const a = disk.address?.type === 'drive' ? disk.address : undefined;
  const cd = disk.device === 'cdrom';
  const what = `disk '${disk.target.dev}'`;
  if (disk.device === 'floppy') {
    if (disk.target.bus !== 'fdc') throw cannotExpress(`floppy ${what} on bus '${disk.target.bus ?? ''}'`);
    return { driver: 'floppy', placement: [['unit', a?.unit ?? 0]] };
  }
  switch (disk.target.bus) {
    case 'virtio':
      if (cd) throw cannotExpress(`cdrom ${what} on bus 'virtio'`);
      return { driver: 'virtio-blk-pci', placement: pciProps(def, disk, what) };
    case 'ide':
      return {
        driver: cd ? 'ide-cd' : 'ide-hd',
        placement: [
          ['bus', `ide.${a?.bus ?? 0}`],
          ['unit', a?.unit ?? 0],
        ],
      };
    case 'sata': {
      const ctrl = a?.controller ?? 0;
      // q35's built-in AHCI controller is QEMU's `ide`; others are the ahci devices we add as sataN.
      const bus = isQ35(def.os.machine) && ctrl === 0 ? `ide.${a?.unit ?? 0}` : `sata${ctrl}.${a?.unit ?? 0}`;
      return { driver: cd ? 'ide-cd' : 'ide-hd', placement: [['bus', bus]] };
    }
    case 'scsi': {
      const ctrl = a?.controller ?? 0;
      const model = def.devices.controllers.find((c) => c.type === 'scsi' && c.index === ctrl)?.model;
      const placement: OptionItem[] =
        model === 'virtio-scsi'
          ? [
              ['bus', `scsi${ctrl}.0`],
              ['channel', a?.bus ?? 0],
              ['scsi-id', a?.target ?? 0],
              ['lun', a?.unit ?? 0],
            ]
          : [
              ['bus', `scsi${ctrl}.0`],
              ['scsi-id', a?.unit ?? 0],
            ];
      return { driver: cd ? 'scsi-cd' : 'scsi-hd', placement };
    }
    default:
      throw cannotExpress(`<disk> <target bus> '${disk.target.bus ?? ''}'`);
  }
}

export function diskArgs(def: DomainDef, runtime: QemuRuntimeInfo): string[] {
  const args: string[] = [];
  const boot = bootIndexes(def);
  def.devices.disks.forEach((disk, i) => {
    const names = diskNodeNames(def, i);
    const local = diskSource(disk, runtime);
    const source = disk.type === 'network' ? networkStorageProps(disk) : local && storageProtocol(disk, local);
    if (source) args.push(...blockdevArgs(disk, names, source));
    else if (disk.device === 'disk') throw cannotExpress(`disk '${disk.target.dev}' without a source`);
    const { driver, placement } = diskDevice(def, disk);
    const cache = cacheMode(disk);
    args.push(
      '-device',
      keyval(driver, [
        ...placement,
        ['drive', source ? names.format : undefined],
        ['id', diskAlias(disk)],
        ['bootindex', boot.get(disk)],
        ['serial', disk.serial],
        ['share-rw', disk.shareable ? true : undefined],
        ['write-cache', cache && driver !== 'floppy' ? cache.writeCache : undefined],
      ]),
    );
  });
  return args;
}
