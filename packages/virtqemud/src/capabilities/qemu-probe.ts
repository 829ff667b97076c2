/**
 * Probes a QEMU binary over QMP (`-machine none`, paused, no devices) for what capabilities
 * and domcapabilities report, and caches the answer per binary path and mtime.
 */
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { connectUnix, queryKvm, queryMachines, queryVersion, quit, type QmpConnection } from '../qemu/monitor/index.js';
import type { QemuCpuDefinition, QemuInfo } from './capabilities-types.js';
import { capsProbeFailed } from './capabilities-error.js';
import { qomListTypes, queryCommands, queryCpuDefinitions } from './qemu-probe-commands.js';

export interface QemuProbeOptions {
  /** The device KVM needs; injectable so tests can simulate a host without KVM. Default '/dev/kvm'. */
  kvmDevice?: string;
  /** Also start QEMU once under KVM to learn which CPU models KVM can run; default true. */
  probeKvmCpuModels?: boolean;
  /** Per QEMU start: spawn to the last answer. Default 30 s. */
  timeoutMs?: number;
}

export interface QemuProbeResult {
  info: QemuInfo;
  /** Wall time of the probe that produced `info` (not of this call when cached). */
  probeMs: number;
  /** True when this call was answered from the cache. */
  cached: boolean;
}

const cache = new Map<string, Promise<{ info: QemuInfo; probeMs: number }>>();

/**
 * The probed facts of `binary` (a path or a name looked up in PATH). The driver calls this
 * once at start; a replaced binary (new mtime) is probed again, as libvirt's cache does.
 */
export async function probeQemu(
  binary = 'qemu-system-x86_64',
  options: QemuProbeOptions = {},
): Promise<QemuProbeResult> {
  const path = await resolveBinary(binary);
  const { mtimeMs } = await stat(path);
  const key = `${path}\0${mtimeMs}\0${options.kvmDevice ?? ''}\0${options.probeKvmCpuModels ?? true}`;
  let entry = cache.get(key);
  const cached = entry !== undefined;
  if (!entry) {
    entry = probeUncached(path, options);
    cache.set(key, entry);
    // A failed probe is not remembered: the next call may find QEMU fixed.
    entry.catch(() => cache.delete(key));
  }
  return { ...(await entry), cached };
}

/** Forgets every cached probe (tests, or after the admin swaps QEMU in place with the same mtime). */
export function clearQemuProbeCache(): void {
  cache.clear();
}

async function probeUncached(binary: string, options: QemuProbeOptions): Promise<{ info: QemuInfo; probeMs: number }> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 30_000;
  const tcg = await withQemu(binary, 'tcg', timeoutMs, async (qmp) => ({
    version: await queryVersion(qmp),
    machines: await queryMachines(qmp),
    kvm: await queryKvm(qmp),
    cpuDefinitions: await queryCpuDefinitions(qmp),
    deviceTypes: await qomListTypes(qmp),
    commands: await queryCommands(qmp),
  }));
  let usable = tcg.kvm.present && (await canOpenReadWrite(options.kvmDevice ?? '/dev/kvm'));
  let cpuDefinitionsKvm: QemuCpuDefinition[] | undefined;
  if (usable && (options.probeKvmCpuModels ?? true)) {
    try {
      cpuDefinitionsKvm = await withQemu(binary, 'kvm', timeoutMs, queryCpuDefinitions);
    } catch {
      // /dev/kvm opened but QEMU could not start a KVM accelerator (nested KVM off, wrong module): not usable.
      usable = false;
    }
  }
  const info: QemuInfo = {
    binary,
    arch: archOf(binary),
    version: tcg.version,
    machines: tcg.machines,
    kvm: { present: tcg.kvm.present, usable },
    cpuDefinitionsTcg: tcg.cpuDefinitions,
    cpuDefinitionsKvm,
    deviceTypes: tcg.deviceTypes.sort(),
    commands: tcg.commands.sort(),
  };
  return { info, probeMs: performance.now() - started };
}

/** Starts `binary -machine none` paused with QMP on a private socket, runs `body`, quits, and kills by PID whatever happens. */
async function withQemu<T>(
  binary: string,
  accel: 'tcg' | 'kvm',
  timeoutMs: number,
  body: (qmp: QmpConnection) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'tsvirt-qemu-probe-'));
  const socket = join(dir, 'qmp.sock');
  const args = ['-machine', 'none', '-accel', accel, '-nodefaults', '-display', 'none', '-S'];
  args.push('-qmp', `unix:${socket},server=on,wait=off`);
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString();
  });
  // 'close' rather than 'exit': by then stderr has been read to the end, for the error message.
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const spawnError = new Promise<Error>((resolve) => child.on('error', resolve));
  let qmp: QmpConnection | undefined;
  try {
    qmp = await Promise.race([
      connectUnix(socket, { timeoutMs, retryUntil: exited, commandTimeoutMs: timeoutMs }),
      spawnError.then((err) => Promise.reject(err)),
    ]);
    const result = await body(qmp);
    await quit(qmp);
    return result;
  } catch (err) {
    const said = stderr.trim() === '' ? '' : `: ${stderr.trim()}`;
    throw capsProbeFailed(`cannot probe '${binary}' (accel ${accel}): ${(err as Error).message}${said}`);
  } finally {
    qmp?.close();
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Exited between the check and the kill.
      }
    }
    if (child.pid !== undefined) await exited;
    await rm(dir, { recursive: true, force: true });
  }
}

/** KVM needs /dev/kvm open for read and write; QEMU's "present" only says the module is there. */
async function canOpenReadWrite(device: string): Promise<boolean> {
  try {
    const fd = await open(device, fsConstants.O_RDWR);
    await fd.close();
    return true;
  } catch {
    return false;
  }
}

/** A bare name is looked up in PATH, as spawn would, so the cache key and `<emulator>` are absolute paths. */
export async function resolveBinary(binary: string): Promise<string> {
  if (binary.includes('/')) return binary;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, binary);
    try {
      const st = await stat(candidate);
      if (st.isFile()) return candidate;
    } catch {
      // Not in this directory.
    }
  }
  throw capsProbeFailed(`cannot find emulator '${binary}' in PATH`);
}

/** qemu-system-x86_64 → x86_64: the target is in the binary's name, and query-target would need one more round trip. */
function archOf(binary: string): string {
  return /qemu-system-([\w]+)$/.exec(binary)?.[1] ?? 'x86_64';
}
