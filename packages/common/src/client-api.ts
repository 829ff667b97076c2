/**
 * What a client needs from @tsvirt/common, and nothing of the daemon side (no pino, no
 * ajv, no config): `@tsvirt/common/client`. Every tsvirsh run loads this, so keeping
 * it lean keeps the CLI quick to start.
 */
export * from './errors/error-codes.js';
export * from './errors/vir-error.js';
export * from './errors/transport-error.js';
export * from './wire/frame-decoder.js';
export * from './wire/messages.js';
export * from './rpc/keepalive.js';
export * from './rpc/message-channel.js';
export * from './rpc/rpc-stream.js';
export * from './rpc/client-session.js';
export * from './protocol/index.js';
export * from './daemon/paths.js';
export * from './uri/parse-uri.js';
export * from './uri/socket-routing.js';
export * from './version.js';
