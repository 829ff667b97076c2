/**
 * `<disk type='volume'>` at start time (libvirt's virDomainDiskTranslateSourcePool): each
 * volume is looked up in virtstoraged over RPC, through @tsvirt/client as any program would
 * (a daemon never imports another), and the live disk is pointed at the volume's path.
 * The connection is sibling-daemon.ts's, shared in shape with the network ports'.
 */
import type { Logger } from 'pino';
import {
  ErrorCode,
  ErrorDomain,
  StorageVolType,
  VirError,
  getVolumeInfo,
  getVolumePath,
  getVolumeXML,
  isPoolActive,
  lookupPoolByName,
  type Connection,
} from '@tsvirt/client';
import type { DiskDef, DomainDef } from '../conf/domain-def.js';
import { parseXmlSafe } from '../conf/xml-parse.js';
import { attr, childElement } from '../conf/xml-util.js';
import type { VolumePath } from '../qemu/command-line/runtime-info.js';
import {
  SIBLING_IDLE_CLOSE_MS,
  SiblingDaemonLink,
  siblingDaemonOpener,
  type OpenDaemonConnection,
} from './sibling-daemon.js';

export type OpenStorageConnection = OpenDaemonConnection;

/** virtstoraged of this virtqemud's own instance (sibling-daemon.ts). */
export function storageConnectionOpener(mode: 'system' | 'session', root: string | undefined): OpenStorageConnection {
  return siblingDaemonOpener('storage', mode, root);
}

type VolumeDisk = DiskDef & { source: { pool: string; volume: string } };

function isVolumeDisk(disk: DiskDef): disk is VolumeDisk {
  return disk.type === 'volume' && disk.source?.pool !== undefined && disk.source.volume !== undefined;
}

/** The `<target><format type>` of a volume's XML, if it has one. */
function volumeFormat(xml: string): string | undefined {
  const root = parseXmlSafe(xml, 'storage volume XML').root();
  const target = root ? childElement(root, 'target') : undefined;
  return attr(target ? childElement(target, 'format') : undefined, 'type');
}

/** Looks one disk's volume up and rewrites the live disk to use it; returns where QEMU opens it. */
async function resolveDisk(conn: Connection, disk: VolumeDisk): Promise<VolumePath> {
  const { pool, volume } = disk.source;
  const poolRef = await lookupPoolByName(conn, pool);
  if (!(await isPoolActive(conn, poolRef.uuid))) {
    throw new VirError(
      ErrorCode.CONFIG_UNSUPPORTED,
      ErrorDomain.DOMAIN,
      `storage pool '${pool}' containing volume '${volume}' is not active`,
      { str1: pool, str2: volume },
    );
  }
  const vol = { pool, name: volume };
  const info = await getVolumeInfo(conn, vol);
  if (info.type !== StorageVolType.FILE && info.type !== StorageVolType.BLOCK) {
    throw new VirError(
      ErrorCode.CONFIG_UNSUPPORTED,
      ErrorDomain.DOMAIN,
      `unsupported configuration: volume '${volume}' of storage pool '${pool}' is neither a file nor a block device`,
      { str1: pool, str2: volume },
    );
  }
  const path = await getVolumePath(conn, vol);
  const type = info.type === StorageVolType.BLOCK ? 'block' : 'file';
  // Only a file volume's format is an image format (a disk pool's partitions carry 'linux', 'fat16'...).
  if (disk.driver.type === undefined && type === 'file') {
    const format = volumeFormat(await getVolumeXML(conn, vol));
    if (format !== undefined) disk.driver.type = format;
  }
  // The live XML keeps pool and volume and shows what they resolved to.
  disk.source = { pool, volume, ...(type === 'block' ? { dev: path } : { file: path }) };
  return { path, type };
}

export class DomainVolumes {
  private readonly link: SiblingDaemonLink;

  constructor(openStorage: OpenStorageConnection, log: Logger, idleCloseMs = SIBLING_IDLE_CLOSE_MS) {
    this.link = new SiblingDaemonLink('storage daemon', openStorage, log, idleCloseMs);
  }

  /**
   * Resolves every volume disk of `def` (a live definition, changed in place: source path,
   * and the volume's format where `<driver type>` was not given), keyed by target dev for
   * the argv builder. A definition without volume disks never reaches virtstoraged.
   */
  async resolve(def: DomainDef): Promise<Record<string, VolumePath>> {
    const paths: Record<string, VolumePath> = {};
    for (const disk of def.devices.disks.filter(isVolumeDisk)) {
      paths[disk.target.dev] = await this.link.use((conn) => resolveDisk(conn, disk));
    }
    return paths;
  }

  /** Closes the storage connection (daemon shutdown, or idle); the next resolve opens a new one. */
  close(): Promise<void> {
    return this.link.close();
  }
}
