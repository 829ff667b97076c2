/** The protocol declarations alone: procedures, events, daemons. */
export * from './daemons.js';
export * from './procedure.js';
export * from './connect.js';
export * from './admin.js';
export * from './capabilities.js';
export * from './domain.js';
export * from './registry.js';
