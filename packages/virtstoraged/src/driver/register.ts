/** The `storage.*` procedures wired to the pool and volume drivers; the RPC layer has already checked the args. */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { ErrorCode, ErrorDomain, VirError, type ProcedureTable } from '@tsvirt/common';
import {
  connectGetStoragePoolCapabilities,
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
} from '@tsvirt/common/protocol';
import { formatPoolDef } from '../conf/index.js';
import { openVolumeFile } from '../backends/volume-paths.js';
import type { PoolDriver } from './pool-driver.js';
import type { PoolObj, VolObj } from './pool-obj.js';
import type { VolDriver } from './vol-driver.js';
import { receiveVolume, sendVolume } from './vol-transfer.js';

const done = async (work: Promise<void>): Promise<Record<string, never>> => {
  await work;
  return {};
};

/** The volume's data as its backend opens it (a logical volume's device), else its file in the pool directory. */
function openVolumeData(pools: PoolDriver, pool: PoolObj, vol: VolObj, mode: 'read' | 'write') {
  const backend = pools.backendFor(pool.def);
  return backend.openVolume ? backend.openVolume(pool.def, vol, mode) : openVolumeFile(pool.def, vol.def.name, mode);
}

function needStream(stream: Duplex | undefined, procedure: string): Duplex {
  if (!stream) throw new VirError(ErrorCode.INTERNAL_ERROR, ErrorDomain.RPC, `${procedure} without a stream`);
  return stream;
}

export function registerPoolProcedures(table: ProcedureTable, pools: PoolDriver): void {
  table.register(storagePoolDefineXML, (args) => pools.defineXML(args.xml));
  table.register(storagePoolCreateXML, (args) => pools.createXML(args.xml, args));
  table.register(storagePoolBuild, (args) => done(pools.build(args.uuid, args)));
  table.register(storagePoolCreate, (args) => done(pools.create(args.uuid, args)));
  table.register(storagePoolDestroy, (args) => done(pools.destroy(args.uuid)));
  table.register(storagePoolDelete, (args) => done(pools.delete(args.uuid)));
  table.register(storagePoolUndefine, (args) => done(pools.undefine(args.uuid)));
  table.register(storagePoolRefresh, (args) => done(pools.refresh(args.uuid)));
  table.register(storagePoolLookupByName, (args) => pools.list.getByName(args.name).ref());
  table.register(storagePoolLookupByUUID, (args) => pools.getByUuid(args.uuid).ref());
  table.register(storagePoolLookupByVolume, (args) => pools.lookupByVolumeKey(args.key).ref());
  table.register(storagePoolListAll, (args) => ({ pools: pools.list.list(args.flags).map((p) => p.ref()) }));
  table.register(storagePoolGetInfo, (args) => pools.info(args.uuid));
  table.register(storagePoolGetXMLDesc, (args) => {
    const pool = pools.getByUuid(args.uuid);
    const def = args.inactive ? pool.persistentDef : pool.def;
    return { xml: formatPoolDef(def, { inactive: args.inactive ?? false }) };
  });
  table.register(storagePoolSetAutostart, (args) => done(pools.setAutostart(args.uuid, args.autostart)));
  table.register(storagePoolGetAutostart, (args) => ({ autostart: pools.getByUuid(args.uuid).autostart }));
  table.register(storagePoolIsActive, (args) => ({ active: pools.getByUuid(args.uuid).active }));
  table.register(storagePoolIsPersistent, (args) => ({ persistent: pools.getByUuid(args.uuid).persistent }));
  table.register(connectGetStoragePoolCapabilities, async () => ({ xml: await pools.capabilities() }));
}

export function registerVolumeProcedures(table: ProcedureTable, vols: VolDriver, pools: PoolDriver, log: Logger): void {
  const prealloc = (args: { preallocMetadata?: boolean | undefined; preallocation?: string | undefined }) => ({
    preallocMetadata: args.preallocMetadata,
    preallocation: args.preallocation as 'off' | 'metadata' | 'falloc' | 'full' | undefined,
  });
  table.register(storageVolCreateXML, (args) => vols.createXML(args.pool, args.xml, prealloc(args)));
  table.register(storageVolCreateXMLFrom, (args) =>
    vols.createXMLFrom(args.pool, args.xml, { pool: args.fromPool, name: args.fromName }, prealloc(args)),
  );
  table.register(storageVolDelete, (args) => done(vols.delete(args.pool, args.name, args.zeroed ?? false)));
  table.register(storageVolWipe, (args) => done(vols.wipe(args.pool, args.name, args.algorithm ?? 0)));
  table.register(storageVolResize, (args) => done(vols.resize(args.pool, args.name, args.capacity, args)));
  table.register(storageVolGetInfo, (args) => vols.info(args.pool, args.name));
  table.register(storageVolGetXMLDesc, (args) => ({ xml: vols.xml(args.pool, args.name) }));
  table.register(storageVolGetPath, (args) => ({ path: vols.path(args.pool, args.name) }));
  table.register(storageVolLookupByName, (args) => vols.lookupByName(args.pool, args.name));
  table.register(storageVolLookupByKey, (args) => vols.lookupByKey(args.key));
  table.register(storageVolLookupByPath, (args) => vols.lookupByPath(args.path));
  table.register(storageVolListAll, (args) => ({ volumes: vols.list(args.pool) }));

  table.register(storageVolUpload, async (args, ctx) => {
    const stream = needStream(ctx.stream, storageVolUpload.name);
    const { pool, vol } = vols.resolve(args.pool, args.name);
    const release = pool.useVolume(args.name, 'write');
    try {
      const { handle } = await openVolumeData(pools, pool, vol, 'write');
      const offset = args.offset ?? 0;
      const length = args.length ?? 0;
      const range = { offset, length, sparse: args.sparse ?? false, whole: offset === 0 && length === 0 };
      // The reply goes out first; the data follows it, and the daemon's finish (or abort) ends the transfer.
      void receiveVolume(handle, stream, range)
        .then(async (bytes) => {
          await handle.close();
          pool.volumes.set(args.name, await pools.backendFor(pool.def).refreshVol(pool.def, vol));
          log.debug({ pool: pool.name, volume: args.name, bytes }, 'upload finished');
          stream.end();
        })
        .catch(async (err: unknown) => {
          await handle.close().catch(() => undefined);
          log.info({ pool: pool.name, volume: args.name, err: (err as Error).message }, 'upload failed');
          if (!stream.destroyed) stream.destroy(VirError.from(err, ErrorDomain.STORAGE));
        })
        .finally(release);
    } catch (err) {
      release();
      throw err;
    }
    return {};
  });

  table.register(storageVolDownload, async (args, ctx) => {
    const stream = needStream(ctx.stream, storageVolDownload.name);
    const { pool, vol } = vols.resolve(args.pool, args.name);
    const release = pool.useVolume(args.name, 'read');
    try {
      const { handle } = await openVolumeData(pools, pool, vol, 'read');
      const range = { offset: args.offset ?? 0, length: args.length ?? 0, sparse: args.sparse ?? false };
      // A client that never reads would hold the volume: the stream's close releases it.
      void sendVolume(handle, stream, range)
        .catch((err: unknown) => {
          log.info({ pool: pool.name, volume: args.name, err: (err as Error).message }, 'download failed');
          if (!stream.destroyed) stream.destroy(VirError.from(err, ErrorDomain.STORAGE));
        })
        .finally(async () => {
          await handle.close().catch(() => undefined);
          release();
        });
    } catch (err) {
      release();
      throw err;
    }
    return {};
  });
}
