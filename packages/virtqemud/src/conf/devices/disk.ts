/** `<disk>`: parse and format of file, block and volume disks, cdroms and floppies. */
import type { DiskDef } from '../domain-def.js';
import type { XmlElement } from '../xml-parse.js';
import { attr, childElement, childText, onlyValues, optUint, refuse, type XmlWriter } from '../xml-util.js';
import { formatCommon, parseCommon } from './address.js';
import { formatNetworkSource, parseNetworkSource, refuseDiskAuth } from './disk-network-source.js';

export function parseDisk(el: XmlElement): DiskDef {
  const type = onlyValues(attr(el, 'type') ?? '', ['file', 'block', 'volume', 'network'] as const, '<disk type>');
  const device = onlyValues(attr(el, 'device') ?? 'disk', ['disk', 'cdrom', 'floppy'] as const, '<disk device>');
  const targetEl = childElement(el, 'target');
  const disk: DiskDef = {
    type,
    device,
    driver: {},
    target: { dev: attr(targetEl, 'dev') ?? '' },
    readonly: childElement(el, 'readonly') !== undefined,
    shareable: childElement(el, 'shareable') !== undefined,
  };
  const bus = attr(targetEl, 'bus');
  if (bus !== undefined) disk.target.bus = bus;
  const tray = attr(targetEl, 'tray') as 'open' | 'closed' | undefined;
  if (tray !== undefined) disk.target.tray = tray;

  const driverEl = childElement(el, 'driver');
  for (const key of ['name', 'type', 'cache', 'io', 'discard'] as const) {
    const v = attr(driverEl, key);
    if (v !== undefined) disk.driver[key] = v;
  }

  const src = childElement(el, 'source');
  refuseDiskAuth(el, src);
  if (type === 'network') {
    parseNetworkSource(src, disk);
  } else if (src) {
    // The schema admits network and dir sources so that they can be refused by name here.
    const protocol = attr(src, 'protocol');
    if (protocol !== undefined) refuse(`<disk type='${type}'> <source protocol>`, protocol);
    const dir = attr(src, 'dir');
    if (dir !== undefined) refuse('<disk> <source dir>', dir);
    const file = attr(src, 'file');
    const dev = attr(src, 'dev');
    const pool = attr(src, 'pool');
    const volume = attr(src, 'volume');
    const wanted = { file: 'file', block: 'dev', volume: 'pool' }[type as 'file' | 'block' | 'volume'];
    // pool first: a volume disk's live XML carries the resolved file or dev beside it.
    const given = pool !== undefined ? 'pool' : file !== undefined ? 'file' : dev !== undefined ? 'dev' : undefined;
    if (given !== undefined && given !== wanted) {
      refuse(`<disk type='${type}'> <source> attribute`, given);
    }
    if (pool !== undefined && volume !== undefined) {
      disk.source = { pool, volume, ...(file !== undefined ? { file } : {}), ...(dev !== undefined ? { dev } : {}) };
    } else if (file !== undefined) disk.source = { file };
    else if (dev !== undefined) disk.source = { dev };
  }
  const order = optUint(childElement(el, 'boot'), 'order', 'disk boot order');
  if (order !== undefined) disk.bootOrder = order;
  const serial = childText(el, 'serial');
  if (serial !== undefined) disk.serial = serial;
  parseCommon(el, 'disk', disk);
  return disk;
}

export function formatDisk(w: XmlWriter, d: DiskDef): void {
  w.open('disk', [
    ['type', d.type],
    ['device', d.device],
  ]);
  const drv = d.driver;
  if (Object.values(drv).some((v) => v !== undefined)) {
    w.empty('driver', [
      ['name', drv.name],
      ['type', drv.type],
      ['cache', drv.cache],
      ['io', drv.io],
      ['discard', drv.discard],
    ]);
  }
  const s = d.source;
  if (s?.protocol !== undefined) formatNetworkSource(w, s);
  else if (s) {
    w.empty('source', [
      ['pool', s.pool],
      ['volume', s.volume],
      ['file', s.file],
      ['dev', s.dev],
    ]);
  }
  w.empty('target', [
    ['dev', d.target.dev],
    ['bus', d.target.bus],
    ['tray', d.target.tray],
  ]);
  if (d.bootOrder !== undefined) w.empty('boot', [['order', d.bootOrder]]);
  if (d.readonly) w.empty('readonly');
  if (d.shareable) w.empty('shareable');
  if (d.serial !== undefined) w.text('serial', d.serial);
  formatCommon(w, d);
  w.close('disk');
}
