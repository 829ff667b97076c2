/**
 * Typed helpers for the `storage.*` procedures: plain functions taking the Connection
 * first, one per libvirt call. Pools are named by their uuid once looked up (as a
 * virStoragePoolPtr would be), volumes by `{ pool, name }` (pool name and volume name, as
 * a virStorageVolPtr). `lookupPool(conn, text)` and `lookupVolume(conn, text, pool?)`
 * resolve what a user typed the way virsh does. Upload and download move a local file to
 * or from a volume over an RPC stream, optionally sparse, with a progress callback.
 * Events: `conn.subscribe(storagePoolLifecycle, cb, { uuid })`, `storagePoolRefreshEvent`.
 */
import { constants as fsConstants } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import {
  ErrorCode,
  VirError,
  SparseRecordDecoder,
  connectGetStoragePoolCapabilities,
  isAllZero,
  sparseRecordHeader,
  storagePoolBuild,
  storagePoolCreate,
  storagePoolCreateXML,
  storagePoolDefineXML,
  storagePoolDelete,
  storagePoolDestroy,
  storagePoolGetAutostart,
  storagePoolGetInfo,
  storagePoolGetXMLDesc,
  storagePoolIsActive,
  storagePoolIsPersistent,
  storagePoolListAll,
  storagePoolLookupByName,
  storagePoolLookupByUUID,
  storagePoolLookupByVolume,
  storagePoolRefresh,
  storagePoolSetAutostart,
  storagePoolUndefine,
  storageVolCreateXML,
  storageVolCreateXMLFrom,
  storageVolDelete,
  storageVolDownload,
  storageVolGetInfo,
  storageVolGetPath,
  storageVolGetXMLDesc,
  storageVolListAll,
  storageVolLookupByKey,
  storageVolLookupByName,
  storageVolLookupByPath,
  storageVolResize,
  storageVolUpload,
  storageVolWipe,
  type ResultOf,
  type RpcStream,
  type StoragePoolListFlags,
  type StoragePoolRef,
  type StorageVolRef,
} from '@tsvirt/common/client';
import type { Connection } from './connection.js';
import { canonicalUuid } from './domain.js';

export type StoragePoolInfo = ResultOf<typeof storagePoolGetInfo>;
export type StorageVolInfo = ResultOf<typeof storageVolGetInfo>;
export type { StoragePoolListFlags, StoragePoolRef, StorageVolRef };

/** A volume as the calls name it: its pool's name and its own. */
export interface VolumeName {
  pool: string;
  name: string;
}

/** virStoragePoolBuildFlags: what a build does to existing data (dir pools ignore both). */
export interface PoolBuildFlags {
  overwrite?: boolean;
  noOverwrite?: boolean;
}

/** virStoragePoolCreateFlags: build before starting (`overwrite`/`noOverwrite` imply `build`). */
export interface PoolStartFlags extends PoolBuildFlags {
  build?: boolean;
}

/** Volume creation options: libvirt's PREALLOC_METADATA flag, or an explicit qemu-img preallocation. */
export interface VolumeCreateOptions {
  preallocMetadata?: boolean;
  preallocation?: 'off' | 'metadata' | 'falloc' | 'full';
}

/** virStorageVolResizeFlags, plus `force` to go below the volume's allocation (tsvirt extension). */
export interface VolumeResizeFlags {
  allocate?: boolean;
  delta?: boolean;
  shrink?: boolean;
  force?: boolean;
}

/** Only the flags that are set, so the args stay minimal on the wire. */
function setFlags<T extends object>(flags: T): Partial<T> {
  return Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined && v !== false)) as Partial<T>;
}

// ---- pools ----

/** Defines (or updates) a persistent pool from its XML. */
export function definePool(conn: Connection, xml: string): Promise<StoragePoolRef> {
  return conn.call(storagePoolDefineXML, { xml });
}

/** Creates and starts a transient pool (virStoragePoolCreateXML). */
export function createPoolXML(conn: Connection, xml: string, flags: PoolStartFlags = {}): Promise<StoragePoolRef> {
  return conn.call(storagePoolCreateXML, { xml, ...setFlags(flags) });
}

/** Makes the pool's storage (a dir pool: its directory). */
export async function buildPool(conn: Connection, uuid: string, flags: PoolBuildFlags = {}): Promise<void> {
  await conn.call(storagePoolBuild, { uuid, ...setFlags(flags) });
}

/** Starts a defined pool (virStoragePoolCreate), optionally building it first. */
export async function startPool(conn: Connection, uuid: string, flags: PoolStartFlags = {}): Promise<void> {
  await conn.call(storagePoolCreate, { uuid, ...setFlags(flags) });
}

