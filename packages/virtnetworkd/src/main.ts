/** virtnetworkd: the daemon for virtual networks. */
import { runDaemonMain } from '@tsvirt/common';
import { createNetworkDriver } from './driver.js';

await runDaemonMain({ name: 'virtnetworkd', driver: createNetworkDriver() });
