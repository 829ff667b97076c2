/**
 * The runtime object of one storage pool (libvirt's virStoragePoolObj): its definition
 * plus what the XML does not hold (active, persistent, autostart), its volumes as last
 * refreshed, the transfers running on them, and its job lock.
 */
import { ErrorDomain, JobLock } from '@tsvirt/common';
import type { StoragePoolRef } from '@tsvirt/common/protocol';
import type { PoolDef } from '../conf/pool-def.js';
import type { VolDef } from '../conf/vol-def.js';
import { operationInvalid } from './storage-errors.js';

export interface VolumeUse {
  readers: number;
  writer: boolean;
}

/** A volume as the driver knows it: its definition and the file identity it was probed from. */
export interface VolObj {
  def: VolDef;
  /** dev:ino of the file when last probed; a different file under the same name is probed afresh. */
  fileId?: string | undefined;
}

export class PoolObj {
  /** The definition in force: the live one while active, the saved one otherwise. */
  def: PoolDef;
  /** The saved definition to use at next start, set when an active pool is redefined. */
  newDef: PoolDef | undefined;
  persistent: boolean;
  autostart: boolean;
  active = false;
  /** Volumes by name, as of the last refresh and the changes made through the driver since. */
  readonly volumes = new Map<string, VolObj>();
  /** Volumes in use by a running operation (create, clone, transfer, wipe...), by name. */
  readonly inUse = new Map<string, VolumeUse>();
  removed = false;
  readonly job = new JobLock(ErrorDomain.STORAGE);

  constructor(def: PoolDef, options: { persistent: boolean; autostart?: boolean }) {
    this.def = def;
    this.persistent = options.persistent;
    this.autostart = options.autostart ?? false;
  }

  get name(): string {
    return this.def.name;
  }

  /** Post-parse always sets it; the empty fallback only satisfies the type. */
  get uuid(): string {
    return this.def.uuid ?? '';
  }

  get persistentDef(): PoolDef {
    return this.newDef ?? this.def;
  }

  ref(): StoragePoolRef {
    return { name: this.name, uuid: this.uuid };
  }

  /** Volumes sorted by name. */
  sortedVolumes(): VolObj[] {
    return [...this.volumes.values()].sort((a, b) => (a.def.name < b.def.name ? -1 : a.def.name > b.def.name ? 1 : 0));
  }

  /** True while any volume operation runs: the pool cannot be stopped, refreshed or removed then. */
  get hasVolumeJobs(): boolean {
    return this.inUse.size > 0;
  }

  /**
   * Marks `volume` used for reading (a download, a clone's source) or writing (anything
   * that changes it); returns the release function. Readers share; a writer is alone.
   */
  useVolume(volume: string, mode: 'read' | 'write'): () => void {
    const use = this.inUse.get(volume) ?? { readers: 0, writer: false };
    if (use.writer || (mode === 'write' && use.readers > 0))
      throw operationInvalid(`volume '${volume}' is still in use.`);
    if (mode === 'write') use.writer = true;
    else use.readers++;
    this.inUse.set(volume, use);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (mode === 'write') use.writer = false;
      else use.readers--;
      if (!use.writer && use.readers === 0) this.inUse.delete(volume);
    };
  }
}
