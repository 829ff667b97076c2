/** The QEMU driver as plugged into the daemon skeleton; domain procedures arrive with issue 3. */
import type { Driver } from '@tsvirt/common';
import { probeQemuVersion } from './qemu-version.js';

export const QEMU_BINARY = 'qemu-system-x86_64';

export function createQemuDriver(): Driver {
  let version: Promise<number> | undefined;
  return {
    type: 'QEMU',
    features: [],
    hypervisorVersion: () => (version ??= probeQemuVersion(QEMU_BINARY)),
    start() {
      // Probe now so that the first `version` call does not pay for it.
      version ??= probeQemuVersion(QEMU_BINARY);
    },
  };
}
