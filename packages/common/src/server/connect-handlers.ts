/** The `connect.*` procedures every daemon answers, and the handshake's rules. */
import { hostname } from 'node:os';
import { ErrorCode, ErrorDomain } from '../errors/error-codes.js';
import { VirError } from '../errors/vir-error.js';
import {
  PROTOCOL_VERSION,
  connectClose,
  connectEventDeregister,
  connectEventRegister,
  connectGetFeatures,
  connectGetHostname,
  connectGetLibVersion,
  connectGetURI,
  connectGetVersion,
  connectOpen,
} from '../protocol/connect.js';
import { TSVIRT_VERSION, encodeVersion } from '../version.js';
import type { ProcedureTable } from './procedure-table.js';

/** Features of the protocol itself, offered by every daemon. */
export const PROTOCOL_FEATURES = ['keepalive', 'streams', 'events'] as const;

export interface ConnectInfo {
  daemonName: string;
  /** Canonical URI of the driver, e.g. `qemu:///session`. */
  uri: string;
  features: () => string[];
  /** `type` and libvirt-encoded version for connect.getVersion. */
  hypervisor: () => Promise<{ type: string; version: number }>;
  maxFrameSize: () => number;
  keepaliveIntervalSeconds: (admin: boolean) => number;
  /** Events this daemon may emit: subscriptions to others are refused. */
  ownsEvent: (event: number) => boolean;
}

export function registerConnectProcedures(table: ProcedureTable, info: ConnectInfo, options: { admin: boolean }): void {
  table.register(connectOpen, (args, { client }) => {
    if (client.opened) throw new VirError(ErrorCode.OPERATION_INVALID, ErrorDomain.RPC, 'connection already open');
    if (args.protocolVersion !== PROTOCOL_VERSION) {
      throw new VirError(
        ErrorCode.RPC,
        ErrorDomain.RPC,
        `unsupported protocol version ${args.protocolVersion}: ${info.daemonName} speaks version ${PROTOCOL_VERSION}`,
      );
    }
    client.opened = true;
    // A client may ask for read-only on the read-write socket, never the reverse.
    client.readonly = client.readonly || args.readonly;
    return {
      daemon: info.daemonName,
      version: TSVIRT_VERSION,
      protocolVersion: PROTOCOL_VERSION,
      features: info.features(),
      readonly: client.readonly,
      maxFrameSize: info.maxFrameSize(),
      keepaliveInterval: info.keepaliveIntervalSeconds(options.admin),
    };
  });
  table.register(connectClose, (_args, { client }) => {
    setImmediate(() => client.close());
    return {};
  });
  if (options.admin) return;
  table.register(connectGetVersion, () => info.hypervisor());
  table.register(connectGetLibVersion, () => ({ version: encodeVersion(TSVIRT_VERSION) }));
  table.register(connectGetHostname, () => ({ hostname: hostname() }));
  table.register(connectGetURI, () => ({ uri: info.uri }));
  table.register(connectGetFeatures, () => ({ features: info.features() }));
  table.register(connectEventRegister, (args, { client }) => {
    if (!info.ownsEvent(args.event)) {
      throw new VirError(
        ErrorCode.INVALID_ARG,
        ErrorDomain.EVENT,
        `${info.daemonName} emits no event number ${args.event}`,
      );
    }
    return { callbackId: client.subscribe(args.event, args.filter) };
  });
  table.register(connectEventDeregister, (args, { client }) => {
    if (!client.subscriptions.delete(args.callbackId)) {
      throw new VirError(ErrorCode.INVALID_ARG, ErrorDomain.EVENT, `no event subscription with id ${args.callbackId}`);
    }
    return {};
  });
}
