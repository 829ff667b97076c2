/**
 * Guest consoles over RPC streams (libvirt's qemuDomainOpenConsole and virChrdev): the
 * stream of a `domain.openConsole` call is joined to the character device's pty (or the
 * unix socket QEMU listens on), both ways. One session per device, as libvirt keeps it:
 * a second one is refused unless forced, and a forced one ends the first. A session ends
 * when its client finishes or goes away, or when the guest's QEMU stops.
 */
import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import { connect } from 'node:net';
import { ReadStream as TtyStream } from 'node:tty';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import type { ChardevDef, DomainDef } from '../conf/domain-def.js';
import type { DomainObj } from './domain-obj.js';

export interface OpenConsoleOptions {
  /** A serial or console alias (`serial0`, `console0`); absent: the first console, else the first serial. */
  device?: string | undefined;
  /** End the session already open on that device and take its place. */
  force?: boolean | undefined;
}

/** What a session connects to: a pty QEMU allocated, or a unix socket QEMU listens on. */
interface ConsoleTarget {
  name: string;
  kind: 'pty' | 'unix';
  path: string;
}

/** The device `device` names, with the name libvirt would report it by. */
function findChardev(def: DomainDef, device: string | undefined): { dev: ChardevDef; name: string } | undefined {
  const named = [
    ...def.devices.consoles.map((dev, i) => ({ dev, names: [dev.alias ?? `console${i}`] })),
    // A serial console's port is reachable by its serial's name too.
    ...def.devices.serials.map((dev, i) => ({ dev, names: [dev.alias ?? `serial${i}`] })),
  ];
  if (device === undefined) {
    const first = named[0];
    return first && { dev: first.dev, name: first.names[0] ?? '' };
  }
  const found = named.find((n) => n.names.includes(device));
  return found && { dev: found.dev, name: device };
}

function targetOf(def: DomainDef, device: string | undefined): ConsoleTarget {
  const found = findChardev(def, device);
  if (!found) {
    throw new VirError(
      ErrorCode.INTERNAL_ERROR,
      ErrorDomain.QEMU,
      device === undefined ? 'cannot find character device' : `cannot find character device '${device}'`,
    );
  }
  const { dev, name } = found;
  const path = dev.source?.path;
  if (dev.type === 'pty' && path) return { name, kind: 'pty', path };
  // QEMU listens on a bound socket; a socket it connects to is someone else's end.
  if (dev.type === 'unix' && dev.source?.mode === 'bind' && path) return { name, kind: 'unix', path };
  throw new VirError(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, `character device '${name}' is not using a PTY`);
}

/** Opens the pty without making it our controlling terminal; libuv reads and writes it without blocking. */
async function openPty(path: string): Promise<Duplex> {
  const flags = fsConstants.O_RDWR | fsConstants.O_NOCTTY | fsConstants.O_NONBLOCK;
  let handle;
  try {
    handle = await open(path, flags);
  } catch (err) {
    throw new VirError(
      ErrorCode.SYSTEM_ERROR,
      ErrorDomain.STREAMS,
      `Unable to open stream for '${path}': ${(err as Error).message}`,
    );
  }
  // The TTY stream takes the descriptor over and closes it when destroyed.
  return new TtyStream(handle.fd);
}

function connectUnixSocket(path: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', (err) =>
      reject(
        new VirError(ErrorCode.SYSTEM_ERROR, ErrorDomain.STREAMS, `Unable to connect to '${path}': ${err.message}`),
      ),
    );
  });
}

/** One client joined to one device. `close()` ends both sides and runs once. */
class ConsoleSession {
  private closed = false;

  constructor(
    readonly stream: Duplex,
    private readonly backend: Duplex,
    private readonly onClosed: (session: ConsoleSession) => void,
  ) {
    const close = (): void => this.close();
    backend.on('error', close).on('end', close).on('close', close);
    stream.on('error', close).on('end', close).on('close', close);
    backend.pipe(stream, { end: false });
    stream.pipe(backend, { end: false });
  }

  /** Ends the client's stream (it sees a normal end) and lets go of the device. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.backend.unpipe(this.stream);
    this.stream.unpipe(this.backend);
    this.backend.destroy();
    if (!this.stream.destroyed) {
      // Whatever the client still sends goes nowhere; unread input must not stall its connection.
      this.stream.resume();
      // Finished on our side: drop it, so that a client that never finishes keeps nothing open.
      this.stream.end(() => this.stream.destroy());
    }
    this.onClosed(this);
  }
}

export class DomainConsoles {
  /** Open sessions by device path: a serial and its console share one. */
  private readonly sessions = new Map<string, ConsoleSession>();

  constructor(private readonly log: Logger) {}

  /** How many sessions are open (tests, and a daemon that wants to know). */
  get size(): number {
    return this.sessions.size;
  }

  /**
   * Joins `stream` to the console of the running domain `dom`; returns once both ends are
   * connected. Refusals: domain not running, no such device, not a pty, a session open.
   */
  async open(dom: DomainObj, stream: Duplex, options: OpenConsoleOptions = {}): Promise<void> {
    const runtime = dom.runtime;
    if (!dom.active || !runtime || runtime.ending) {
      throw new VirError(ErrorCode.OPERATION_INVALID, ErrorDomain.QEMU, 'domain is not running');
    }
    const target = targetOf(dom.def, options.device);
    const existing = this.sessions.get(target.path);
    if (existing && !options.force) {
      throw new VirError(ErrorCode.OPERATION_FAILED, ErrorDomain.QEMU, 'Active console session exists for this domain');
    }
    existing?.close();
    const backend = target.kind === 'pty' ? await openPty(target.path) : await connectUnixSocket(target.path);
    // Another open may have won the race while this one waited for the device.
    const raced = this.sessions.get(target.path);
    if (raced && !options.force) {
      backend.destroy();
      throw new VirError(ErrorCode.OPERATION_FAILED, ErrorDomain.QEMU, 'Active console session exists for this domain');
    }
    raced?.close();
    const log = this.log.child({ domain: dom.name, device: target.name });
    const session = new ConsoleSession(stream, backend, (s) => {
      if (this.sessions.get(target.path) === s) this.sessions.delete(target.path);
      log.debug('console session closed');
    });
    this.sessions.set(target.path, session);
    // The end of QEMU closes the pty's master, which ends the session; this also covers a unix socket.
    void runtime.stopped.then(() => session.close());
    log.debug({ path: target.path, forced: existing !== undefined }, 'console session opened');
  }

  /** Ends every session (daemon shutdown). */
  closeAll(): void {
    for (const session of [...this.sessions.values()]) session.close();
  }
}
