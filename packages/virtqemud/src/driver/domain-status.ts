/**
 * The runtime status of a running domain, kept so that a restarted daemon finds its QEMUs:
 *
 *   <runStateDir>/domain-<id>/              0700, one per running domain (short: socket paths < 107 bytes)
 *   <runStateDir>/domain-<id>/status.json   pid, id, monitor path, live XML, state; written atomically
 *   <runStateDir>/domain-<id>/monitor.sock  QEMU's QMP socket
 *   <runStateDir>/domain-<id>/qemu.pid      QEMU's own pidfile
 *   <runStateDir>/domain-<id>/taps.json     tap devices being created by the start (domain-taps.ts)
 *   <runStateDir>/domain-<id>/ports.json    network ports being made by the start (domain-network-ports.ts)
 *   <runStateDir>/domain-<id>/swtpm.sock    swtpm's control socket for an emulated TPM (domain-tpm.ts)
 */
import { mkdir, readdir, readFile, rm, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ErrorCode, ErrorDomain, VirError, atomicWriteFile } from '@tsvirt/common';
import type { DomainNetworkPort } from './domain-network-ports.js';

/** sun_path holds 107 bytes and a NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

/** What `status.json` holds. */
export interface DomainStatusFile {
  version: 1;
  id: number;
  pid: number;
  name: string;
  uuid: string;
  persistent: boolean;
  monitorPath: string;
  /** ISO time QEMU was started. */
  startedAt: string;
  state: number;
  reason: number;
  /** The live definition, formatted as a running domain's XML. */
  xml: string;
  /** The autoport VNC port QEMU was given: parsing `xml` resets an autoport port to -1. */
  vncPort?: number;
  /** The autoport SPICE port, for the same reason. */
  spicePort?: number;
  /** The tap devices created for the domain's interfaces, deleted when QEMU ends. */
  taps?: string[];
  /** The virtnetworkd ports of its `<interface type='network'>`, deleted when QEMU ends. */
  ports?: DomainNetworkPort[];
  /** The swtpm of an emulated `<tpm>`, ended with QEMU (domain-tpm.ts). */
  swtpmPid?: number;
}

/** The files of one running domain. */
export interface RuntimePaths {
  dir: string;
  statusFile: string;
  monitorPath: string;
  pidFile: string;
}

export function runtimePaths(runStateDir: string, id: number): RuntimePaths {
  const dir = join(runStateDir, `domain-${id}`);
  return {
    dir,
    statusFile: join(dir, 'status.json'),
    monitorPath: join(dir, 'monitor.sock'),
    pidFile: join(dir, 'qemu.pid'),
  };
}

/** Creates a fresh runtime directory (0700), replacing a leftover of the same id. */
export async function makeRuntimeDir(paths: RuntimePaths): Promise<void> {
  const bytes = Buffer.byteLength(paths.monitorPath, 'utf8');
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new VirError(
      ErrorCode.INTERNAL_ERROR,
      ErrorDomain.QEMU,
      `monitor socket path '${paths.monitorPath}' is ${bytes} bytes, over the ${MAX_SOCKET_PATH_BYTES}-byte limit`,
      { str1: paths.monitorPath },
    );
  }
  await rm(paths.dir, { recursive: true, force: true });
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
}

/**
 * Removes a runtime directory: its files all at once, then the directory. A domain's end
 * waits for this before its STOPPED event, and `rm -r` would go one entry at a time.
 */
export async function removeRuntimeDir(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const unlinked = await Promise.allSettled(entries.map((entry) => unlink(join(dir, entry))));
  const left = unlinked.some((r) => r.status === 'rejected' && (r.reason as NodeJS.ErrnoException).code !== 'ENOENT');
  if (!left) {
    try {
      await rmdir(dir);
      return;
    } catch {
      // A file that appeared meanwhile: the general way below.
    }
  }
  // A subdirectory, or anything unlink refused.
  await rm(dir, { recursive: true, force: true });
}

export async function writeDomainStatus(paths: RuntimePaths, status: DomainStatusFile): Promise<void> {
  await atomicWriteFile(paths.statusFile, paths.dir, `${JSON.stringify(status, null, 2)}\n`);
}

function isStatus(value: unknown): value is DomainStatusFile {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.version === 1 &&
    Number.isInteger(v.id) &&
    Number.isInteger(v.pid) &&
    (v.pid as number) > 1 &&
    typeof v.name === 'string' &&
    typeof v.uuid === 'string' &&
    typeof v.persistent === 'boolean' &&
    typeof v.monitorPath === 'string' &&
    typeof v.startedAt === 'string' &&
    Number.isInteger(v.state) &&
    Number.isInteger(v.reason) &&
    typeof v.xml === 'string'
  );
}

/** One `domain-<id>/` directory found at load: its status, or none when it is unreadable. */
export interface FoundRuntime {
  dir: string;
  status: DomainStatusFile | undefined;
}

/** Every runtime directory under `runStateDir`; an unreadable status is logged and reported as missing. */
export async function findRuntimeDirs(runStateDir: string, log: Logger): Promise<FoundRuntime[]> {
  let entries: string[];
  try {
    entries = await readdir(runStateDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const found: FoundRuntime[] = [];
  for (const entry of entries.filter((e) => /^domain-\d+$/.test(e)).sort()) {
    const dir = join(runStateDir, entry);
    let status: DomainStatusFile | undefined;
    try {
      const parsed: unknown = JSON.parse(await readFile(join(dir, 'status.json'), 'utf8'));
      if (isStatus(parsed)) status = parsed;
      else log.error({ dir }, 'ignoring malformed domain status file');
    } catch (err) {
      log.warn({ dir, err: (err as Error).message }, 'runtime directory without a readable status');
    }
    found.push({ dir, status });
  }
  return found;
}
