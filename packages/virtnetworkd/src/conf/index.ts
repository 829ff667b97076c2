/** The pure network XML layer: model, parse (+ defaults and checks), canonical format, and net-update. */
export * from './network-def.js';
export * from './network-errors.js';
export * from './network-parse.js';
export * from './network-validate.js';
export * from './network-format.js';
export * from './network-update.js';
export * from './safe-names.js';
export * from './schema-path.js';
export * from './ip-address.js';
export * from './network-port.js';
