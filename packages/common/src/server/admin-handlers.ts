/** The `admin.*` procedures, served only on the admin socket. */
import { ErrorDomain } from '../errors/error-codes.js';
import { VirError } from '../errors/vir-error.js';
import type { LogLevelNumber, LogManager } from '../logging/log-manager.js';
import { adminGetLogging, adminGetServerInfo, adminListClients, adminSetLogging } from '../protocol/admin.js';
import { TSVIRT_VERSION } from '../version.js';
import type { ProcedureTable } from './procedure-table.js';
import type { RpcServer } from './rpc-server.js';

export interface AdminInfo {
  daemonName: string;
  mode: 'system' | 'session';
  startedAt: number;
  socketActivated: () => boolean;
  maxClients: () => number;
  runDir: string;
  stateDir: string;
  configFile: string;
}

export function registerAdminProcedures(
  table: ProcedureTable,
  server: RpcServer,
  logs: LogManager,
  info: AdminInfo,
): void {
  table.register(adminGetServerInfo, () => ({
    daemon: info.daemonName,
    version: TSVIRT_VERSION,
    pid: process.pid,
    mode: info.mode,
    uptimeSeconds: (Date.now() - info.startedAt) / 1000,
    socketActivated: info.socketActivated(),
    clients: server.clientCount,
    maxClients: info.maxClients(),
    runDir: info.runDir,
    stateDir: info.stateDir,
    configFile: info.configFile,
  }));
  table.register(adminListClients, () => ({
    clients: server.clientList.map((client) => ({
      id: client.id,
      socket: client.socketKind,
      readonly: client.readonly,
      connectedAt: client.connectedAt.toISOString(),
      callsServed: client.callsServed,
    })),
  }));
  table.register(adminGetLogging, () => logs.settings);
  table.register(adminSetLogging, (args) => {
    try {
      logs.configure(args as { level?: LogLevelNumber; filters?: string });
    } catch (err) {
      throw err instanceof VirError ? new VirError(err.code, ErrorDomain.ADMIN, err.message) : err;
    }
    return logs.settings;
  });
}
