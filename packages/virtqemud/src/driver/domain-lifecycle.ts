/**
 * Running QEMU for a domain (libvirt's qemu_process.c, in small): start it, watch it through
 * QMP events and the end of the monitor, act on it (destroy, shutdown, reset, suspend,
 * resume), and find the QEMUs of a previous daemon again at load. Callers hold the
 * domain's job lock; the watchers run outside any job and change state directly, so that
 * a job waiting for the end of a QEMU (destroy) never waits on itself.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import {
  DomainEventResumedDetail,
  DomainEventShutdownDetail,
  DomainEventStartedDetail,
  DomainEventStoppedDetail,
  DomainEventSuspendedDetail,
  DomainEventType,
  DomainPausedReason,
  DomainRunningReason,
  DomainShutoffReason,
  DomainState,
} from '@tsvirt/common/protocol';
import { domainDefFromXml, formatDomainDef, type DomainDef } from '../conf/domain-xml.js';
import {
  balloon,
  connectUnix,
  cont,
  queryStatus,
  quit,
  stop,
  systemPowerdown,
  systemReset,
  type QemuRunState,
  type QmpCloseInfo,
  type QmpConnection,
} from '../qemu/monitor/index.js';
import { recordPtyPaths } from './console-pty-paths.js';
import { assignChannelPaths, recordChannelPtyPaths } from './channel-paths.js';
import { allocateGraphicsPort, autoportGraphics, setGraphicsPasswords } from './domain-graphics.js';
import { prepareNvram } from './domain-nvram.js';
import type { DomainList } from './domain-list.js';
import type { DomainObj, DomainRuntime } from './domain-obj.js';
import { DomainTaps, readPendingTaps, type DomainTapSet } from './domain-taps.js';
import { portsOf, readPendingPorts, type DomainNetworkPort, type DomainNetworkPorts } from './domain-network-ports.js';
import { removeDomainTpmState, startDomainTpm, stopDomainTpm, type DomainTpm } from './domain-tpm.js';
import { checkHostResources } from './domain-host-checks.js';
import type { DomainVolumes } from './domain-volumes.js';
import {
  chooseAccel,
  isOurQemu,
  logTail,
  qemuLogPath,
  signalPid,
  spawnQemu,
  type BuildCommandLine,
  type KvmProbe,
  type SpawnedQemu,
} from './domain-process.js';
import {
  findRuntimeDirs,
  makeRuntimeDir,
  removeRuntimeDir,
  runtimePaths,
  writeDomainStatus,
  type DomainStatusFile,
  type RuntimePaths,
} from './domain-status.js';

/** What the lifecycle code needs of the driver. */
export interface LifecycleHost {
  runStateDir: string;
  logDir: string;
  /** The daemon's state dir: per-domain TPM state lives under it (domain-tpm.ts). */
  stateDir?: string | undefined;
  /** Resolves `<disk type='volume'>` through virtstoraged (domain-volumes.ts); without it such disks cannot start. */
  volumes?: DomainVolumes | undefined;
  /** Ports of `<interface type='network'>` from virtnetworkd (domain-network-ports.ts); without it such interfaces cannot start. */
  ports?: DomainNetworkPorts | undefined;
  buildCommandLine: BuildCommandLine | undefined;
  kvmUsable: KvmProbe;
  log: Logger;
  list: DomainList;
  emit(dom: DomainObj, event: number, detail: number): void;
}

/** How long destroy waits for QEMU to go after SIGTERM, then after SIGKILL. */
const TERM_GRACE_MS = 3000;
const KILL_GRACE_MS = 5000;
/** How long a fake reboot waits for QEMU's RESET before it restarts the vCPUs anyway. */
const FAKE_REBOOT_RESET_MS = 5000;

function invalid(message: string): VirError {
  return new VirError(ErrorCode.OPERATION_INVALID, ErrorDomain.QEMU, message);
}

