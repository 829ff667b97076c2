/** The remote and legacy access driver as plugged into the daemon skeleton; its procedures arrive with its own issue. */
import { TSVIRT_VERSION, encodeVersion, type Driver } from '@tsvirt/common';

export function createProxyDriver(): Driver {
  return {
    type: 'proxy',
    features: [],
    hypervisorVersion: () => Promise.resolve(encodeVersion(TSVIRT_VERSION)),
    start() {},
  };
}