export async function destroyPool(conn: Connection, uuid: string): Promise<void> {
  await conn.call(storagePoolDestroy, { uuid });
}

/** Removes an inactive pool's storage (a dir pool: its empty directory). */
export async function deletePool(conn: Connection, uuid: string): Promise<void> {
  await conn.call(storagePoolDelete, { uuid });
}

export async function undefinePool(conn: Connection, uuid: string): Promise<void> {
  await conn.call(storagePoolUndefine, { uuid });
}

export async function refreshPool(conn: Connection, uuid: string): Promise<void> {
  await conn.call(storagePoolRefresh, { uuid });
}

export function lookupPoolByName(conn: Connection, name: string): Promise<StoragePoolRef> {
  return conn.call(storagePoolLookupByName, { name });
}

export function lookupPoolByUUID(conn: Connection, uuid: string): Promise<StoragePoolRef> {
  return conn.call(storagePoolLookupByUUID, { uuid });
}

/** The pool holding the volume with this key. */
export function lookupPoolByVolume(conn: Connection, key: string): Promise<StoragePoolRef> {
  return conn.call(storagePoolLookupByVolume, { key });
}

/** Resolves a pool as virsh does: a uuid first, then a name; a miss is the lookup-by-name error. */
export async function lookupPool(conn: Connection, text: string): Promise<StoragePoolRef> {
  const uuid = canonicalUuid(text);
  if (uuid) {
    try {
      return await lookupPoolByUUID(conn, uuid);
    } catch (err) {
      if (!(err instanceof VirError && err.code === ErrorCode.NO_STORAGE_POOL)) throw err;
    }
  }
  return lookupPoolByName(conn, text);
}

/** virConnectListAllStoragePools: with no flags, every pool, sorted by name. */
export async function listAllPools(conn: Connection, flags: StoragePoolListFlags = {}): Promise<StoragePoolRef[]> {
  return (await conn.call(storagePoolListAll, { flags })).pools;
}

/** State (virStoragePoolState), capacity, allocation, available, in bytes. */
export function getPoolInfo(conn: Connection, uuid: string): Promise<StoragePoolInfo> {
  return conn.call(storagePoolGetInfo, { uuid });
}

export async function getPoolXML(
  conn: Connection,
  uuid: string,
  options: { inactive?: boolean } = {},
): Promise<string> {
  return (await conn.call(storagePoolGetXMLDesc, { uuid, ...setFlags(options) })).xml;
}

export async function setPoolAutostart(conn: Connection, uuid: string, autostart: boolean): Promise<void> {
  await conn.call(storagePoolSetAutostart, { uuid, autostart });
}

export async function getPoolAutostart(conn: Connection, uuid: string): Promise<boolean> {
  return (await conn.call(storagePoolGetAutostart, { uuid })).autostart;
}

export async function isPoolActive(conn: Connection, uuid: string): Promise<boolean> {
  return (await conn.call(storagePoolIsActive, { uuid })).active;
}

export async function isPoolPersistent(conn: Connection, uuid: string): Promise<boolean> {
  return (await conn.call(storagePoolIsPersistent, { uuid })).persistent;
}

/** `virsh pool-capabilities`: the pool types and formats the daemon supports, as XML. */
export async function getStoragePoolCapabilities(conn: Connection): Promise<string> {
  return (await conn.call(connectGetStoragePoolCapabilities, {})).xml;
}

// ---- volumes ----

/** Creates a volume in the active pool `pool` (its name) from volume XML. */
export function createVolume(
  conn: Connection,
  pool: string,
  xml: string,
  options: VolumeCreateOptions = {},
): Promise<StorageVolRef> {
  return conn.call(storageVolCreateXML, { pool, xml, ...setFlags(options) });
}

/** virStorageVolCreateXMLFrom: a new volume in `pool` holding a copy of `from` (any active pool), converted to the new format. */
export function createVolumeFrom(
  conn: Connection,
  pool: string,
  xml: string,
  from: VolumeName,
  options: VolumeCreateOptions = {},
): Promise<StorageVolRef> {
  return conn.call(storageVolCreateXMLFrom, {
    pool,
    xml,
    fromPool: from.pool,
    fromName: from.name,
    ...setFlags(options),
  });
}

/** Deletes a volume; `zeroed` overwrites its data first. */
export async function deleteVolume(
  conn: Connection,
  vol: VolumeName,
  options: { zeroed?: boolean } = {},
): Promise<void> {
  await conn.call(storageVolDelete, { pool: vol.pool, name: vol.name, ...setFlags(options) });
}

