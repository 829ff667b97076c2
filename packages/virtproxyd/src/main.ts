/** virtproxyd: the daemon for remote and legacy access. */
import { runDaemonMain } from '@tsvirt/common';
import { createProxyDriver } from './driver.js';

await runDaemonMain({ name: 'virtproxyd', driver: createProxyDriver() });
