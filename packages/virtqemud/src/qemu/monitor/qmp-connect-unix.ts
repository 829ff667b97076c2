/** Connecting to QEMU's QMP unix socket, which appears only shortly after QEMU starts. */
import { connect as netConnect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode } from '@tsvirt/common';
import { QmpConnection, type QmpConnectOptions } from './qmp-connection.js';
import { qemuError } from './qmp-errors.js';

export interface ConnectUnixOptions extends QmpConnectOptions {
  /** How long to keep retrying while the socket is missing or refusing; default 30 s. */
  timeoutMs?: number;
  /**
   * Stop retrying once this promise settles (e.g. QEMU's exit) or this function returns true,
   * so a QEMU that died at start is reported at once instead of after the timeout.
   */
  retryUntil?: Promise<unknown> | (() => boolean);
}

/**
 * QEMU makes its monitor socket some tens of milliseconds after exec, and a start waits
 * for it: retry closely for that long (a refused connect costs microseconds), then back
 * off for a QEMU that is slow to come up.
 */
const QUICK_RETRY_MS = 2;
const QUICK_RETRY_WINDOW_MS = 1000;
const SLOW_RETRY_MAX_MS = 100;

function openUnixSocket(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(path);
    const onError = (err: Error): void => {
      socket.destroy();
      reject(err);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/**
 * Connects to QEMU's QMP unix socket and completes the handshake. QEMU creates the socket
 * shortly after it starts, so ENOENT and ECONNREFUSED (a leftover file) are retried.
 */
export async function connectUnix(path: string, options: ConnectUnixOptions = {}): Promise<QmpConnection> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const { retryUntil } = options;
  let stopSignalled = false;
  const stopPromise =
    retryUntil instanceof Promise
      ? retryUntil.then(
          () => (stopSignalled = true),
          () => (stopSignalled = true),
        )
      : undefined;
  const shouldStop = (): boolean => stopSignalled || (typeof retryUntil === 'function' && retryUntil());
  const started = Date.now();
  let delayMs = QUICK_RETRY_MS;
  for (;;) {
    let socket: Socket;
    try {
      socket = await openUnixSocket(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ECONNREFUSED') {
        throw qemuError(
          ErrorCode.OPERATION_FAILED,
          `cannot connect to QEMU monitor socket '${path}': ${(err as Error).message}`,
        );
      }
      if (shouldStop()) {
        throw qemuError(
          ErrorCode.OPERATION_FAILED,
          `gave up connecting to QEMU monitor socket '${path}' (${code}): QEMU is no longer starting`,
        );
      }
      if (Date.now() >= deadline) {
        throw qemuError(
          ErrorCode.OPERATION_TIMEOUT,
          `QEMU monitor socket '${path}' did not accept connections within ${timeoutMs} ms (${code})`,
        );
      }
      const wait = Math.min(delayMs, Math.max(1, deadline - Date.now()));
      await (stopPromise ? Promise.race([sleep(wait), stopPromise]) : sleep(wait));
      delayMs =
        Date.now() - started < QUICK_RETRY_WINDOW_MS ? QUICK_RETRY_MS : Math.min(delayMs * 2, SLOW_RETRY_MAX_MS);
      continue;
    }
    return QmpConnection.connect(socket, options);
  }
}
