/** The secrets driver as plugged into the daemon skeleton; its procedures arrive with its own issue. */
import { TSVIRT_VERSION, encodeVersion, type Driver } from '@tsvirt/common';

export function createSecretDriver(): Driver {
  return {
    type: 'secret',
    features: [],
    hypervisorVersion: () => Promise.resolve(encodeVersion(TSVIRT_VERSION)),
    start() {},
  };
}
