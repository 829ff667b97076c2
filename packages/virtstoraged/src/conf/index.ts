/** The storage XML layer: pool and volume definitions, pool capabilities, name checks. Pure functions. */
export * from './pool-types.js';
export * from './pool-def.js';
export * from './vol-def.js';
export * from './permissions.js';
export * from './pool-capabilities.js';
export * from './safe-names.js';
export { poolSchemaPath, volSchemaPath } from './schema-path.js';
