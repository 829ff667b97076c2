/**
 * The QMP client over any byte duplex (QEMU's unix socket, or an in-memory pair in tests):
 * greeting and capabilities handshake, commands matched to replies by id, asynchronous
 * events, and an end that says whether QEMU went away (EOF) or the protocol broke.
 * It knows no command's arguments or return shape; qmp-commands.ts does.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import { QmpCommandError, qemuError } from './qmp-errors.js';
import type { QmpAnyEvent, QmpEvent, QmpEventName, QmpTimestamp } from './qmp-events.js';
import { DEFAULT_MAX_LINE_BYTES, QmpLineSplitter } from './qmp-line-splitter.js';

/** The subset of a pino logger we use, so tests can pass a plain object. */
export interface QmpLog {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface QmpConnectOptions {
  log?: QmpLog;
  /** How long to wait for the greeting and the capabilities reply; default 10 s. */
  handshakeTimeoutMs?: number;
  /** Timeout of `execute` when the call gives none; default 30 s; 0 waits for ever. */
  commandTimeoutMs?: number;
  /** Longest message accepted; default 16 MiB. */
  maxLineBytes?: number;
}

export interface ExecuteOptions {
  /** Overrides the connection's default; 0 waits for ever (for commands that legitimately take long). */
  timeoutMs?: number;
}

/** QEMU's version, from the greeting. */
export interface QemuVersion {
  major: number;
  minor: number;
  micro: number;
  /** The distributor's build string, e.g. 'Debian 1:7.2+dfsg-7+deb12u18'; '' for upstream builds. */
  package: string;
}

export interface QmpCloseInfo {
  /**
   * 'eof': QEMU closed the monitor, which means it exited or is exiting (the driver relies on
   * this to notice a dead QEMU at once); 'error': the stream failed or QEMU broke the protocol;
   * 'local': we closed it.
   */
  reason: 'eof' | 'error' | 'local';
  /** Set when `reason` is 'error'. */
  error?: VirError;
}

export interface QmpConnectionEvents {
  /** Every event QEMU sends, known or not. */
  event: [QmpAnyEvent];
  /** Emitted once, after pending commands have been rejected. */
  close: [QmpCloseInfo];
}

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

interface PendingCommand {
  command: string;
  resolve(value: unknown): void;
  reject(error: VirError): void;
  timer: NodeJS.Timeout | undefined;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseGreeting(message: Record<string, unknown>): { version: QemuVersion; capabilities: string[] } | undefined {
  const qmp = message.QMP;
  if (!isObject(qmp) || !isObject(qmp.version) || !isObject(qmp.version.qemu)) return undefined;
  const { major, minor, micro } = qmp.version.qemu;
  if (typeof major !== 'number' || typeof minor !== 'number' || typeof micro !== 'number') return undefined;
  const pkg = typeof qmp.version.package === 'string' ? qmp.version.package.trim() : '';
  const capabilities = Array.isArray(qmp.capabilities)
    ? qmp.capabilities.filter((c): c is string => typeof c === 'string')
    : [];
  return { version: { major, minor, micro, package: pkg }, capabilities };
}

function parseTimestamp(value: unknown): QmpTimestamp {
  if (isObject(value) && typeof value.seconds === 'number' && typeof value.microseconds === 'number') {
    return { seconds: value.seconds, microseconds: value.microseconds };
  }
  return { seconds: 0, microseconds: 0 };
}

export class QmpConnection extends EventEmitter<QmpConnectionEvents> {
  /** Resolves once, when the connection has ended; never rejects. */
  readonly closed: Promise<QmpCloseInfo>;
  private readonly closedDeferred = deferred<QmpCloseInfo>();
  private readonly splitter: QmpLineSplitter;
  private readonly log: QmpLog | undefined;
  private readonly commandTimeoutMs: number;
  private readonly pending = new Map<number, PendingCommand>();
  private readonly greetingDeferred = deferred<void>();
  private greeted = false;
  /** Set once `connect` has handed the connection out; replies after that are to the caller's commands. */
  private ready = false;
  private nextId = 1;
  private closeResult: QmpCloseInfo | undefined;
  private greetingVersion: QemuVersion = { major: 0, minor: 0, micro: 0, package: '' };
  private greetingCapabilities: string[] = [];
  /** Events that arrive while `connect` is finishing wait here, so listeners attached right after it see them. */
  private heldEvents: QmpAnyEvent[] | undefined = [];

