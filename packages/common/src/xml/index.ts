/**
 * `@tsvirt/common/xml`: safe XML parsing, cached RelaxNG validation, tree-reading helpers and
 * the canonical writer shared by every daemon's conf/ modules. A separate entry point so that
 * clients (`@tsvirt/common/client`) and XML-free daemons never load libxmljs2.
 */
export * from './xml-errors.js';
export * from './xml-parse.js';
export * from './xml-read.js';
export * from './xml-writer.js';
export * from './scaled-integer.js';
