/**
 * The storage volume model (libvirt's virStorageVolDef) and its XML entry points:
 * `volDefFromXml` (parse → defaults from the pool type → checks) and `formatVolDef`.
 */
import type { StoragePermissions } from './permissions.js';

export const VOL_TYPES = ['file', 'block', 'dir', 'network', 'netdir', 'ploop'] as const;
export type VolType = (typeof VOL_TYPES)[number];

/** Seconds since the epoch with optional nanoseconds, as libvirt prints them ('1700000000.123456789'). */
export interface VolTimestamps {
  atime?: string;
  mtime?: string;
  ctime?: string;
  btime?: string;
}

/** qcow2 features under <target><features>. */
export interface VolFeatures {
  lazy_refcounts?: boolean;
  extended_l2?: boolean;
}

export interface VolTarget {
  /** Filled by the driver (pool target path + name); a path in the input is kept as given. */
  path?: string;
  /** Set from the pool type's default when absent; absent for pools whose volumes have no format (logical). */
  format?: { type: string };
  permissions?: StoragePermissions;
  /** Output only: filled by the driver from stat(). */
  timestamps?: VolTimestamps;
  /** qcow2 compatibility level ('0.10', '1.1'); '1.1' when <features> is given without it. */
  compat?: string;
  /** qcow2 cluster size in bytes. */
  clusterSize?: number;
  /** <nocow/>: set the no-copy-on-write attribute on the file (btrfs). Read but, as in libvirt, not written back. */
  nocow?: boolean;
  features?: VolFeatures;
}

export interface VolBackingStore {
  path: string;
  format?: { type: string };
  permissions?: StoragePermissions;
  timestamps?: VolTimestamps;
}

export interface VolEncryptionSecret {
  type: 'passphrase';
  uuid?: string;
  usage?: string;
}

export interface VolEncryption {
  format: 'luks';
  secrets: VolEncryptionSecret[];
}

/** A logical volume's extents on its physical devices (output only). */
export interface VolSourceDevice {
  path: string;
  extents: { start: number; end: number }[];
}

export interface VolDef {
  name: string;
  /** Unique key: the path for file volumes; filled by the driver. */
  key?: string;
  /** 'file' when absent, as libvirt writes it. */
  type?: VolType;
  /** Bytes. */
  capacity: number;
  /** Bytes; the capacity when the XML gives none (libvirt then allocates the whole volume). */
  allocation?: number;
  /** Whether <allocation> was given explicitly (libvirt's has_allocation). */
  hasAllocation?: boolean;
  /** Output only: bytes the volume occupies on the host. */
  physical?: number;
  source?: { devices: VolSourceDevice[] };
  target: VolTarget;
  backingStore?: VolBackingStore;
  encryption?: VolEncryption;
}

export { volDefFromXml, type VolParseOptions } from './vol-parse.js';
export { formatVolDef } from './vol-format.js';