/** Zeroes a volume (virStorageVolWipe; only the zero algorithm, 0, is implemented). */
export async function wipeVolume(conn: Connection, vol: VolumeName, algorithm = 0): Promise<void> {
  await conn.call(storageVolWipe, { pool: vol.pool, name: vol.name, ...(algorithm ? { algorithm } : {}) });
}

/** virStorageVolResize: `capacity` in bytes, absolute or (with `delta`) relative. */
export async function resizeVolume(
  conn: Connection,
  vol: VolumeName,
  capacity: number,
  flags: VolumeResizeFlags = {},
): Promise<void> {
  await conn.call(storageVolResize, { pool: vol.pool, name: vol.name, capacity, ...setFlags(flags) });
}

/** Type (virStorageVolType), capacity, allocation and physical size, in bytes. */
export function getVolumeInfo(conn: Connection, vol: VolumeName): Promise<StorageVolInfo> {
  return conn.call(storageVolGetInfo, { pool: vol.pool, name: vol.name });
}

export async function getVolumeXML(conn: Connection, vol: VolumeName): Promise<string> {
  return (await conn.call(storageVolGetXMLDesc, { pool: vol.pool, name: vol.name })).xml;
}

export async function getVolumePath(conn: Connection, vol: VolumeName): Promise<string> {
  return (await conn.call(storageVolGetPath, { pool: vol.pool, name: vol.name })).path;
}

export function lookupVolumeByName(conn: Connection, pool: string, name: string): Promise<StorageVolRef> {
  return conn.call(storageVolLookupByName, { pool, name });
}

export function lookupVolumeByKey(conn: Connection, key: string): Promise<StorageVolRef> {
  return conn.call(storageVolLookupByKey, { key });
}

export function lookupVolumeByPath(conn: Connection, path: string): Promise<StorageVolRef> {
  return conn.call(storageVolLookupByPath, { path });
}

/**
 * Resolves a volume as virsh does: by name in `pool` when one is given, then by key, then
 * by path; a miss is the last lookup's NO_STORAGE_VOL.
 */
export async function lookupVolume(conn: Connection, text: string, pool?: string): Promise<StorageVolRef> {
  const missing = (err: unknown): boolean => err instanceof VirError && err.code === ErrorCode.NO_STORAGE_VOL;
  if (pool !== undefined) {
    try {
      return await lookupVolumeByName(conn, pool, text);
    } catch (err) {
      if (!missing(err) && !(err instanceof VirError && err.code === ErrorCode.INVALID_ARG)) throw err;
    }
  }
  try {
    return await lookupVolumeByKey(conn, text);
  } catch (err) {
    if (!missing(err)) throw err;
  }
  return lookupVolumeByPath(conn, text);
}

/** Every volume of the active pool `pool`, sorted by name. */
export async function listAllVolumes(conn: Connection, pool: string): Promise<StorageVolRef[]> {
  return (await conn.call(storageVolListAll, { pool })).volumes;
}

// ---- transfers ----

/** Where a transfer starts and how much it moves (virsh --offset/--length; 0: to the end), and whether holes cross as holes. */
export interface TransferOptions {
  offset?: number;
  length?: number;
  sparse?: boolean;
  /** Called with the bytes moved so far (holes included), for a progress bar. */
  onProgress?: (bytes: number) => void;
}

function transferArgs(vol: VolumeName, options: TransferOptions) {
  return {
    pool: vol.pool,
    name: vol.name,
    ...(options.offset ? { offset: options.offset } : {}),
    ...(options.length ? { length: options.length } : {}),
    ...(options.sparse ? { sparse: true } : {}),
  };
}

/** Resolves once the daemon finished its side of the stream (the data is on disk), rejects with its error. */
function daemonFinished(stream: RpcStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('end', () => resolve());
    stream.once('error', reject);
    stream.resume();
  });
}

async function writeAll(stream: RpcStream, data: Buffer): Promise<void> {
  if (stream.write(data)) return;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      stream.off('drain', onDrain);
      reject(err);
    };
    const onDrain = (): void => {
      stream.off('error', onError);
      resolve();
    };
    stream.once('drain', onDrain);
    stream.once('error', onError);
  });
}

const UPLOAD_CHUNK = 4 * 1024 * 1024;
const HOLE_BLOCK = 64 * 1024;

/**
 * virsh vol-upload: sends the local file `path` (from its start; `length` bytes at most)
 * into the volume at `offset`. With `sparse`, all-zero blocks of the file cross as holes.
 * Resolves once the daemon has the data on disk; returns the bytes sent.
 */
