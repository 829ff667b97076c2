/**
 * The one daemon skeleton every tsvirt daemon runs on: paths, config, logging, the
 * instance lock, sockets (created or socket-activated), the connect and admin
 * procedures, idle exit, reload and clean shutdown. A driver only adds procedures.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { DEFAULT_MAX_FRAME_SIZE } from '../wire/frame-decoder.js';
import { LogManager, type LogLevelNumber } from '../logging/log-manager.js';
import { DAEMON_DRIVER, type DaemonName } from '../protocol/daemons.js';
import type { ChannelOptions } from '../rpc/message-channel.js';
import { registerAdminProcedures } from '../server/admin-handlers.js';
import { PROTOCOL_FEATURES, registerConnectProcedures } from '../server/connect-handlers.js';
import { EventBus } from '../server/event-bus.js';
import { ProcedureTable } from '../server/procedure-table.js';
import { RpcServer } from '../server/rpc-server.js';
import type { SocketKind } from '../server/server-client.js';
import { loadDaemonConfig, type DaemonConfig } from './daemon-config.js';
import type { Driver } from './driver.js';
import { IdleTimer } from './idle-timer.js';
import { acquireInstanceLock, type InstanceLock } from './instance-lock.js';
import { adoptActivatedSocket, createListeningSocket, type ListeningSocket } from './listen-sockets.js';
import type { DaemonPaths } from './paths.js';
import { takeActivatedSockets } from './socket-activation.js';

export interface DaemonOptions {
  name: DaemonName;
  driver: Driver;
  mode: 'system' | 'session';
  paths: DaemonPaths;
  /** Config file to read; `mustExist` when the user named it explicitly. */
  configFile: string;
  configMustExist: boolean;
  /** Idle-exit seconds from the command line; overrides the config's `timeout`. */
  timeoutSeconds: number | undefined;
  env: NodeJS.ProcessEnv;
  /** Called when the daemon decides to stop by itself (idle timeout). */
  onIdleExit?: () => void;
  /** Log destination override, for tests. */
  logs?: LogManager;
}

type Config = DaemonConfig & Record<string, unknown>;

export class Daemon {
  readonly startedAt = Date.now();
  readonly server: RpcServer;
  readonly events: EventBus;
  readonly logs: LogManager;
  readonly log: Logger;
  private config: Config;
  private lock: InstanceLock | undefined;
  private sockets: ListeningSocket[] = [];
  private idleTimer: IdleTimer | undefined;
  private socketActivated = false;
  private stopping: Promise<void> | undefined;
  private readonly mainTable = new ProcedureTable('main');

  private constructor(
    readonly options: DaemonOptions,
    config: Config,
  ) {
    this.config = config;
    this.logs =
      options.logs ??
      new LogManager({ name: options.name, level: config.log_level as LogLevelNumber, filters: config.log_filters });
    this.log = this.logs.module('daemon');
    const adminTable = new ProcedureTable('admin');
    this.server = new RpcServer({
      daemonName: options.name,
      mainTable: this.mainTable,
      adminTable,
      channelOptions: (kind) => this.channelOptions(kind),
      maxClients: () => this.config.max_clients,
      log: this.logs.module('rpc'),
    });
    this.events = new EventBus(this.server);
    this.registerCommonProcedures(adminTable);
  }

  /** Loads the config and builds the daemon; throws VirError on a bad config file. */
  static create(options: DaemonOptions): Daemon {
    return new Daemon(options, Daemon.loadConfig(options));
  }

  private static loadConfig(options: DaemonOptions): Config {
    return loadDaemonConfig(options.configFile, {
      mustExist: options.configMustExist,
      ...(options.driver.configSchema ? { extraSchema: options.driver.configSchema } : {}),
    }).config;
  }

  get currentConfig(): Config {
    return this.config;
  }

  /** Takes the instance lock, starts the driver, then opens the sockets. */
  async start(): Promise<void> {
    const { options } = this;
    // A session daemon's directories are its user's alone.
    const dirMode = options.mode === 'session' ? 0o700 : 0o755;
    this.lock = await acquireInstanceLock(options.name, options.paths.pidFile, dirMode);
    try {
      for (const dir of [options.paths.stateDir, options.paths.runStateDir])
        mkdirSync(dir, { recursive: true, mode: dirMode });
      await options.driver.start({
        daemonName: options.name,
        mode: options.mode,
        paths: options.paths,
        config: () => this.config,
        procedures: this.mainTable,
        events: this.events,
        logs: this.logs,
        log: this.logs.module(DAEMON_DRIVER[options.name]),
      });
      await this.openSockets(dirMode);
    } catch (err) {
      this.releaseResources();
      throw err;
    }
    // The command line wins over the config file, whose value a reload may change.
    const timeoutSeconds = (): number => options.timeoutSeconds ?? this.config.timeout;
    this.idleTimer = new IdleTimer({
      timeoutSeconds,
      isIdle: () => this.server.clientCount === 0 && !this.server.busy && !(options.driver.hasActiveWork?.() ?? false),
      onIdle: () => {
        this.log.info({ timeoutSeconds: timeoutSeconds() }, 'idle timeout reached: exiting');
        options.onIdleExit?.();
      },
    });
    this.server.on('clients', () => this.idleTimer?.check());
    this.log.info(
      {
        mode: options.mode,
        sockets: this.sockets.map((s) => s.createdPath ?? `activated ${s.kind}`),
        socketActivated: this.socketActivated,
      },
      `${options.name} started`,
    );
  }

