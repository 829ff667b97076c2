/** Test support shared by every package's tests: `@tsvirt/common/testing`. */
export * from './daemon-process.js';
export * from './memory-duplex.js';
export * from './fixture-daemon.js';
export * from './expect-error.js';
export * from './daemon-smoke.js';
export * from './process-scan.js';
