/**
 * One network the driver knows of: its persistent definition (if any), the live definition
 * while it is active, its autostart flag and the ports guests hold on it.
 */
import type { NetworkRef } from '@tsvirt/common/protocol';
import type { NetworkPortDef } from '../conf/index.js';
import type { LiveDef } from './network-runtime.js';

export class NetworkObj {
  /** What it runs with while active; what `create` will start from is `def`. */
  live: LiveDef | undefined;
  readonly ports = new Map<string, NetworkPortDef>();

  constructor(
    /** The persistent definition, or for a transient network the one it was created with. */
    public def: LiveDef,
    public persistent = true,
    public autostart = false,
  ) {}

  get name(): string {
    return this.def.name;
  }

  get uuid(): string {
    return this.def.uuid;
  }

  get active(): boolean {
    return this.live !== undefined;
  }

  /** The definition that describes it now: live while active. */
  current(): LiveDef {
    return this.live ?? this.def;
  }

  /** Every bridge name it claims (its config's and, while active, its live one). */
  bridgeNames(): string[] {
    return [this.def.bridge?.name, this.live?.bridge?.name].filter((n): n is string => n !== undefined);
  }

  ref(): NetworkRef {
    return { name: this.name, uuid: this.uuid };
  }
}
