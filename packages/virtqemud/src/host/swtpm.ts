/**
 * swtpm, the software TPM behind `<tpm><backend type='emulator'>`: manufacturing a TPM 2.0
 * state once (`swtpm_setup`), and running `swtpm socket` detached, as libvirt does, with a
 * control socket QEMU's `-tpmdev emulator` connects to. `--terminate` ends swtpm when QEMU
 * closes that connection, so a QEMU that dies takes its TPM with it even without us.
 */
import { execFile, spawn } from 'node:child_process';
import { access, mkdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';

export const SWTPM_BINARY = 'swtpm';
export const SWTPM_SETUP_BINARY = 'swtpm_setup';

/** The TPM 2.0 state file swtpm_setup writes and swtpm keeps. */
export const TPM2_STATE_FILE = 'tpm2-00.permall';

const SETUP_TIMEOUT_MS = 60_000;
const SOCKET_WAIT_MS = 10_000;

function failed(message: string, str1?: string): VirError {
  return new VirError(ErrorCode.OPERATION_FAILED, ErrorDomain.QEMU, message, str1 !== undefined ? { str1 } : {});
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates the TPM 2.0 state in `stateDir` (0700) unless it is already there: an endorsement
 * key with its certificate and a platform certificate, NVRAM locked, as libvirt asks for.
 * Returns true when it manufactured a new state.
 */
export async function ensureTpm2State(stateDir: string, vmid: string, logFile: string): Promise<boolean> {
  if (await exists(join(stateDir, TPM2_STATE_FILE))) return false;
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const args = [
    '--tpm2',
    '--tpmstate',
    stateDir,
    '--vmid',
    vmid,
    '--logfile',
    logFile,
    '--createek',
    '--create-ek-cert',
    '--create-platform-cert',
    '--lock-nvram',
    '--not-overwrite',
  ];
  await new Promise<void>((resolve, reject) => {
    execFile(SWTPM_SETUP_BINARY, args, { timeout: SETUP_TIMEOUT_MS }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const reason = (stderr || err.message).trim().split('\n').pop() ?? '';
      reject(failed(`operation failed: swtpm_setup for '${stateDir}' failed: ${reason} (see ${logFile})`, stateDir));
    });
  });
  if (!(await exists(join(stateDir, TPM2_STATE_FILE)))) {
    throw failed(`operation failed: swtpm_setup left no ${TPM2_STATE_FILE} in '${stateDir}'`, stateDir);
  }
  return true;
}

/** A swtpm we spawned: its pid and a promise of its end. */
export interface SpawnedSwtpm {
  pid: number;
  exited: Promise<void>;
}

/**
 * Runs `swtpm socket` on `stateDir` in its own session (a daemon killed with SIGKILL leaves
 * it running with its guest), output appended to `logFile`, and waits until its control
 * socket exists. The caller kills it by pid when the domain ends.
 */
export async function spawnSwtpm(opts: {
  stateDir: string;
  ctrlSocket: string;
  logFile: string;
}): Promise<SpawnedSwtpm> {
  const args = [
    'socket',
    '--tpm2',
    '--tpmstate',
    `dir=${opts.stateDir},mode=0600`,
    '--ctrl',
    `type=unixio,path=${opts.ctrlSocket},mode=0600`,
    '--log',
    `file=${opts.logFile}`,
    '--terminate',
  ];
  if ([opts.stateDir, opts.ctrlSocket, opts.logFile].some((p) => p.includes(','))) {
    // swtpm's option parser has no escape for a comma.
    throw new VirError(
      ErrorCode.CONFIG_UNSUPPORTED,
      ErrorDomain.QEMU,
      `unsupported configuration: swtpm cannot take a path with a comma: '${opts.stateDir}'`,
    );
  }
  const out = await open(opts.logFile, 'a', 0o600);
  let child;
  try {
    child = spawn(SWTPM_BINARY, args, { detached: true, stdio: ['ignore', out.fd, out.fd], cwd: '/' });
  } finally {
    await out.close();
  }
  let done = false;
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      spawnError = err;
      resolve();
    });
  });
  void exited.then(() => (done = true));
  child.unref();
  const pid = child.pid;
  if (pid === undefined) {
    await exited;
    throw failed(`operation failed: cannot execute '${SWTPM_BINARY}': ${spawnError?.message ?? 'unknown error'}`);
  }
  const deadline = Date.now() + SOCKET_WAIT_MS;
  for (;;) {
    const st = await stat(opts.ctrlSocket).catch(() => undefined);
    if (st?.isSocket()) return { pid, exited };
    if (done) throw failed(`operation failed: swtpm exited before creating '${opts.ctrlSocket}' (see ${opts.logFile})`);
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      throw failed(`operation failed: swtpm did not create '${opts.ctrlSocket}' within ${SOCKET_WAIT_MS} ms`);
    }
    await sleep(10);
  }
}
