/** virtstoraged: the daemon for storage pools and volumes. */
import { runDaemonMain } from '@tsvirt/common';
import { createStorageDriver } from './driver.js';

await runDaemonMain({ name: 'virtstoraged', driver: createStorageDriver() });