  /** Re-reads the config file; a bad file is reported and the running config kept. Returns whether it applied. */
  reload(): boolean {
    try {
      const config = Daemon.loadConfig(this.options);
      this.logs.configure({ level: config.log_level as LogLevelNumber, filters: config.log_filters });
      this.config = config;
      this.options.driver.reload?.(config);
      this.log.info({ configFile: this.options.configFile }, 'configuration reloaded');
      return true;
    } catch (err) {
      this.log.error(
        { configFile: this.options.configFile, err: (err as Error).message },
        'configuration reload failed; keeping the running configuration',
      );
      return false;
    }
  }

  /** Stops serving, lets the driver release its resources, removes our sockets and pidfile. */
  stop(reason: string): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info({ reason }, `${this.options.name} stopping`);
      this.idleTimer?.stop();
      await this.server.close();
      try {
        await this.options.driver.stop?.();
      } finally {
        this.releaseResources();
      }
    })();
    return this.stopping;
  }

  private releaseResources(): void {
    for (const socket of this.sockets) {
      socket.server.close();
      if (socket.createdPath) rmSync(socket.createdPath, { force: true });
    }
    this.sockets = [];
    this.lock?.release();
    this.lock = undefined;
  }

  private channelOptions(kind: SocketKind): ChannelOptions {
    const admin = kind === 'admin';
    const interval = admin ? this.config.admin_keepalive_interval : this.config.keepalive_interval;
    const count = admin ? this.config.admin_keepalive_count : this.config.keepalive_count;
    return {
      maxFrameSize: this.config.max_frame_size ?? DEFAULT_MAX_FRAME_SIZE,
      keepalive: { intervalMs: interval > 0 ? interval * 1000 : 0, count },
    };
  }

  private registerCommonProcedures(adminTable: ProcedureTable): void {
    const { name, driver, mode, paths } = this.options;
    const ownedEvents = new Set((driver.events ?? []).map((e) => e.number));
    const info = {
      daemonName: name,
      uri: `${DAEMON_DRIVER[name]}:///${mode}`,
      features: () => [...PROTOCOL_FEATURES, ...(driver.features ?? [])],
      hypervisor: async () => ({ type: driver.type, version: (await driver.hypervisorVersion?.()) ?? 0 }),
      maxFrameSize: () => this.config.max_frame_size,
      keepaliveIntervalSeconds: (admin: boolean) =>
        Math.max(0, admin ? this.config.admin_keepalive_interval : this.config.keepalive_interval),
      ownsEvent: (event: number) => ownedEvents.has(event),
    };
    registerConnectProcedures(this.mainTable, info, { admin: false });
    registerConnectProcedures(adminTable, info, { admin: true });
    registerAdminProcedures(adminTable, this.server, this.logs, {
      daemonName: name,
      mode,
      startedAt: this.startedAt,
      socketActivated: () => this.socketActivated,
      maxClients: () => this.config.max_clients,
      runDir: paths.runDir,
      stateDir: paths.stateDir,
      configFile: this.options.configFile,
    });
  }

  private async openSockets(dirMode: number): Promise<void> {
    const { paths, env } = this.options;
    const activated = takeActivatedSockets(env, process.pid);
    this.socketActivated = activated !== undefined;
    if (activated?.unknown.length)
      this.log.warn({ names: activated.unknown }, 'ignoring socket-activated fds with unknown names');
    const socketDir = this.config.unix_sock_dir;
    const perms: Record<SocketKind, string> = {
      rw: this.config.unix_sock_rw_perms,
      ro: this.config.unix_sock_ro_perms,
      admin: this.config.unix_sock_admin_perms,
    };
    // The read-write socket opens last: once it answers, the other two exist too.
    for (const kind of ['admin', 'ro', 'rw'] as const) {
      const fd = activated?.fds[kind];
      const path = socketDir ? join(socketDir, paths.sockets[kind].split('/').pop()!) : paths.sockets[kind];
      const socket =
        fd !== undefined
          ? await adoptActivatedSocket(kind, fd)
          : await createListeningSocket(
              {
                kind,
                path,
                perms: perms[kind],
                ...(this.config.unix_sock_group ? { group: this.config.unix_sock_group } : {}),
              },
              dirMode,
            );
      this.sockets.push(socket);
      this.server.attach(socket.server, kind);
    }
  }
}