/** True if `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const controller = new AbortController();
  const timeout = sleep(ms, false, { signal: controller.signal }).catch(() => false);
  const done = promise.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([done, timeout]);
  controller.abort();
  return result;
}

/** libvirt's qemuMonitorVMStatusToPausedReason. */
export function pausedReasonOf(status: QemuRunState): number {
  switch (status) {
    case 'io-error':
      return DomainPausedReason.IOERROR;
    case 'watchdog':
      return DomainPausedReason.WATCHDOG;
    case 'guest-panicked':
      return DomainPausedReason.CRASHED;
    case 'inmigrate':
    case 'postmigrate':
    case 'finish-migrate':
      return DomainPausedReason.MIGRATION;
    case 'save-vm':
      return DomainPausedReason.SAVE;
    case 'shutdown':
      return DomainPausedReason.SHUTTING_DOWN;
    case 'paused':
    case 'prelaunch':
      return DomainPausedReason.USER;
    default:
      // 'internal-error', 'debug', 'restore-vm' ...: libvirt reports them as unknown.
      return DomainPausedReason.UNKNOWN;
  }
}

function suspendedDetailOf(reason: number): number {
  if (reason === DomainPausedReason.IOERROR) return DomainEventSuspendedDetail.IOERROR;
  if (reason === DomainPausedReason.WATCHDOG) return DomainEventSuspendedDetail.WATCHDOG;
  return DomainEventSuspendedDetail.PAUSED;
}

export class DomainLifecycle {
  private nextId = 1;
  /** Autoport VNC and SPICE ports handed to a QEMU of ours (libvirt's port allocator): never given twice. */
  private readonly vncPorts = new Set<number>();
  private readonly taps: DomainTaps;

  constructor(private readonly host: LifecycleHost) {
    this.taps = new DomainTaps(host.log);
  }

  /** Runtime ids are monotonic per daemon and never reuse a restored one. */
  private allocateId(): number {
    return this.nextId++;
  }

  // ---- start ----------------------------------------------------------------

  /**
   * Starts QEMU for `dom` (inactive), with `def` as the live definition if given (createXML
   * of a defined domain), else its persistent one. On any failure QEMU is killed and the
   * runtime dir removed; the domain stays shut off with reason FAILED.
   */
  async start(dom: DomainObj, options: { paused?: boolean; def?: DomainDef } = {}): Promise<void> {
    if (dom.active) throw invalid('domain is already running');
    const build = this.host.buildCommandLine;
    if (!build) {
      throw new VirError(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, 'no QEMU command line builder is configured');
    }
    const persistentDef = dom.persistentDef;
    const liveDef: DomainDef = { ...structuredClone(options.def ?? persistentDef) };
    const accel = await chooseAccel(liveDef, this.host.kvmUsable);
    const id = this.allocateId();
    liveDef.id = id;
    const paths = runtimePaths(this.host.runStateDir, id);
    const logPath = qemuLogPath(this.host.logDir, dom.name);
    const log = this.host.log.child({ domain: dom.name, id });
    let spawned: SpawnedQemu | undefined;
    let monitor: QmpConnection | undefined;
    const startedAt = new Date().toISOString();
    const paused = options.paused ?? false;
    let vncPort: number | undefined;
    let spicePort: number | undefined;
    let taps: DomainTapSet | undefined;
    let ports: DomainNetworkPort[] = [];
    let tpm: DomainTpm | undefined;
    try {
      // First: a volume that cannot be used stops the start before anything is made.
      const volumePaths = (await this.host.volumes?.resolve(liveDef)) ?? {};
      await makeRuntimeDir(paths);
      assignChannelPaths(liveDef, paths.dir);
      vncPort = await allocateGraphicsPort(liveDef, 'vnc', this.vncPorts);
      spicePort = await allocateGraphicsPort(liveDef, 'spice', this.vncPorts);
      await prepareNvram(liveDef);
      // Ports first: their plugs name the bridges the taps join.
      ports = (await this.host.ports?.allocate(liveDef, paths.dir)) ?? [];
      taps = await this.taps.create(liveDef, paths.dir);
      await checkHostResources(liveDef);
      const tpmDirs = { stateDir: this.host.stateDir, runtimeDir: paths.dir, logDir: this.host.logDir };
      tpm = await startDomainTpm(liveDef, tpmDirs, log);
      const { binary, args } = build(liveDef, {
        accel,
        monitorSocket: paths.monitorPath,
        pidFile: paths.pidFile,
        taps: taps.byMac,
        volumePaths,
        ...(tpm ? { tpmSocket: tpm.socket } : {}),
        ...(vncPort !== undefined ? { vncPort } : {}),
        ...(spicePort !== undefined ? { spicePort } : {}),
      });
      spawned = await spawnQemu(binary, args, logPath);
      log.info({ pid: spawned.pid, accel }, 'QEMU spawned');
      monitor = await connectUnix(paths.monitorPath, { retryUntil: spawned.exited, log });
      await recordPtyPaths(liveDef, monitor);
      await recordChannelPtyPaths(liveDef, monitor);
      await setGraphicsPasswords(liveDef, monitor);
      if (!paused) await cont(monitor);
      const runtime = this.makeRuntime({
        pid: spawned.pid,
        paths,
        startedAt,
        monitor,
        spawned,
        vncPort,
        spicePort,
        taps: taps.names,
        ports,
        swtpmPid: tpm?.pid,
      });
      dom.newDef = dom.persistent ? persistentDef : undefined;
      dom.def = liveDef;
      dom.id = id;
      dom.runtime = runtime;
      dom.state = paused ? DomainState.PAUSED : DomainState.RUNNING;
      dom.reason = paused ? DomainPausedReason.USER : DomainRunningReason.BOOTED;
      await this.saveStatus(dom);
    } catch (err) {
      const diedAlone = spawned !== undefined && (spawned.hasExited() || monitor?.closeInfo?.reason === 'eof');
      if (dom.runtime) {
        dom.runtime.detach();
        dom.runtime = undefined;
        dom.def = persistentDef;
        dom.newDef = undefined;
        dom.id = -1;
      }
      monitor?.close();
      if (spawned) {
        signalPid(spawned.pid, 'SIGKILL');
        await settlesWithin(spawned.exited, KILL_GRACE_MS);
      }
      await stopDomainTpm(tpm?.pid, paths.dir);
      if (taps) await this.taps.remove(taps.names);
      await this.host.ports?.release(ports);
      await removeRuntimeDir(paths.dir).catch(() => undefined);
      if (vncPort !== undefined) this.vncPorts.delete(vncPort);
      if (spicePort !== undefined) this.vncPorts.delete(spicePort);
      dom.state = DomainState.SHUTOFF;
      dom.reason = DomainShutoffReason.FAILED;
      log.error({ err: (err as Error).message }, 'domain start failed');
      if (diedAlone) {
        const tail = await logTail(logPath);
        throw new VirError(
          ErrorCode.OPERATION_FAILED,
          ErrorDomain.QEMU,
          `QEMU of domain '${dom.name}' exited while starting: ${tail || 'no output'}`,
          { str1: dom.name },
        );
      }
      throw err;
    }
    // Watch only now: the state is recorded, so an end seen from here on is a stop.
    this.watch(dom, dom.runtime);
    this.host.emit(dom, DomainEventType.STARTED, DomainEventStartedDetail.BOOTED);
    if (paused) this.host.emit(dom, DomainEventType.SUSPENDED, DomainEventSuspendedDetail.PAUSED);
  }

