/**
 * The table of every declared procedure and event. The client routes by it, the
 * dispatcher looks procedures up in it, and the wire-table snapshot test guards it.
 */
import { ADMIN_PROCEDURES } from './admin.js';
import { CAPABILITIES_PROCEDURES } from './capabilities.js';
import { CONNECT_PROCEDURES } from './connect.js';
import { DOMAIN_EVENTS, DOMAIN_PROCEDURES } from './domain.js';
import { NETWORK_EVENTS, NETWORK_PROCEDURES } from './network.js';
import type { EventDecl, ProcedureDecl } from './procedure.js';
import { STORAGE_POOL_EVENTS, STORAGE_POOL_PROCEDURES } from './storage-pool.js';
import { STORAGE_VOL_PROCEDURES } from './storage-vol.js';

export const ALL_PROCEDURES: readonly ProcedureDecl[] = [
  ...CONNECT_PROCEDURES,
  ...ADMIN_PROCEDURES,
  ...DOMAIN_PROCEDURES,
  ...CAPABILITIES_PROCEDURES,
  ...STORAGE_POOL_PROCEDURES,
  ...STORAGE_VOL_PROCEDURES,
  ...NETWORK_PROCEDURES,
];
export const ALL_EVENTS: readonly EventDecl[] = [...DOMAIN_EVENTS, ...STORAGE_POOL_EVENTS, ...NETWORK_EVENTS];

export function indexByNumber<T extends { number: number; name: string }>(items: readonly T[]): Map<number, T> {
  const byNumber = new Map<number, T>();
  const names = new Set<string>();
  for (const item of items) {
    if (byNumber.has(item.number)) throw new Error(`duplicate wire number ${item.number} (${item.name})`);
    if (names.has(item.name)) throw new Error(`duplicate name ${item.name}`);
    byNumber.set(item.number, item);
    names.add(item.name);
  }
  return byNumber;
}

export const PROCEDURES_BY_NUMBER = indexByNumber(ALL_PROCEDURES);
export const EVENTS_BY_NUMBER = indexByNumber(ALL_EVENTS);
