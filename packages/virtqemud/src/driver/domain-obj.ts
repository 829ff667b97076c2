/**
 * The runtime object of one domain (libvirt's virDomainObj): its definition plus what
 * the XML does not hold (persistent, autostart, state and reason, runtime id) and its
 * job lock. The definition itself stays a pure DomainDef from conf/.
 */
import { DomainShutoffReason, DomainState, type DomainRef } from '@tsvirt/common/protocol';
import { ErrorDomain, JobLock } from '@tsvirt/common';
import type { DomainDef } from '../conf/domain-xml.js';
import type { QmpConnection } from '../qemu/monitor/index.js';
import type { DomainNetworkPort } from './domain-network-ports.js';
import type { SpawnedQemu } from './domain-process.js';
import type { RuntimePaths } from './domain-status.js';

/** What exists only while a QEMU runs for the domain. */
export interface DomainRuntime {
  pid: number;
  paths: RuntimePaths;
  /** ISO time QEMU was started. */
  startedAt: string;
  monitor: QmpConnection;
  /** Set for a QEMU this daemon spawned; a recovered one is not our child. */
  spawned?: SpawnedQemu;
  /** A destroy is under way: the end is DESTROYED, not CRASHED. */
  destroying: boolean;
  /** QEMU reported a guest-initiated SHUTDOWN: the end is SHUTDOWN. */
  guestShutdown: boolean;
  /** A reboot was asked for: the guest's next power-off resets it instead (libvirt's fakeReboot). */
  fakeReboot: boolean;
  /** The autoport VNC port this QEMU holds, released at its end. */
  vncPort?: number | undefined;
  /** The autoport SPICE port this QEMU holds, from the same pool. */
  spicePort?: number | undefined;
  /** The tap devices created for its interfaces, deleted at its end. */
  taps: string[];
  /** The virtnetworkd ports of its network interfaces, deleted at its end. */
  ports: DomainNetworkPort[];
  /** The swtpm of an emulated `<tpm>`, ended with QEMU. */
  swtpmPid?: number | undefined;
  /** A STOP or RESUME we asked for: the operation records it, not the event watcher; 'reboot': a fake reboot's. */
  expecting: 'stop' | 'resume' | 'reboot' | undefined;
  /** The saves and events of state changes under way; the end waits for them, so events stay in order. */
  settled: Promise<void>;
  /** Set once the end of the process is being handled; the handling runs once. */
  ending: boolean;
  /** Resolves once the domain is shut off, its runtime dir removed and STOPPED emitted. */
  stopped: Promise<void>;
  markStopped: () => void;
  /** Detaches the watchers (monitor and child listeners). */
  detach: () => void;
}

export class DomainObj {
  /** The definition in force: the live one while running, the saved one otherwise. */
  def: DomainDef;
  /** The saved definition to use at next start, set when a running domain is redefined. */
  newDef: DomainDef | undefined;
  persistent: boolean;
  autostart: boolean;
  state: DomainState = DomainState.SHUTOFF;
  reason: number = DomainShutoffReason.UNKNOWN;
  /** Runtime id; -1 while inactive. */
  id = -1;
  /** The QEMU of a running domain; undefined while shut off. */
  runtime: DomainRuntime | undefined;
  /** Set once the domain left the list: a job that waited on it must not act. */
  removed = false;
  readonly job = new JobLock(ErrorDomain.QEMU);

  constructor(def: DomainDef, options: { persistent: boolean; autostart?: boolean }) {
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

  /** Running, paused, ... : anything but shut off means a QEMU process exists. */
  get active(): boolean {
    return this.state !== DomainState.SHUTOFF && this.state !== DomainState.NOSTATE;
  }

  /** The definition the next start would use. */
  get persistentDef(): DomainDef {
    return this.newDef ?? this.def;
  }

  ref(): DomainRef {
    return { name: this.name, uuid: this.uuid, id: this.active ? this.id : -1 };
  }
}