  private makeRuntime(base: {
    pid: number;
    paths: RuntimePaths;
    startedAt: string;
    monitor: QmpConnection;
    spawned?: SpawnedQemu;
    vncPort?: number | undefined;
    spicePort?: number | undefined;
    taps?: string[];
    ports?: DomainNetworkPort[];
    swtpmPid?: number | undefined;
  }): DomainRuntime {
    let resolveStopped!: () => void;
    const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
    const runtime: DomainRuntime = {
      ...base,
      taps: base.taps ?? [],
      ports: base.ports ?? [],
      destroying: false,
      guestShutdown: false,
      fakeReboot: false,
      expecting: undefined,
      settled: Promise.resolve(),
      ending: false,
      stopped,
      markStopped: resolveStopped,
      detach: () => undefined,
    };
    return runtime;
  }

  // ---- watch ----------------------------------------------------------------

  /** Subscribes to the QMP events and the end of QEMU; `runtime.detach()` undoes it. */
  private watch(dom: DomainObj, runtime: DomainRuntime): void {
    const { monitor } = runtime;
    let detached = false;
    const offs = [
      monitor.onEvent('STOP', () => this.onStop(dom, runtime)),
      monitor.onEvent('RESUME', () => this.onResume(dom, runtime)),
      monitor.onEvent('SHUTDOWN', (event) => this.onShutdown(dom, runtime, event.data.guest)),
    ];
    const onClose = (info: QmpCloseInfo): void => {
      if (detached || info.reason === 'local') return;
      if (info.reason === 'error') {
        // A monitor we cannot speak to is a QEMU we cannot manage: end it, as libvirt does.
        this.host.log.error({ domain: dom.name, err: info.error?.message }, 'QEMU monitor failed: killing QEMU');
        signalPid(runtime.pid, 'SIGKILL');
      }
      void this.onEnd(dom, runtime);
    };
    monitor.on('close', onClose);
    void runtime.spawned?.exited.then(() => {
      if (!detached) void this.onEnd(dom, runtime);
    });
    runtime.detach = () => {
      detached = true;
      for (const off of offs) off();
      monitor.off('close', onClose);
    };
    if (monitor.isClosed) setImmediate(() => onClose(monitor.closeInfo ?? { reason: 'eof' }));
  }