export async function uploadVolume(
  conn: Connection,
  vol: VolumeName,
  path: string,
  options: TransferOptions = {},
): Promise<number> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const total = options.length ? Math.min(options.length, size) : size;
    const { stream } = await conn.callWithStream(storageVolUpload, transferArgs(vol, options));
    const finished = daemonFinished(stream);
    // An error from the daemon while we are still writing ends the loop through writeAll's rejection.
    finished.catch(() => undefined);
    let hole = 0;
    const flushHole = async (): Promise<void> => {
      if (hole > 0) await writeAll(stream, sparseRecordHeader('hole', hole));
      hole = 0;
    };
    let done = 0;
    try {
      while (done < total) {
        const want = Math.min(UPLOAD_CHUNK, total - done);
        const buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await file.read(buf, 0, want, done);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        if (!options.sparse) await writeAll(stream, chunk);
        else {
          // Consecutive data blocks cross as one record: fewer, fuller frames.
          let dataStart = -1;
          const flushData = async (end: number): Promise<void> => {
            if (dataStart < 0) return;
            await writeAll(stream, sparseRecordHeader('data', end - dataStart));
            await writeAll(stream, chunk.subarray(dataStart, end));
            dataStart = -1;
          };
          for (let at = 0; at < chunk.length; at += HOLE_BLOCK) {
            const block = chunk.subarray(at, at + HOLE_BLOCK);
            if (isAllZero(block)) {
              await flushData(at);
              hole += block.length;
            } else if (dataStart < 0) {
              await flushHole();
              dataStart = at;
            }
          }
          await flushData(chunk.length);
        }
        done += bytesRead;
        options.onProgress?.(done);
      }
      await flushHole();
      stream.end();
    } catch (err) {
      stream.destroy(err as Error);
      await finished.catch(() => undefined);
      throw err;
    }
    await finished;
    return done;
  } finally {
    await file.close();
  }
}

/**
 * virsh vol-download: writes the volume (from `offset`, `length` bytes, 0: all) into the
 * local file `path`, created or truncated. With `sparse`, holes are skipped in the file,
 * which stays sparse. Returns the bytes received, holes included.
 */
export async function downloadVolume(
  conn: Connection,
  vol: VolumeName,
  path: string,
  options: TransferOptions = {},
): Promise<number> {
  // As virsh: a file this call creates is removed again if the download fails.
  let created = true;
  let file: FileHandle;
  try {
    file = await open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    created = false;
    file = await open(path, fsConstants.O_WRONLY | fsConstants.O_TRUNC);
  }
  let ok = false;
  try {
    const { stream } = await conn.callWithStream(storageVolDownload, transferArgs(vol, options));
    const decoder = options.sparse ? new SparseRecordDecoder() : undefined;
    let pos = 0;
    // One write per frame, not batched: holding several frames back stalls the pipeline
    // (the stream pauses the connection) and measured slower on plain downloads.
    const write = async (data: Buffer): Promise<void> => {
      for (let at = 0; at < data.length;) {
        const { bytesWritten } = await file.write(data, at, data.length - at, pos + at);
        at += bytesWritten;
      }
      pos += data.length;
    };
    // Our side sends nothing: finish it now, so the stream closes once the daemon's side ends.
    stream.end();
    for await (const chunk of stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      if (!decoder) await write(chunk);
      else {
        for (const record of decoder.push(chunk)) {
          if (record.kind === 'data') await write(record.data);
          else pos += record.length;
        }
      }
      options.onProgress?.(pos);
    }
    if (decoder && !decoder.atBoundary) throw new Error('the sparse stream ended inside a record');
    // Trailing holes: the file gets its full length without writing them.
    await file.truncate(pos);
    ok = true;
    return pos;
  } finally {
    await file.close();
    if (!ok && created) await unlink(path).catch(() => undefined);
  }
}

/** The raw stream of an upload, for callers that produce the data themselves (not sparse). */
export async function openVolumeUpload(
  conn: Connection,
  vol: VolumeName,
  options: Omit<TransferOptions, 'sparse' | 'onProgress'> = {},
): Promise<{ stream: RpcStream; finished: Promise<void> }> {
  const { stream } = await conn.callWithStream(storageVolUpload, transferArgs(vol, options));
  return { stream, finished: daemonFinished(stream) };
}

/** The raw stream of a download (not sparse): the volume's bytes, then the end. */
export async function openVolumeDownload(
  conn: Connection,
  vol: VolumeName,
  options: Omit<TransferOptions, 'sparse' | 'onProgress'> = {},
): Promise<RpcStream> {
  const { stream } = await conn.callWithStream(storageVolDownload, transferArgs(vol, options));
  return stream;
}
