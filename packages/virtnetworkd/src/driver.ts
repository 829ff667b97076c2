/** The virtual networks driver as plugged into the daemon skeleton: the persistent networks and their procedures. */
import { TSVIRT_VERSION, encodeVersion, type AtomicWriteHooks, type Driver } from '@tsvirt/common';
import { networkLifecycle } from '@tsvirt/common/protocol';
import { NetworkDriver } from './driver/network-driver.js';
import { NetworkRuntime } from './driver/network-runtime.js';
import { NetworkStore } from './driver/network-store.js';
import { registerNetworkProcedures } from './driver/register.js';

export interface NetworkDriverOptions {
  /** Test hooks into the atomic writes of the network store. */
  storeHooks?: AtomicWriteHooks;
}

export function createNetworkDriver(options: NetworkDriverOptions = {}): Driver & {
  networks(): NetworkDriver | undefined;
} {
  let networks: NetworkDriver | undefined;
  return {
    type: 'network',
    features: [],
    events: [networkLifecycle],
    hypervisorVersion: () => Promise.resolve(encodeVersion(TSVIRT_VERSION)),
    async start(context) {
      const log = context.logs.module('network');
      networks = new NetworkDriver({
        store: new NetworkStore(context.paths.stateDir, log, options.storeHooks),
        runtime: new NetworkRuntime(context.paths.runStateDir, log),
        events: context.events,
        log,
      });
      await networks.load();
      registerNetworkProcedures(context.procedures, networks);
    },
    networks: () => networks,
  };
}