  private onStop(dom: DomainObj, runtime: DomainRuntime): void {
    if (dom.runtime !== runtime || runtime.ending || runtime.guestShutdown) return;
    if (runtime.expecting === 'stop' || runtime.expecting === 'reboot' || dom.state === DomainState.PAUSED) return;
    // Not asked by us: ask QEMU why (internal-error, io-error, guest-panicked...).
    void queryStatus(runtime.monitor)
      .then((status) => pausedReasonOf(status.status))
      .catch(() => DomainPausedReason.UNKNOWN)
      .then((reason) => {
        if (dom.runtime !== runtime || runtime.ending || dom.state === DomainState.PAUSED) return;
        return this.transition(dom, DomainState.PAUSED, reason, DomainEventType.SUSPENDED, suspendedDetailOf(reason));
      });
  }

  private onResume(dom: DomainObj, runtime: DomainRuntime): void {
    if (dom.runtime !== runtime || runtime.ending) return;
    if (runtime.expecting === 'resume' || runtime.expecting === 'reboot') return;
    if (dom.state === DomainState.RUNNING) return;
    void this.transition(
      dom,
      DomainState.RUNNING,
      DomainRunningReason.UNPAUSED,
      DomainEventType.RESUMED,
      DomainEventResumedDetail.UNPAUSED,
    );
  }

  /** A guest power-off: `-no-shutdown` keeps QEMU alive, so tell it to quit; its EOF ends the domain. */
  private onShutdown(dom: DomainObj, runtime: DomainRuntime, guest: boolean): void {
    if (dom.runtime !== runtime || runtime.ending || !guest || runtime.guestShutdown) return;
    if (runtime.fakeReboot) {
      this.fakeReboot(dom, runtime);
      return;
    }
    runtime.guestShutdown = true;
    // libvirt's detail for a SHUTDOWN that QEMU marks guest-initiated (an ACPI power-off, a reset under -no-reboot)
    void this.transition(dom, DomainState.SHUTDOWN, 0, DomainEventType.SHUTDOWN, DomainEventShutdownDetail.GUEST);
    quit(runtime.monitor).catch((err: unknown) =>
      this.host.log.warn({ domain: dom.name, err: (err as Error).message }, 'quit after guest shutdown failed'),
    );
  }

  /**
   * The guest powered off after a reboot request (libvirt's qemuProcessFakeReboot): reset
   * the machine and restart its vCPUs, which `-no-shutdown` left stopped. The domain stays
   * running in the same QEMU; the flag is spent, so the next power-off is a real one.
   */
  private fakeReboot(dom: DomainObj, runtime: DomainRuntime): void {
    runtime.fakeReboot = false;
    const log = this.host.log.child({ domain: dom.name });
    log.info('guest powered off for a reboot: resetting it');
    // The STOP that -no-shutdown sends and the RESUME of our cont are ours, not state changes.
    runtime.expecting = 'reboot';
    let offReset = (): void => undefined;
    const reset = new Promise<void>((resolve) => {
      offReset = runtime.monitor.onEvent('RESET', () => resolve());
    });
    void systemReset(runtime.monitor)
      .then(() => settlesWithin(reset, FAKE_REBOOT_RESET_MS))
      .then(() => cont(runtime.monitor))
      .catch((err: unknown) => {
        // A guest we cannot restart is left as a power-off would leave it: QEMU quits.
        log.error({ err: (err as Error).message }, 'fake reboot failed: stopping QEMU');
        runtime.guestShutdown = true;
        return quit(runtime.monitor).catch(() => signalPid(runtime.pid, 'SIGKILL'));
      })
      .finally(() => {
        offReset();
        runtime.expecting = undefined;
      });
  }