  private constructor(
    private readonly stream: Duplex,
    options: QmpConnectOptions,
  ) {
    super();
    this.closed = this.closedDeferred.promise;
    this.log = options.log;
    this.commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.splitter = new QmpLineSplitter(options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
    // Nobody may be awaiting the greeting when the connection dies; that is not an unhandled rejection.
    this.greetingDeferred.promise.catch(() => undefined);
    stream.on('data', (chunk: Buffer | string) => this.onData(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    stream.on('end', () => this.finish({ reason: 'eof' }));
    // A peer that vanishes without an orderly end (a destroyed pair, a reset socket after 'error') is gone all the same.
    stream.on('close', () => this.finish({ reason: 'eof' }));
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // QEMU exiting with our bytes unread in its socket makes the kernel reset instead of
      // ending the connection: that is still QEMU going away, and the driver must see it as such.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
        this.log?.debug({ code: err.code }, 'QMP connection reset by QEMU');
        this.finish({ reason: 'eof' });
        return;
      }
      this.finish({
        reason: 'error',
        error: qemuError(ErrorCode.OPERATION_FAILED, `QEMU monitor connection failed: ${err.message}`),
      });
    });
  }

  /** Waits for QEMU's greeting, leaves capabilities negotiation, and returns a connection ready for commands. */
  static async connect(stream: Duplex, options: QmpConnectOptions = {}): Promise<QmpConnection> {
    const connection = new QmpConnection(stream, options);
    try {
      await connection.handshake(options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS);
    } catch (err) {
      connection.close();
      throw err;
    }
    connection.ready = true;
    // After the caller's continuation has run (it is a microtask; this is a macrotask), hand over held events.
    setImmediate(() => connection.releaseHeldEvents());
    return connection;
  }

  /** QEMU's version as its greeting stated it. */
  get version(): QemuVersion {
    return this.greetingVersion;
  }

  /** Optional QMP capabilities QEMU offered (e.g. 'oob'); none are enabled. */
  get capabilities(): readonly string[] {
    return this.greetingCapabilities;
  }

  get isClosed(): boolean {
    return this.closeResult !== undefined;
  }

  /** How the connection ended, once it has. */
  get closeInfo(): QmpCloseInfo | undefined {
    return this.closeResult;
  }

