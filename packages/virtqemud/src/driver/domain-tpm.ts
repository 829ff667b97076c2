/**
 * A domain's TPM at start and end (libvirt's qemu_tpm.c, in small):
 *
 *   <stateDir>/swtpm/<uuid>/tpm2/           the emulated TPM's state, kept across starts (0700)
 *   <runStateDir>/domain-<id>/swtpm.sock     swtpm's control socket, QEMU's `-chardev socket`
 *   <logDir>/qemu/<name>-swtpm.log           swtpm_setup's and swtpm's output
 *
 * swtpm's pid is kept in the domain's runtime status, so a restarted daemon still ends it
 * with its QEMU. A passthrough TPM is only checked: its device node must exist.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import type { DomainDef } from '../conf/domain-xml.js';
import { ensureTpm2State, spawnSwtpm } from '../host/swtpm.js';
import { isOurQemu, signalPid } from './domain-process.js';

/** Where the emulated TPM of domain `uuid` keeps its state. */
export function tpmStateDir(stateDir: string, uuid: string): string {
  return join(stateDir, 'swtpm', uuid, 'tpm2');
}

/** The swtpm started for one domain start. */
export interface DomainTpm {
  pid: number;
  socket: string;
  /** Set for a swtpm this daemon spawned. */
  exited?: Promise<void>;
}

export interface TpmDirs {
  /** The daemon's state dir; undefined in drivers that keep no state (some tests). */
  stateDir: string | undefined;
  runtimeDir: string;
  logDir: string;
}

/**
 * Prepares the domain's `<tpm>` before QEMU starts: for an emulator, manufactures the state
 * on first use and starts swtpm; for passthrough, checks the device. Undefined when there is
 * no emulated TPM.
 */
export async function startDomainTpm(def: DomainDef, dirs: TpmDirs, log: Logger): Promise<DomainTpm | undefined> {
  const tpm = def.devices.tpms[0];
  if (!tpm) return undefined;
  if (tpm.backend.type === 'passthrough') {
    const path = tpm.backend.path;
    const st = await stat(path).catch(() => undefined);
    if (!st?.isCharacterDevice()) {
      throw new VirError(
        ErrorCode.CONFIG_UNSUPPORTED,
        ErrorDomain.QEMU,
        `unsupported configuration: TPM passthrough device '${path}' does not exist on this host`,
        { str1: path },
      );
    }
    return undefined;
  }
  if (dirs.stateDir === undefined) {
    throw new VirError(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, 'internal error: no state directory for TPM state');
  }
  const stateDir = tpmStateDir(dirs.stateDir, def.uuid ?? '');
  const logFile = join(dirs.logDir, 'qemu', `${def.name}-swtpm.log`);
  await mkdir(join(dirs.logDir, 'qemu'), { recursive: true, mode: 0o700 });
  if (await ensureTpm2State(stateDir, `${def.name}:${def.uuid ?? ''}`, logFile)) {
    log.info({ stateDir }, 'TPM 2.0 state manufactured');
  }
  const socket = join(dirs.runtimeDir, 'swtpm.sock');
  const spawned = await spawnSwtpm({ stateDir, ctrlSocket: socket, logFile });
  log.info({ pid: spawned.pid, stateDir }, 'swtpm started');
  return { pid: spawned.pid, socket, exited: spawned.exited };
}

/**
 * Ends the swtpm of a domain whose QEMU is gone (or never came up). The pid is checked
 * against swtpm's command line first: after a daemon restart it may have been reused.
 */
export async function stopDomainTpm(pid: number | undefined, runtimeDir: string): Promise<void> {
  // The pid may come from a status file: anything but a plausible pid is ignored.
  if (pid === undefined || !Number.isInteger(pid) || pid <= 1) return;
  if (!(await isOurQemu(pid, [join(runtimeDir, 'swtpm.sock')]))) return;
  signalPid(pid, 'SIGTERM');
}

/** Undefine: the TPM state goes with the domain, as with libvirt unless --keep-tpm. */
export async function removeDomainTpmState(stateDir: string | undefined, uuid: string): Promise<void> {
  if (stateDir === undefined || uuid === '') return;
  await rm(join(stateDir, 'swtpm', uuid), { recursive: true, force: true });
}
