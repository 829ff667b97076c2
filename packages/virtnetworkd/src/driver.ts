/** The virtual networks driver as plugged into the daemon skeleton; its procedures arrive with its own issue. */
import { TSVIRT_VERSION, encodeVersion, type Driver } from '@tsvirt/common';

export function createNetworkDriver(): Driver {
  return {
    type: 'network',
    features: [],
    hypervisorVersion: () => Promise.resolve(encodeVersion(TSVIRT_VERSION)),
    start() {},
  };
}
