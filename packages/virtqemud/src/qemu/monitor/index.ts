/** The QMP monitor: the connection (framing, ids, events) and the typed commands the driver calls. */
export * from './qmp-connection.js';
export * from './qmp-connect-unix.js';
export * from './qmp-commands.js';
export * from './qmp-errors.js';
export * from './qmp-events.js';
export { DEFAULT_MAX_LINE_BYTES } from './qmp-line-splitter.js';
