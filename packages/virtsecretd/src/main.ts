/** virtsecretd: the daemon for secrets. */
import { runDaemonMain } from '@tsvirt/common';
import { createSecretDriver } from './driver.js';

await runDaemonMain({ name: 'virtsecretd', driver: createSecretDriver() });
