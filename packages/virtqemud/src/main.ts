/** virtqemud: the QEMU/KVM domain daemon. */
import { runDaemonMain } from '@tsvirt/common';
import { createQemuDriver } from './driver.js';

await runDaemonMain({ name: 'virtqemud', driver: createQemuDriver() });