  /** QEMU is gone: shut off with the reason of its end, clean up, emit STOPPED; runs once. */
  private async onEnd(dom: DomainObj, runtime: DomainRuntime): Promise<void> {
    if (runtime.ending) return runtime.stopped;
    runtime.ending = true;
    runtime.detach();
    runtime.monitor.close();
    const [reason, detail] = runtime.destroying
      ? [DomainShutoffReason.DESTROYED, DomainEventStoppedDetail.DESTROYED]
      : runtime.guestShutdown
        ? [DomainShutoffReason.SHUTDOWN, DomainEventStoppedDetail.SHUTDOWN]
        : // libvirt's EOF without a SHUTDOWN event: shut off as crashed, the event says "failed"
          [DomainShutoffReason.CRASHED, DomainEventStoppedDetail.FAILED];
    this.host.log.info({ domain: dom.name, pid: runtime.pid, reason }, 'QEMU ended');
    if (dom.runtime === runtime) {
      dom.runtime = undefined;
      dom.state = DomainState.SHUTOFF;
      dom.reason = reason;
      dom.id = -1;
      if (dom.newDef) dom.def = dom.newDef;
      dom.newDef = undefined;
    }
    if (runtime.vncPort !== undefined) this.vncPorts.delete(runtime.vncPort);
    if (runtime.spicePort !== undefined) this.vncPorts.delete(runtime.spicePort);
    await runtime.settled;
    await stopDomainTpm(runtime.swtpmPid, runtime.paths.dir);
    await this.taps.remove(runtime.taps);
    await this.host.ports?.release(runtime.ports);
    await removeRuntimeDir(runtime.paths.dir).catch((err: unknown) =>
      this.host.log.error({ domain: dom.name, err: (err as Error).message }, 'cannot remove runtime directory'),
    );
    this.host.emit(dom, DomainEventType.STOPPED, detail);
    if (!dom.persistent && !dom.active) {
      this.host.list.remove(dom);
      // A transient domain's emulated TPM goes with it, as in libvirt.
      await removeDomainTpmState(this.host.stateDir, dom.uuid);
    }
    runtime.markStopped();
  }

  /** Records a state change, saves it, then emits its event; the end of QEMU waits for it. */
  private transition(dom: DomainObj, state: DomainState, reason: number, event: number, detail: number): Promise<void> {
    dom.state = state;
    dom.reason = reason;
    const done = this.saveStatus(dom)
      .catch((err: unknown) =>
        this.host.log.error({ domain: dom.name, err: (err as Error).message }, 'cannot save domain status'),
      )
      .then(() => this.host.emit(dom, event, detail));
    const runtime = dom.runtime;
    if (runtime) runtime.settled = runtime.settled.then(() => done);
    return done;
  }

  async saveStatus(dom: DomainObj): Promise<void> {
    const runtime = dom.runtime;
    if (!runtime) return;
    const status: DomainStatusFile = {
      version: 1,
      id: dom.id,
      pid: runtime.pid,
      name: dom.name,
      uuid: dom.uuid,
      persistent: dom.persistent,
      monitorPath: runtime.paths.monitorPath,
      startedAt: runtime.startedAt,
      state: dom.state,
      reason: dom.reason,
      xml: formatDomainDef(dom.def, {}),
      ...(runtime.vncPort !== undefined ? { vncPort: runtime.vncPort } : {}),
      ...(runtime.spicePort !== undefined ? { spicePort: runtime.spicePort } : {}),
      ...(runtime.taps.length > 0 ? { taps: runtime.taps } : {}),
      ...(runtime.ports.length > 0 ? { ports: runtime.ports } : {}),
      ...(runtime.swtpmPid !== undefined ? { swtpmPid: runtime.swtpmPid } : {}),
    };
    await writeDomainStatus(runtime.paths, status);
  }

  // ---- operations (the caller holds the job) ---------------------------------

  private requireActive(dom: DomainObj): DomainRuntime {
    const runtime = dom.runtime;
    if (!dom.active || !runtime || runtime.ending) throw invalid('domain is not running');
    return runtime;
  }

  /** SIGTERM, then SIGKILL; resolves once the domain is shut off (STOPPED/DESTROYED emitted). */
  async destroy(dom: DomainObj): Promise<void> {
    const runtime = this.requireActive(dom);
    runtime.destroying = true;
    signalPid(runtime.pid, 'SIGTERM');
    if (await settlesWithin(runtime.stopped, TERM_GRACE_MS)) return;
    this.host.log.warn({ domain: dom.name, pid: runtime.pid }, 'QEMU ignored SIGTERM: killing it');
    signalPid(runtime.pid, 'SIGKILL');
    if (await settlesWithin(runtime.stopped, KILL_GRACE_MS)) return;
    // The monitor never reported the end: record it ourselves.
    await this.onEnd(dom, runtime);
  }

