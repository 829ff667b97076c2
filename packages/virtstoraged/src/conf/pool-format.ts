/** PoolDef → XML as `virsh pool-dumpxml` prints it (libvirt's virStoragePoolDefFormat). */
import { XmlWriter, yesNo } from '@tsvirt/common/xml';
import type { PoolDef, PoolSource } from './pool-def.js';
import { formatPermissions } from './permissions.js';
import { POOL_TYPE_INFO, type PoolTypeInfo } from './pool-types.js';

export interface PoolFormatOptions {
  /**
   * The persistent definition (`pool-dumpxml --inactive`, the config file). libvirt writes
   * the same elements either way; the caller picks which definition to pass.
   */
  inactive?: boolean;
}

/** libvirt writes <source> for every type, open and closed even when empty, with only the parts the type uses. */
function formatSource(w: XmlWriter, info: PoolTypeInfo, source: PoolSource): void {
  w.open('source');
  if (info.source.host)
    for (const h of source.host ?? [])
      w.empty('host', [
        ['name', h.name],
        ['port', h.port || undefined],
      ]);
  if (info.source.device) {
    for (const d of source.devices) {
      const attrs = [
        ['path', d.path],
        ['part_separator', yesNo(d.partSeparator)],
      ] as const;
      if (!d.freeExtents?.length) {
        w.empty('device', attrs);
        continue;
      }
      w.open('device', attrs);
      for (const e of d.freeExtents)
        w.empty('freeExtent', [
          ['start', e.start],
          ['end', e.end],
        ]);
      w.close('device');
    }
  }
  if (info.source.dir && source.dir) w.empty('dir', [['path', source.dir.path]]);
  if (info.source.name && source.name !== undefined) w.text('name', source.name);
  if (info.poolFormats) w.empty('format', [['type', source.format?.type ?? info.poolFormats.default]]);
  if (source.protocolVer) w.empty('protocol', [['ver', source.protocolVer]]);
  if (source.vendor !== undefined) w.empty('vendor', [['name', source.vendor]]);
  if (source.product !== undefined) w.empty('product', [['name', source.product]]);
  w.close('source');
}

/** Canonical pool XML: sizes always in bytes (0 until refreshed), target unless the pool is network-only. */
export function formatPoolDef(def: PoolDef, _options: PoolFormatOptions = {}): string {
  const info = POOL_TYPE_INFO[def.type];
  const w = new XmlWriter();
  w.open('pool', [['type', def.type]]);
  w.text('name', def.name);
  if (def.uuid) w.text('uuid', def.uuid);
  w.text('capacity', String(def.capacity ?? 0), [['unit', 'bytes']]);
  w.text('allocation', String(def.allocation ?? 0), [['unit', 'bytes']]);
  w.text('available', String(def.available ?? 0), [['unit', 'bytes']]);
  if (def.features?.cow !== undefined) {
    w.open('features')
      .empty('cow', [['state', yesNo(def.features.cow)]])
      .close('features');
  }
  formatSource(w, info, def.source);
  if (!info.source.network) {
    w.open('target');
    if (def.target.path !== undefined) w.text('path', def.target.path);
    formatPermissions(w, def.target.permissions);
    w.close('target');
  }
  if (def.refresh) {
    w.open('refresh')
      .empty('volume', [['allocation', def.refresh.volumeAllocation]])
      .close('refresh');
  }
  w.close('pool');
  return w.toString();
}
