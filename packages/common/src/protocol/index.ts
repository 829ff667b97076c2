/** The protocol declarations alone: procedures, events, daemons. */
export * from './daemons.js';
export * from './procedure.js';
export * from './connect.js';
export * from './admin.js';
export * from './capabilities.js';
export * from './domain.js';
export * from './storage-pool.js';
export * from './storage-vol.js';
export * from './storage-sparse-stream.js';
export * from './network.js';
export * from './registry.js';