  async shutdown(dom: DomainObj): Promise<void> {
    await systemPowerdown(this.requireActive(dom).monitor);
  }

  async reset(dom: DomainObj): Promise<void> {
    await systemReset(this.requireActive(dom).monitor);
  }

  /**
   * libvirt's default ACPI reboot for QEMU: press the power button with the fake-reboot
   * flag set; the guest's power-off (SHUTDOWN) then becomes a reset and `cont`. With
   * <on_reboot>destroy</on_reboot> libvirt overrides the reboot into a plain shutdown.
   */
  async reboot(dom: DomainObj): Promise<void> {
    const runtime = this.requireActive(dom);
    runtime.fakeReboot = dom.def.onReboot !== 'destroy';
    try {
      await systemPowerdown(runtime.monitor);
    } catch (err) {
      runtime.fakeReboot = false;
      throw err;
    }
  }

  /**
   * virDomainSetMemory on a running domain: a balloon target of `kib`, at most the maximum
   * memory; the live definition's currentMemory follows. The guest moves later, if it has
   * a balloon driver.
   */
  async setMemory(dom: DomainObj, kib: number): Promise<void> {
    const runtime = this.requireActive(dom);
    if (kib > dom.def.memory) {
      throw new VirError(ErrorCode.INVALID_ARG, ErrorDomain.QEMU, 'cannot set memory higher than max memory');
    }
    const mb = dom.def.devices.memballoon;
    if (!mb || mb.model === 'none') {
      throw invalid('Unable to change memory of active domain without the balloon device and guest OS balloon driver');
    }
    await balloon(runtime.monitor, kib * 1024);
    dom.def.currentMemory = kib;
    await this.saveStatus(dom);
  }

  async suspend(dom: DomainObj): Promise<void> {
    const runtime = this.requireActive(dom);
    if (dom.state === DomainState.PAUSED) return;
    runtime.expecting = 'stop';
    try {
      await stop(runtime.monitor);
    } finally {
      if (runtime.expecting === 'stop') runtime.expecting = undefined;
    }
    await this.transition(
      dom,
      DomainState.PAUSED,
      DomainPausedReason.USER,
      DomainEventType.SUSPENDED,
      DomainEventSuspendedDetail.PAUSED,
    );
  }

  async resume(dom: DomainObj): Promise<void> {
    const runtime = this.requireActive(dom);
    if (dom.state !== DomainState.PAUSED) throw invalid('domain is not paused');
    runtime.expecting = 'resume';
    try {
      await cont(runtime.monitor);
    } finally {
      // A fake reboot may have begun meanwhile (the guest powered off at once): its mark stays.
      if (runtime.expecting === 'resume') runtime.expecting = undefined;
    }
    await this.transition(
      dom,
      DomainState.RUNNING,
      DomainRunningReason.UNPAUSED,
      DomainEventType.RESUMED,
      DomainEventResumedDetail.UNPAUSED,
    );
  }

  // ---- recovery --------------------------------------------------------------

  /**
   * Finds the QEMUs a previous daemon left: a live one of ours (its command line names the
   * domain's uuid or monitor socket) is reattached with its id and live definition; any
   * other is recorded as crashed and its runtime dir removed.
   */
  async recover(): Promise<void> {
    const { log, list } = this.host;
    for (const found of await findRuntimeDirs(this.host.runStateDir, log)) {
      const status = found.status;
      if (!status) {
        // Killed in the middle of a start: end that QEMU if it is one, and forget it.
        const pid = Number((await readFile(join(found.dir, 'qemu.pid'), 'utf8').catch(() => '')).trim());
        if (Number.isInteger(pid) && pid > 1 && (await isOurQemu(pid, [found.dir]))) {
          log.warn({ dir: found.dir, pid }, 'killing the QEMU of an unfinished start');
          signalPid(pid, 'SIGKILL');
        }
        await this.taps.remove(await readPendingTaps(found.dir));
        await this.host.ports?.release(await readPendingPorts(found.dir));
        await removeRuntimeDir(found.dir);
        continue;
      }
      this.nextId = Math.max(this.nextId, status.id + 1);
      let def: DomainDef;
      try {
        def = domainDefFromXml(status.xml);
      } catch (err) {
        log.error({ dir: found.dir, err: (err as Error).message }, 'cannot parse the live XML of a running domain');
        continue;
      }
      let dom = list.findByUuid(status.uuid);
      if (!dom) {
        try {
          dom = list.add(def, { persistent: false });
        } catch (err) {
          log.error({ domain: status.name, err: (err as Error).message }, 'cannot restore running domain');
          continue;
        }
      }
      await this.recoverOne(dom, def, status, found.dir);
    }
  }

