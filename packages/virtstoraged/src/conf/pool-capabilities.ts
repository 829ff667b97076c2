/** `<storagepoolCapabilities>` as `virsh pool-capabilities` prints it (libvirt's virStoragePoolCapsFormat). */
import { XmlWriter } from '@tsvirt/common/xml';
import { POOL_TYPE_INFO, POOL_TYPES, type FormatEnum, type PoolType } from './pool-types.js';

export interface PoolTypeSupport {
  type: PoolType;
  supported: boolean;
  /** Source formats to advertise, when narrower than libvirt's list for the type. */
  poolFormats?: FormatEnum;
  /** Volume formats to advertise, when narrower than libvirt's list for the type. */
  volFormats?: FormatEnum;
}

function formatEnum(w: XmlWriter, element: string, enumName: string, formats: FormatEnum): void {
  w.open(element);
  w.empty('defaultFormat', [['type', formats.default]]);
  w.open('enum', [['name', enumName]]);
  for (const value of formats.values) w.text('value', value);
  w.close('enum');
  w.close(element);
}

/**
 * Every pool type libvirt knows, in libvirt's order, each marked supported or not; a
 * supported type lists its source formats (<poolOptions>) and volume formats (<volOptions>).
 * Types missing from `support` are reported as unsupported.
 */
export function formatPoolCapabilities(support: readonly PoolTypeSupport[]): string {
  const byType = new Map(support.map((s) => [s.type, s]));
  const w = new XmlWriter();
  w.open('storagepoolCapabilities');
  for (const type of POOL_TYPES) {
    const entry = byType.get(type);
    const supported = entry?.supported === true;
    w.open('pool', [
      ['type', type],
      ['supported', supported ? 'yes' : 'no'],
    ]);
    if (supported) {
      const info = POOL_TYPE_INFO[type];
      const poolFormats = entry?.poolFormats ?? info.poolFormats;
      const volFormats = entry?.volFormats ?? info.volFormats;
      if (poolFormats) formatEnum(w, 'poolOptions', 'sourceFormatType', poolFormats);
      if (volFormats) formatEnum(w, 'volOptions', 'targetFormatType', volFormats);
    }
    w.close('pool');
  }
  w.close('storagepoolCapabilities');
  return w.toString();
}