  /**
   * Runs one QMP command and resolves with its `return` value, unchecked (typed callers live in
   * qmp-commands.ts). Commands are pipelined: QEMU runs them in order and we match replies by id.
   */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, options: ExecuteOptions = {}): Promise<T> {
    if (this.closeResult) {
      return Promise.reject(
        qemuError(ErrorCode.OPERATION_FAILED, `QEMU monitor is closed, cannot run '${command}'${this.closeDetail()}`),
      );
    }
    const id = this.nextId++;
    const message: Record<string, unknown> = { execute: command, id };
    if (args !== undefined) message.arguments = args;
    const timeoutMs = options.timeoutMs ?? this.commandTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const entry: PendingCommand = { command, resolve: resolve as (value: unknown) => void, reject, timer: undefined };
      if (timeoutMs > 0) {
        entry.timer = setTimeout(() => {
          // A late reply finds no entry under its id and is dropped.
          this.pending.delete(id);
          reject(qemuError(ErrorCode.OPERATION_TIMEOUT, `QEMU command '${command}' timed out after ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.pending.set(id, entry);
      this.log?.debug({ command, id }, 'QMP command');
      this.stream.write(`${JSON.stringify(message)}\r\n`);
    });
  }

  /** Calls `listener` for each event named `name`; returns the function that stops it. */
  onEvent<N extends QmpEventName>(name: N, listener: (event: QmpEvent<N>) => void): () => void {
    const filter = (event: QmpAnyEvent): void => {
      if (event.event === name) listener(event as unknown as QmpEvent<N>);
    };
    this.on('event', filter);
    return () => this.off('event', filter);
  }

  /** The next event named `name` (that `match` accepts); rejects on timeout or when the connection closes first. */
  waitForEvent<N extends QmpEventName>(
    name: N,
    options: { timeoutMs?: number; match?: (event: QmpEvent<N>) => boolean } = {},
  ): Promise<QmpEvent<N>> {
    return new Promise((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.commandTimeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const cleanup = (): void => {
        stop();
        this.off('close', onClose);
        if (timer) clearTimeout(timer);
      };
      const stop = this.onEvent(name, (event) => {
        if (options.match && !options.match(event)) return;
        cleanup();
        resolve(event);
      });
      const onClose = (): void => {
        cleanup();
        reject(
          qemuError(
            ErrorCode.OPERATION_FAILED,
            `QEMU monitor closed while waiting for event ${name}${this.closeDetail()}`,
          ),
        );
      };
      if (this.closeResult) {
        onClose();
        return;
      }
      this.on('close', onClose);
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          cleanup();
          reject(qemuError(ErrorCode.OPERATION_TIMEOUT, `no QEMU event ${name} within ${timeoutMs} ms`));
        }, timeoutMs);
      }
    });
  }

  /** Closes the monitor from our side; pending commands are rejected. QEMU keeps running. */
  close(): void {
    this.finish({ reason: 'local' });
  }

  private async handshake(timeoutMs: number): Promise<void> {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(qemuError(ErrorCode.OPERATION_TIMEOUT, `no QMP greeting from QEMU within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.greetingDeferred.promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
    // QEMU refuses every other command until this one.
    await this.execute('qmp_capabilities', undefined, { timeoutMs: Math.max(1, timeoutMs - (Date.now() - started)) });
  }

  private onData(chunk: Buffer): void {
    if (this.closeResult) return;
    try {
      for (const line of this.splitter.push(chunk)) {
        this.onLine(line);
        if (this.closeResult) return;
      }
    } catch (err) {
      this.finish({ reason: 'error', error: VirError.from(err, ErrorDomain.QEMU) });
    }
  }

  private onLine(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch (err) {
      this.protocolError(`QEMU monitor sent invalid JSON (${(err as Error).message}): ${line.slice(0, 200)}`);
      return;
    }
    if (!isObject(message)) {
      this.protocolError(`QEMU monitor sent a message that is not a JSON object: ${line.slice(0, 200)}`);
      return;
    }
    if (!this.greeted) {
      const greeting = 'QMP' in message ? parseGreeting(message) : undefined;
      if (!greeting) {
        this.protocolError(`QEMU monitor did not start with a QMP greeting: ${line.slice(0, 200)}`);
        return;
      }
      this.greeted = true;
      this.greetingVersion = greeting.version;
      this.greetingCapabilities = greeting.capabilities;
      this.log?.debug({ version: greeting.version }, 'QMP greeting');
      this.greetingDeferred.resolve();
      return;
    }
    if (typeof message.event === 'string') {
      this.onEventMessage({
        event: message.event,
        data: isObject(message.data) ? message.data : {},
        timestamp: parseTimestamp(message.timestamp),
      });
      return;
    }
    if ('return' in message || 'error' in message) {
      this.onReply(message);
      return;
    }
    // Newer QEMUs may add message kinds; ignoring them keeps us working with those.
    this.log?.warn({ message: line.slice(0, 200) }, 'unrecognised QMP message ignored');
  }

  private onReply(message: Record<string, unknown>): void {
    let id = message.id;
    // QEMU omits the id only when it could not parse our request; with one command in flight it is that one's.
    if (id === undefined && this.pending.size === 1) id = this.pending.keys().next().value;
    const entry = typeof id === 'number' ? this.pending.get(id) : undefined;
    if (!entry) {
      this.log?.debug({ id }, 'QMP reply for no pending command (timed out?) dropped');
      return;
    }
    this.pending.delete(id as number);
    if (entry.timer) clearTimeout(entry.timer);
    // Held events came before this reply; the caller has its listeners by now, so keep QEMU's order.
    if (this.ready && this.heldEvents) this.releaseHeldEvents();
    if ('error' in message) {
      const error = isObject(message.error) ? message.error : {};
      const errorClass = typeof error.class === 'string' ? error.class : 'GenericError';
      const desc = typeof error.desc === 'string' ? error.desc : 'unknown error';
      this.log?.debug({ command: entry.command, id, errorClass, desc }, 'QMP command failed');
      entry.reject(new QmpCommandError(entry.command, errorClass, desc));
      return;
    }
    this.log?.debug({ command: entry.command, id }, 'QMP reply');
    entry.resolve(message.return);
  }

  private onEventMessage(event: QmpAnyEvent): void {
    this.log?.debug({ event: event.event }, 'QMP event');
    if (this.heldEvents) {
      this.heldEvents.push(event);
      return;
    }
    this.deliver(event);
  }

  private releaseHeldEvents(): void {
    const held = this.heldEvents ?? [];
    this.heldEvents = undefined;
    for (const event of held) this.deliver(event);
  }

  private deliver(event: QmpAnyEvent): void {
    try {
      this.emit('event', event);
    } catch (err) {
      // A throwing listener must not take the monitor (and every later reply) down with it.
      this.log?.warn({ event: event.event, err }, 'QMP event listener threw');
    }
  }

  private protocolError(message: string): void {
    this.finish({ reason: 'error', error: qemuError(ErrorCode.INTERNAL_ERROR, message) });
  }

  private closeDetail(): string {
    const error = this.closeResult?.error;
    return error ? `: ${error.message}` : '';
  }

  private finish(info: QmpCloseInfo): void {
    if (this.closeResult) return;
    this.closeResult = info;
    this.stream.destroy();
    this.log?.debug({ reason: info.reason, error: info.error?.message }, 'QMP connection closed');
    this.greetingDeferred.reject(
      info.error ?? qemuError(ErrorCode.OPERATION_FAILED, 'QEMU monitor closed before its greeting'),
    );
    const detail = this.closeDetail();
    for (const entry of this.pending.values()) {
      if (entry.timer) clearTimeout(entry.timer);
      entry.reject(
        qemuError(ErrorCode.OPERATION_FAILED, `QEMU monitor closed while running '${entry.command}'${detail}`),
      );
    }
    this.pending.clear();
    // Events that arrived just before the end still belong to the story (e.g. SHUTDOWN before EOF).
    if (this.heldEvents && this.greeted) setImmediate(() => this.releaseHeldEvents());
    this.closedDeferred.resolve(info);
    const emitClose = (): void => {
      this.emit('close', info);
    };
    if (this.heldEvents && this.greeted) setImmediate(emitClose);
    else emitClose();
  }
}
