/**
 * One daemon per set of paths. Node has no fcntl locks, so the lock is a listening
 * socket in Linux's abstract namespace named after the pidfile: the kernel releases it
 * the moment the holder dies, so there is never a stale lock to clean up. The pidfile
 * itself is written for operators and service managers.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { ErrorCode, ErrorDomain } from '../errors/error-codes.js';
import { VirError } from '../errors/vir-error.js';
import { listen } from './listen.js';

export interface InstanceLock {
  release(): void;
}

function lockName(pidFile: string): string {
  return `\0tsvirt-lock-${createHash('sha256').update(pidFile).digest('hex').slice(0, 40)}`;
}

function readPid(pidFile: string): string {
  try {
    return readFileSync(pidFile, 'utf8').trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Takes the lock for `pidFile` and writes our pid there; refuses when another live daemon holds it. */
export async function acquireInstanceLock(daemon: string, pidFile: string, runDirMode: number): Promise<InstanceLock> {
  const server = createServer();
  try {
    await listen(server, lockName(pidFile));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new VirError(
        ErrorCode.OPERATION_INVALID,
        ErrorDomain.NONE,
        `${daemon} is already running with pid ${readPid(pidFile)} (pidfile '${pidFile}'); stop it first or use another --root`,
      );
    }
    throw err;
  }
  server.unref();
  mkdirSync(dirname(pidFile), { recursive: true, mode: runDirMode });
  const temp = `${pidFile}.${process.pid}.tmp`;
  writeFileSync(temp, `${process.pid}\n`, { mode: 0o644 });
  renameSync(temp, pidFile);
  return {
    release() {
      if (readPid(pidFile) === String(process.pid)) rmSync(pidFile, { force: true });
      server.close();
    },
  };
}
