/**
 * The host side of a domain's QEMU: which accelerator it may use, spawning it detached
 * (its own session, so a daemon killed with SIGKILL leaves it running), its log file,
 * and telling a live QEMU of ours from a reused pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import type { DomainDef } from '../conf/domain-xml.js';
import type { QemuRuntimeInfo } from '../qemu/command-line/runtime-info.js';

/** The argv builder, injected so the driver does not depend on one implementation. */
export type BuildCommandLine = (def: DomainDef, runtime: QemuRuntimeInfo) => { binary: string; args: string[] };

/** Whether /dev/kvm opens read-write; injectable for tests. */
export type KvmProbe = () => Promise<boolean>;

export const probeKvm: KvmProbe = async () => {
  try {
    const handle = await open('/dev/kvm', fsConstants.O_RDWR);
    await handle.close();
    return true;
  } catch {
    return false;
  }
};

/** kvm for type kvm when /dev/kvm works, tcg for type qemu; type kvm without it is refused. */
export async function chooseAccel(def: DomainDef, kvmUsable: KvmProbe): Promise<'kvm' | 'tcg'> {
  if (def.type === 'qemu') return 'tcg';
  if (await kvmUsable()) return 'kvm';
  throw new VirError(
    ErrorCode.CONFIG_UNSUPPORTED,
    ErrorDomain.QEMU,
    "unsupported configuration: domain type 'kvm' needs /dev/kvm, which cannot be opened read-write",
  );
}

export function qemuLogPath(logDir: string, name: string): string {
  return join(logDir, 'qemu', `${name}.log`);
}

/** A QEMU we spawned: its pid and a promise of its end (exit, or failure to spawn). */
export interface SpawnedQemu {
  child: ChildProcess;
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>;
  /** True once `exited` has settled. */
  hasExited(): boolean;
}

/** Shell-ish quoting for the log header only. */
function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

/**
 * Spawns QEMU in its own session with stdout and stderr appended to `logPath`, after a
 * header line with the time and the command line, as libvirt writes it.
 */
export async function spawnQemu(binary: string, args: string[], logPath: string): Promise<SpawnedQemu> {
  await mkdir(dirname(logPath), { recursive: true, mode: 0o700 });
  const log = await open(logPath, 'a', 0o600);
  try {
    await log.write(`${new Date().toISOString()}: starting up\n${[binary, ...args].map(quoteArg).join(' ')}\n`);
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', log.fd, log.fd], cwd: '/' });
    let done = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
    });
    void exited.then(() => (done = true));
    child.unref();
    if (child.pid === undefined) {
      const end = await exited;
      throw new VirError(
        ErrorCode.OPERATION_FAILED,
        ErrorDomain.QEMU,
        `operation failed: cannot execute '${binary}': ${end.error?.message ?? 'unknown error'}`,
        { str1: binary },
      );
    }
    return { child, pid: child.pid, exited, hasExited: () => done };
  } finally {
    await log.close();
  }
}

/** The last `lines` non-empty lines of a log, for error messages. */
export async function logTail(path: string, lines = 5): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .slice(-lines)
      .join('\n');
  } catch {
    return '';
  }
}

/** Sends `signal` to `pid`; a process already gone is fine. */
export function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * True when `pid` is a live (not zombie) process whose command line contains one of
 * `markers`: the domain's uuid or monitor path. This guards against a reused pid.
 */
export async function isOurQemu(pid: number, markers: readonly string[]): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return markers.some((marker) => marker !== '' && cmdline.some((arg) => arg.includes(marker)));
  } catch {
    return false;
  }
}
