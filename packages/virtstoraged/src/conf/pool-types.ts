/**
 * What each libvirt pool type reads and writes in its <source>, and which source and volume
 * formats it knows: libvirt's per-type pool options, as one table.
 */

/** Every pool type libvirt knows, in libvirt's order (the order of `virsh pool-capabilities`). */
export const POOL_TYPES = [
  'dir',
  'fs',
  'netfs',
  'logical',
  'disk',
  'iscsi',
  'iscsi-direct',
  'scsi',
  'mpath',
  'rbd',
  'sheepdog',
  'gluster',
  'zfs',
  'vstorage',
] as const;
export type PoolType = (typeof POOL_TYPES)[number];

/** The <source> parts a pool type uses: the others are neither required nor written back. */
export interface PoolSourceParts {
  host?: true;
  device?: true;
  dir?: true;
  adapter?: true;
  name?: true;
  initiator?: true;
  /** No local target: the volumes are reached over the network (rbd, gluster, ...). */
  network?: true;
}

/** A format enumeration: the default first chosen when <format> is absent, and every accepted value. */
export interface FormatEnum {
  default: string;
  values: readonly string[];
}

export interface PoolTypeInfo {
  source: PoolSourceParts;
  /** <source><format type>: undefined when the type has no source format. */
  poolFormats?: FormatEnum;
  /** <target><format type> of its volumes: undefined when volumes have no format (logical, iscsi, ...). */
  volFormats?: FormatEnum;
}

/** Disk image formats as libvirt names them; 'none' is listed by pool-capabilities but never accepted. */
export const FILE_FORMATS = [
  'none',
  'raw',
  'dir',
  'bochs',
  'cloop',
  'dmg',
  'iso',
  'vpc',
  'vdi',
  'fat',
  'vhd',
  'ploop',
  'cow',
  'qcow',
  'qcow2',
  'qed',
  'vmdk',
] as const;

const FILE_VOLUMES: FormatEnum = { default: 'raw', values: FILE_FORMATS };

export const POOL_TYPE_INFO: Readonly<Record<PoolType, PoolTypeInfo>> = {
  dir: { source: {}, volFormats: FILE_VOLUMES },
  fs: {
    source: { device: true },
    poolFormats: {
      default: 'auto',
      values: [
        'auto',
        'ext2',
        'ext3',
        'ext4',
        'ufs',
        'iso9660',
        'udf',
        'gfs',
        'gfs2',
        'vfat',
        'hfs+',
        'xfs',
        'ocfs2',
        'vmfs',
      ],
    },
    volFormats: FILE_VOLUMES,
  },
  netfs: {
    source: { host: true, dir: true },
    poolFormats: { default: 'auto', values: ['auto', 'nfs', 'glusterfs', 'cifs'] },
    volFormats: FILE_VOLUMES,
  },
  logical: {
    source: { name: true, device: true },
    poolFormats: { default: 'lvm2', values: ['unknown', 'lvm2'] },
  },
  disk: {
    source: { device: true },
    poolFormats: { default: 'unknown', values: ['unknown', 'dos', 'dvh', 'gpt', 'mac', 'bsd', 'pc98', 'sun', 'lvm2'] },
    volFormats: {
      default: 'none',
      values: ['none', 'linux', 'fat16', 'fat32', 'linux-swap', 'linux-lvm', 'linux-raid', 'extended'],
    },
  },
  iscsi: { source: { host: true, device: true, initiator: true } },
  'iscsi-direct': { source: { host: true, device: true, network: true, initiator: true } },
  scsi: { source: { adapter: true } },
  mpath: { source: {} },
  rbd: { source: { host: true, network: true, name: true }, volFormats: { default: 'raw', values: [] } },
  sheepdog: { source: { host: true, network: true, name: true } },
  gluster: { source: { host: true, network: true, name: true, dir: true }, volFormats: FILE_VOLUMES },
  zfs: { source: { name: true, device: true } },
  vstorage: { source: { name: true }, volFormats: FILE_VOLUMES },
};

/** Whether `format` names an accepted volume format of `info` ('none' never is, as in libvirt). */
export function isVolFormat(info: PoolTypeInfo, format: string): boolean {
  const formats = info.volFormats;
  if (!formats) return false;
  // rbd lists no formats but reads any disk image format name.
  const values = formats.values.length > 0 ? formats.values : FILE_FORMATS;
  return format !== 'none' || formats.default === 'none' ? values.includes(format) : false;
}
