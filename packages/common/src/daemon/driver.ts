/** What a daemon's driver plugs into the shared daemon skeleton. */
import type { TObject } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { LogManager } from '../logging/log-manager.js';
import type { DaemonName } from '../protocol/daemons.js';
import type { EventDecl } from '../protocol/procedure.js';
import type { EventBus } from '../server/event-bus.js';
import type { ProcedureTable } from '../server/procedure-table.js';
import type { DaemonConfig } from './daemon-config.js';
import type { DaemonPaths } from './paths.js';

export interface DriverContext {
  readonly daemonName: DaemonName;
  readonly mode: 'system' | 'session';
  readonly paths: DaemonPaths;
  /** The config as loaded, the driver's own keys included; replaced on reload. */
  readonly config: () => DaemonConfig & Record<string, unknown>;
  /** The procedure table of the read-write and read-only sockets. */
  readonly procedures: ProcedureTable;
  readonly events: EventBus;
  readonly logs: LogManager;
  readonly log: Logger;
}

export interface Driver {
  /** Hypervisor or subsystem name reported by connect.getVersion, e.g. `QEMU`. */
  readonly type: string;
  /** Driver features reported at the handshake, besides the protocol's own. */
  readonly features?: readonly string[];
  /** Events this driver emits. */
  readonly events?: readonly EventDecl[];
  /** The driver's own config keys, merged into the shared schema. */
  readonly configSchema?: TObject;
  /** libvirt-encoded version of what the driver manages (QEMU's, say); 0 when unknown. */
  hypervisorVersion?(): Promise<number>;
  /** Registers procedures and restores state; the sockets open only after it resolves. */
  start(context: DriverContext): Promise<void> | void;
  /** Releases what the driver holds; running guests are left running. */
  stop?(): Promise<void> | void;
  /** True while the driver runs something that must keep the daemon alive (a guest). */
  hasActiveWork?(): boolean;
  /** Called after a successful config reload. */
  reload?(config: DaemonConfig & Record<string, unknown>): void;
}
