/** VolDef → XML as `virsh vol-dumpxml` prints it (libvirt's virStorageVolDefFormat). */
import { XmlWriter } from '@tsvirt/common/xml';
import type { PoolDef } from './pool-def.js';
import { formatPermissions } from './permissions.js';
import { POOL_TYPE_INFO, type PoolTypeInfo } from './pool-types.js';
import type { VolBackingStore, VolDef, VolEncryption, VolTarget, VolTimestamps } from './vol-def.js';

function formatTimestamps(w: XmlWriter, ts: VolTimestamps | undefined): void {
  if (!ts) return;
  w.open('timestamps');
  for (const name of ['atime', 'mtime', 'ctime', 'btime'] as const) {
    const value = ts[name];
    if (value !== undefined) w.text(name, value);
  }
  w.close('timestamps');
}

function formatEncryption(w: XmlWriter, enc: VolEncryption | undefined): void {
  if (!enc) return;
  w.open('encryption', [['format', enc.format]]);
  for (const s of enc.secrets) {
    w.empty('secret', [
      ['type', s.type],
      ['uuid', s.uuid],
      ['usage', s.uuid === undefined ? s.usage : undefined],
    ]);
  }
  w.close('encryption');
}

/** <format> only for pool types whose volumes have one, with the type's default when unset. */
function formatFormat(w: XmlWriter, info: PoolTypeInfo, format: { type: string } | undefined): void {
  if (info.volFormats) w.empty('format', [['type', format?.type ?? info.volFormats.default]]);
}

function formatTarget(
  w: XmlWriter,
  info: PoolTypeInfo,
  target: VolTarget,
  encryption: VolEncryption | undefined,
): void {
  w.open('target');
  if (target.path !== undefined) w.text('path', target.path);
  formatFormat(w, info, target.format);
  formatPermissions(w, target.permissions);
  formatTimestamps(w, target.timestamps);
  formatEncryption(w, encryption);
  if (target.compat !== undefined) w.text('compat', target.compat);
  if (target.clusterSize) w.text('clusterSize', String(target.clusterSize), [['unit', 'B']]);
  if (target.features) {
    w.block('features', [], () => {
      if (target.features?.lazy_refcounts) w.empty('lazy_refcounts');
      if (target.features?.extended_l2) w.empty('extended_l2');
    });
  }
  w.close('target');
}

function formatBackingStore(w: XmlWriter, info: PoolTypeInfo, backing: VolBackingStore): void {
  w.open('backingStore');
  w.text('path', backing.path);
  formatFormat(w, info, backing.format);
  formatPermissions(w, backing.permissions);
  formatTimestamps(w, backing.timestamps);
  w.close('backingStore');
}

/** Canonical volume XML for a volume of `pool`: sizes in bytes, allocation defaulting to the capacity. */
export function formatVolDef(def: VolDef, pool: PoolDef): string {
  const info = POOL_TYPE_INFO[pool.type];
  const w = new XmlWriter();
  w.open('volume', [['type', def.type ?? 'file']]);
  w.text('name', def.name);
  if (def.key !== undefined) w.text('key', def.key);
  const devices = def.source?.devices ?? [];
  if (devices.length > 0) {
    w.open('source');
    for (const d of devices) {
      w.open('device', [['path', d.path]]);
      for (const e of d.extents)
        w.empty('extent', [
          ['start', e.start],
          ['end', e.end],
        ]);
      w.close('device');
    }
    w.close('source');
  }
  w.text('capacity', String(def.capacity), [['unit', 'bytes']]);
  w.text('allocation', String(def.allocation ?? def.capacity), [['unit', 'bytes']]);
  if (def.physical) w.text('physical', String(def.physical), [['unit', 'bytes']]);
  formatTarget(w, info, def.target, def.encryption);
  if (def.backingStore) formatBackingStore(w, info, def.backingStore);
  w.close('volume');
  return w.toString();
}
