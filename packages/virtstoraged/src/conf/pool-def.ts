/**
 * The storage pool model (libvirt's virStoragePoolDef) and its XML entry points:
 * `poolDefFromXml` (parse → post-parse defaults → validate) and `formatPoolDef`.
 */
import type { StoragePermissions } from './permissions.js';
import type { PoolType } from './pool-types.js';

export type { PoolType } from './pool-types.js';
export type { StoragePermissions } from './permissions.js';

export interface PoolSourceHost {
  name: string;
  port?: number;
}

/** A free range on a disk pool's device, in bytes (output only). */
export interface PoolFreeExtent {
  start: number;
  end: number;
}

export interface PoolSourceDevice {
  path: string;
  /** part_separator='yes|no' of disk pools. */
  partSeparator?: boolean;
  freeExtents?: PoolFreeExtent[];
}

export interface PoolSource {
  devices: PoolSourceDevice[];
  dir?: { path: string };
  host?: PoolSourceHost[];
  /** Source format: the filesystem of fs, the protocol of netfs (nfs, cifs, ...), lvm2 for logical. */
  format?: { type: string };
  /** Volume group of a logical pool (defaults to the pool name), image pool of rbd, ... */
  name?: string;
  /** NFS protocol version of a netfs pool (<protocol ver='4'/>). */
  protocolVer?: number;
  vendor?: string;
  product?: string;
}

export interface PoolTarget {
  /** Absolute, without trailing slash; /dev/<vg> for logical pools. Absent for network pools. */
  path?: string;
  permissions?: StoragePermissions;
}

export interface PoolDef {
  type: PoolType;
  name: string;
  /** Always set after poolDefFromXml (generated when missing). */
  uuid?: string;
  /** Sizes in bytes, filled by the driver's refresh; the parser ignores them as libvirt does. */
  capacity?: number;
  allocation?: number;
  available?: number;
  /** <features><cow state/>: copy-on-write of the target directory (btrfs), fs and dir pools only. */
  features?: { cow?: boolean };
  source: PoolSource;
  target: PoolTarget;
  /** <refresh><volume allocation='capacity'/>: report a volume's allocation as its capacity. */
  refresh?: { volumeAllocation: 'default' | 'capacity' };
}

export { poolDefFromXml, parsePoolDef, postParsePoolDef, type PoolParseOptions } from './pool-parse.js';
export { formatPoolDef, type PoolFormatOptions } from './pool-format.js';
