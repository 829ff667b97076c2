/** virtnodedevd: the daemon for host devices. */
import { runDaemonMain } from '@tsvirt/common';
import { createNodedevDriver } from './driver.js';

await runDaemonMain({ name: 'virtnodedevd', driver: createNodedevDriver() });
