/**
 * `<disk type='volume'>` at start time (libvirt's virDomainDiskTranslateSourcePool): each
 * volume is looked up in virtstoraged over RPC, through @tsvirt/client as any program would
 * (a daemon never imports another), and the live disk is pointed at the volume's path.
 * One storage connection, opened on first need and kept; the client reopens its link when
 * virtstoraged restarted meanwhile.
 */
import type { Logger } from 'pino';
import {
  ErrorCode,
  ErrorDomain,
  StorageVolType,
  TransportError,
  VirError,
  getVolumeInfo,
  getVolumePath,
  getVolumeXML,
  isPoolActive,
  lookupPoolByName,
  open,
  type Connection,
} from '@tsvirt/client';
import type { DiskDef, DomainDef } from '../conf/domain-def.js';
import { parseXmlSafe } from '../conf/xml-parse.js';
import { attr, childElement } from '../conf/xml-util.js';
import type { VolumePath } from '../qemu/command-line/runtime-info.js';

export type OpenStorageConnection = () => Promise<Connection>;

/**
 * The storage daemon of this virtqemud's own instance: the same mode and the same root, so
 * a `--root` daemon pair finds each other. A session URI lets the client autostart
 * virtstoraged, as libvirt's session daemons start their siblings; a system one never does.
 */
export function storageConnectionOpener(mode: 'system' | 'session', root: string | undefined): OpenStorageConnection {
  const env = { ...process.env };
  if (root !== undefined) env.TSVIRT_ROOT = root;
  else delete env.TSVIRT_ROOT;
  return () => open(`storage:///${mode}`, { env });
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

/**
 * How long the storage connection stays open after its last use: long enough for a burst of
 * starts to share it, short enough not to keep an autostarted session virtstoraged from idling out.
 */
export const STORAGE_IDLE_CLOSE_MS = 60_000;

export class DomainVolumes {
  private connection: Promise<Connection> | undefined;
  private busy = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly openStorage: OpenStorageConnection,
    private readonly log: Logger,
    private readonly idleCloseMs = STORAGE_IDLE_CLOSE_MS,
  ) {}

  /**
   * Resolves every volume disk of `def` (a live definition, changed in place: source path,
   * and the volume's format where `<driver type>` was not given), keyed by target dev for
   * the argv builder. A definition without volume disks never reaches virtstoraged.
   */
  async resolve(def: DomainDef): Promise<Record<string, VolumePath>> {
    const paths: Record<string, VolumePath> = {};
    const disks = def.devices.disks.filter(isVolumeDisk);
    if (disks.length === 0) return paths;
    this.busy++;
    clearTimeout(this.idleTimer);
    try {
      for (const disk of disks) paths[disk.target.dev] = await this.withStorage((conn) => resolveDisk(conn, disk));
      return paths;
    } finally {
      if (--this.busy === 0) {
        this.idleTimer = setTimeout(() => void this.close(), this.idleCloseMs);
        this.idleTimer.unref();
      }
    }
  }

  /** Closes the storage connection (daemon shutdown, or idle); the next resolve opens a new one. */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const pending = this.connection;
    this.connection = undefined;
    const conn = await pending?.catch(() => undefined);
    await conn?.close();
  }

  private storage(): Promise<Connection> {
    if (!this.connection) {
      const opening = this.openStorage();
      this.connection = opening;
      // A daemon that was not there is asked again next time.
      opening.catch(() => {
        if (this.connection === opening) this.connection = undefined;
      });
    }
    return this.connection;
  }

  /** Runs `fn` on the storage connection; a link that dropped under it is reopened once. */
  private async withStorage<T>(fn: (conn: Connection) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.storage());
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      this.log.warn({ err: err.message }, 'storage daemon link dropped: reconnecting');
    }
    try {
      return await fn(await this.storage());
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      throw new VirError(ErrorCode.NO_CONNECT, ErrorDomain.RPC, `the storage daemon is not answering: ${err.message}`);
    }
  }
}
