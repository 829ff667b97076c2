/** `admin.*`: served only on a daemon's admin socket, for the operator of that daemon. */
import { Type } from '@sinclair/typebox';
import { defineProcedure } from './procedure.js';

const Empty = Type.Object({}, { additionalProperties: false });

/** Log levels, libvirt's numbering: 1 debug, 2 info, 3 warning, 4 error. */
export const LogLevelSchema = Type.Integer({ minimum: 1, maximum: 4 });

/** @since 0.1.0 */
export const adminGetServerInfo = defineProcedure({
  name: 'admin.getServerInfo',
  number: 1001,
  since: '0.1.0',
  readonly: true,
  owner: 'any',
  socket: 'admin',
  access: 'server:read',
  summary: 'Who the daemon is, how long it has run, its paths and client counts.',
  args: Empty,
  result: Type.Object({
    daemon: Type.String(),
    version: Type.String(),
    pid: Type.Integer(),
    mode: Type.Union([Type.Literal('system'), Type.Literal('session')]),
    uptimeSeconds: Type.Number(),
    socketActivated: Type.Boolean(),
    clients: Type.Integer(),
    maxClients: Type.Integer(),
    runDir: Type.String(),
    stateDir: Type.String(),
    configFile: Type.String(),
  }),
});

export const AdminClientInfo = Type.Object({
  id: Type.Integer(),
  socket: Type.Union([Type.Literal('rw'), Type.Literal('ro'), Type.Literal('admin')]),
  readonly: Type.Boolean(),
  connectedAt: Type.String({ description: 'ISO 8601' }),
  callsServed: Type.Integer(),
});

/** @since 0.1.0 */
export const adminListClients = defineProcedure({
  name: 'admin.listClients',
  number: 1002,
  since: '0.1.0',
  readonly: true,
  owner: 'any',
  socket: 'admin',
  access: 'server:read',
  summary: 'Every client connected to the daemon, the admin ones included.',
  args: Empty,
  result: Type.Object({ clients: Type.Array(AdminClientInfo) }),
});

/** @since 0.1.0 */
export const adminGetLogging = defineProcedure({
  name: 'admin.getLogging',
  number: 1003,
  since: '0.1.0',
  readonly: true,
  owner: 'any',
  socket: 'admin',
  access: 'server:read',
  summary: 'Current log level and per-module filters (libvirt syntax, e.g. `1:rpc 4:config`).',
  args: Empty,
  result: Type.Object({ level: LogLevelSchema, filters: Type.String() }),
});

/** @since 0.1.0 */
export const adminSetLogging = defineProcedure({
  name: 'admin.setLogging',
  number: 1004,
  since: '0.1.0',
  readonly: false,
  owner: 'any',
  socket: 'admin',
  access: 'server:write',
  summary: 'Change the log level and/or filters at runtime; omitted fields are kept.',
  args: Type.Object(
    { level: Type.Optional(LogLevelSchema), filters: Type.Optional(Type.String({ maxLength: 4096 })) },
    { additionalProperties: false },
  ),
  result: Type.Object({ level: LogLevelSchema, filters: Type.String() }),
});

export const ADMIN_PROCEDURES = [adminGetServerInfo, adminListClients, adminGetLogging, adminSetLogging] as const;
