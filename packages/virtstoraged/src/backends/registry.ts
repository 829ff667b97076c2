/** The backends this daemon has, by pool type; a type without one is refused at define. */
import type { Logger } from 'pino';
import type { PoolType } from '../conf/index.js';
import type { StorageBackend } from './backend.js';
import { DirBackend } from './dir.js';
import { FsBackend } from './fs.js';
import { LogicalBackend } from './logical.js';
import { NetfsBackend } from './netfs.js';

export type BackendTable = ReadonlyMap<PoolType, StorageBackend>;

export function createBackends(log: Logger): BackendTable {
  const backends: StorageBackend[] = [
    new DirBackend(log),
    new FsBackend(log),
    new NetfsBackend(log),
    new LogicalBackend(),
  ];
  return new Map(backends.map((b) => [b.type, b]));
}
