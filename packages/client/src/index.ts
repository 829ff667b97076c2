/**
 * @tsvirt/client: open a URI, call procedures, subscribe to events, use streams.
 * Re-exports what a program needs from the protocol, so that users depend on this
 * package alone.
 */
export { Connection, open, type OpenOptions, type Subscription } from './connection.js';
export { AdminConnection } from './admin-connection.js';
export { defaultURI } from './default-uri.js';
export {
  defineDomain,
  undefineDomain,
  lookupDomain,
  lookupDomainByName,
  lookupDomainByUUID,
  lookupDomainByID,
  listAllDomains,
  getDomainXML,
  getDomainInfo,
  getDomainState,
  setDomainAutostart,
  getDomainAutostart,
  isDomainActive,
  isDomainPersistent,
  getDomainOSType,
  canonicalUuid,
  type DomainInfo,
  type DomainStateInfo,
  type DomainListFlags,
  type DomainRef,
} from './domain.js';
export { findDaemonExecutable, AUTOSTART_IDLE_TIMEOUT } from './daemon-launcher.js';
export {
  VirError,
  TransportError,
  ErrorCode,
  ErrorDomain,
  ErrorLevel,
  errorCodeName,
  errorDomainName,
  TSVIRT_VERSION,
  encodeVersion,
  decodeVersion,
  parseURI,
  formatURI,
  DAEMON_NAMES,
  isDaemonName,
  ALL_PROCEDURES,
  ALL_EVENTS,
  DomainState,
  DomainShutoffReason,
  DomainRunningReason,
  DomainEventType,
  DomainEventDefinedDetail,
  DomainEventUndefinedDetail,
  domainLifecycle,
  type ArgsOf,
  type ResultOf,
  type EventDataOf,
  type ProcedureDecl,
  type EventDecl,
  type DaemonName,
  type ParsedURI,
  type RpcStream,
  type WireError,
} from '@tsvirt/common/client';
export * as protocol from './protocol.js';
