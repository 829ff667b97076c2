/** Every procedure and event declaration, for callers that use `Connection.call` directly. */
export * from '@tsvirt/common/protocol';