  private async recoverOne(dom: DomainObj, def: DomainDef, status: DomainStatusFile, dir: string): Promise<void> {
    const log = this.host.log.child({ domain: dom.name, id: status.id });
    const paths = runtimePaths(this.host.runStateDir, status.id);
    let monitor: QmpConnection | undefined;
    if (paths.dir === dir && (await isOurQemu(status.pid, [status.uuid, status.monitorPath]))) {
      try {
        monitor = await connectUnix(status.monitorPath, { timeoutMs: 3000, log });
        const qemuStatus = await queryStatus(monitor);
        const persistentDef = dom.persistentDef;
        const vncPort = typeof status.vncPort === 'number' ? status.vncPort : undefined;
        const spicePort = typeof status.spicePort === 'number' ? status.spicePort : undefined;
        const runtime = this.makeRuntime({
          pid: status.pid,
          paths,
          startedAt: status.startedAt,
          monitor,
          vncPort,
          spicePort,
          taps: status.taps ?? [],
          ports: portsOf(status.ports),
          swtpmPid: status.swtpmPid,
        });
        this.taps.adopt(runtime.taps);
        if (vncPort !== undefined) {
          // The parse reset the autoport port: put back the one QEMU holds, and keep it allocated.
          const g = def.devices.graphics.find((d) => d.type === 'vnc' && d.autoport);
          if (g) g.port = vncPort;
          this.vncPorts.add(vncPort);
        }
        const spice = spicePort !== undefined ? autoportGraphics(def, 'spice') : undefined;
        if (spice && spicePort !== undefined) {
          spice.port = spicePort;
          if (spice.tlsPort === -1) delete spice.tlsPort;
          this.vncPorts.add(spicePort);
        }
        dom.newDef = dom.persistent ? persistentDef : undefined;
        dom.def = { ...def, id: status.id };
        dom.id = status.id;
        dom.runtime = runtime;
        if (qemuStatus.running) {
          dom.state = DomainState.RUNNING;
          dom.reason = status.state === DomainState.RUNNING ? status.reason : DomainRunningReason.UNKNOWN;
        } else {
          dom.state = DomainState.PAUSED;
          dom.reason =
            status.state === DomainState.PAUSED && qemuStatus.status === 'paused'
              ? status.reason
              : pausedReasonOf(qemuStatus.status);
        }
        if (dom.state !== status.state || dom.reason !== status.reason) await this.saveStatus(dom);
        this.watch(dom, runtime);
        log.info({ pid: status.pid, state: dom.state }, 'reconnected to running QEMU');
        await this.host.ports?.reclaim(dom.def, runtime.ports);
        return;
      } catch (err) {
        log.error({ pid: status.pid, err: (err as Error).message }, 'cannot reconnect to QEMU: killing it');
        if (dom.runtime) {
          dom.runtime.detach();
          dom.runtime = undefined;
        }
        monitor?.close();
        signalPid(status.pid, 'SIGKILL');
      }
    } else {
      log.warn({ pid: status.pid }, 'QEMU of a running domain is gone');
    }
    if (dom.newDef) dom.def = dom.newDef;
    dom.newDef = undefined;
    dom.id = -1;
    dom.state = DomainState.SHUTOFF;
    dom.reason = DomainShutoffReason.CRASHED;
    await stopDomainTpm(status.swtpmPid, dir);
    await this.taps.remove(status.taps ?? []);
    await this.host.ports?.release(portsOf(status.ports));
    await removeRuntimeDir(dir);
    this.host.emit(dom, DomainEventType.STOPPED, DomainEventStoppedDetail.FAILED);
    if (!dom.persistent) this.host.list.remove(dom);
  }

  /** Forgets every QEMU without stopping it, as a daemon going away does: they keep running. */
  release(doms: readonly DomainObj[]): void {
    for (const dom of doms) {
      const runtime = dom.runtime;
      if (!runtime) continue;
      runtime.detach();
      runtime.monitor.close();
    }
  }
}
