/** `connect.*`: the handshake and the questions every daemon answers about itself. */
import { Type } from '@sinclair/typebox';
import { defineProcedure } from './procedure.js';

const Empty = Type.Object({}, { additionalProperties: false });

/** Version of the wire protocol itself; bumped only for incompatible changes. */
export const PROTOCOL_VERSION = 1;

/** @since 0.1.0 */
export const connectOpen = defineProcedure({
  name: 'connect.open',
  number: 1,
  since: '0.1.0',
  readonly: true,
  owner: 'any',
  socket: 'any',
  access: 'connect:getattr',
  summary: 'Handshake: exchange versions and features, and fix the read-only flag of the connection.',
  args: Type.Object(
    {
      clientVersion: Type.String({ maxLength: 64 }),
      protocolVersion: Type.Integer({ minimum: 1 }),
      features: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64 }),
      readonly: Type.Boolean(),
      uri: Type.Optional(Type.String({ maxLength: 4096 })),
    },
    { additionalProperties: false },
  ),
  result: Type.Object({
    daemon: Type.String(),
    version: Type.String(),
    protocolVersion: Type.Integer(),
    features: Type.Array(Type.String()),
    readonly: Type.Boolean(),
    maxFrameSize: Type.Integer(),
    keepaliveInterval: Type.Integer({ description: 'seconds; 0 when the daemon sends no keepalives' }),
  }),
});

/** @since 0.1.0 */
export const connectClose = defineProcedure({
  name: 'connect.close',
  number: 2,
  since: '0.1.0',
  readonly: true,
  owner: 'any',
  socket: 'any',
  access: 'connect:getattr',
  summary: 'Tell the daemon the client is leaving; it closes the connection after replying.',
  args: Empty,
  result: Empty,
});

/** @since 0.1.0 */
export const connectGetVersion = defineProcedure({
  name: 'connect.getVersion',
  number: 3,
  since: '0.1.0',
  readonly: true,
  owner: 'any',
  access: 'connect:getattr',
  summary:
    'Hypervisor (or subsystem) type and version, libvirt-encoded: major*1000000 + minor*1000 + micro; 0 when unknown.',
  args: Empty,
  result: Type.Object({ type: Type.String(), version: Type.Integer({ minimum: 0 }) }),
});

/** @since 0.1.0 */
export const connectGetLibVersion = defineProcedure({
  name: 'connect.getLibVersion',
  number: 4,
  since: '0.1.0',
  readonly: true,
  owner: 'any',
  access: 'connect:getattr',
  summary: 'Version of tsvirt running in the daemon, libvirt-encoded.',
  args: Empty,
  result: Type.Object({ version: Type.Integer({ minimum: 0 }) }),
});

/** @since 0.1.0 */
export const connectGetHostname = defineProcedure({
  name: 'connect.getHostname',
  number: 5,
  since: '0.1.0',
  readonly: true,
  owner: 'any',
  access: 'connect:getattr',
  summary: "The daemon host's name.",
  args: Empty,
  result: Type.Object({ hostname: Type.String() }),
});

/** @since 0.1.0 */
export const connectGetURI = defineProcedure({
  name: 'connect.getURI',
  number: 6,
  since: '0.1.0',
  readonly: true,
  owner: 'any',
  access: 'connect:getattr',
  summary: 'The canonical URI of the driver this daemon serves, e.g. `qemu:///session`.',
  args: Empty,
  result: Type.Object({ uri: Type.String() }),
});

/** @since 0.1.0 */
export const connectGetFeatures = defineProcedure({
  name: 'connect.getFeatures',
  number: 7,
  since: '0.1.0',
  readonly: true,
  owner: 'any',
  access: 'connect:getattr',
  summary: 'Features this daemon supports (protocol features and its own driver features).',
  args: Empty,
  result: Type.Object({ features: Type.Array(Type.String()) }),
});

/** @since 0.1.0 */
export const connectEventRegister = defineProcedure({
  name: 'connect.eventRegister',
  number: 8,
  since: '0.1.0',
  readonly: true,
  owner: 'any',
  access: 'connect:search',
  summary: 'Subscribe this connection to an event; returns the id the events will carry.',
  args: Type.Object(
    {
      event: Type.Integer({ minimum: 0, description: 'event number' }),
      filter: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 1024 }))),
    },
    { additionalProperties: false },
  ),
  result: Type.Object({ callbackId: Type.Integer({ minimum: 0 }) }),
});

/** @since 0.1.0 */
export const connectEventDeregister = defineProcedure({
  name: 'connect.eventDeregister',
  number: 9,
  since: '0.1.0',
  readonly: true,
  owner: 'any',
  access: 'connect:search',
  summary: 'Cancel a subscription made with connect.eventRegister.',
  args: Type.Object({ callbackId: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
  result: Empty,
});

export const CONNECT_PROCEDURES = [
  connectOpen,
  connectClose,
  connectGetVersion,
  connectGetLibVersion,
  connectGetHostname,
  connectGetURI,
  connectGetFeatures,
  connectEventRegister,
  connectEventDeregister,
] as const;
