/** One network the driver knows of: its definition and the persistent flags (no realization yet). */
import type { NetworkRef } from '@tsvirt/common/protocol';
import type { NetworkDef } from '../conf/index.js';

export class NetworkObj {
  /** Nothing starts a network until realization lands, so every network is inactive. */
  readonly active = false;
  readonly persistent = true;

  constructor(
    public def: NetworkDef & { uuid: string },
    public autostart = false,
  ) {}

  get name(): string {
    return this.def.name;
  }

  get uuid(): string {
    return this.def.uuid;
  }

  ref(): NetworkRef {
    return { name: this.name, uuid: this.uuid };
  }
}
