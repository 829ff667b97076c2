/**
 * The `domain.*` entry points. Each follows one skeleton: look the domain up, take its
 * job lock, check its state, act, persist, then emit the lifecycle event, so an event
 * only ever describes a change that is already on disk. Changes to the list itself
 * (define, undefine) also run one at a time, which keeps events in order.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import {
  ErrorCode,
  ErrorDomain,
  VirError,
  type EventDataOf,
  type EventDecl,
  type ProcedureTable,
} from '@tsvirt/common';
import {
  DomainEventDefinedDetail,
  DomainEventType,
  domainCreate,
  domainCreateXML,
  domainDestroy,
  domainReboot,
  domainReset,
  domainResume,
  domainSetMemory,
  domainShutdown,
  domainSuspend,
  DomainEventUndefinedDetail,
  domainDefineXML,
  domainGetAutostart,
  domainGetInfo,
  domainGetStats,
  domainGetOSType,
  domainGetState,
  domainGetXMLDesc,
  domainIsActive,
  domainIsPersistent,
  domainLifecycle,
  domainListAll,
  domainLookupByID,
  domainLookupByName,
  domainLookupByUUID,
  domainOpenConsole,
  domainInterfaceAddresses,
  domainSetAutostart,
  domainUndefine,
  type DomainInterface,
  type DomainInterfaceAddressSource,
  type DomainRef,
} from '@tsvirt/common/protocol';
import { domainDefFromXml, formatDomainDef, type PostParseOptions } from '../conf/domain-xml.js';
import { checkUndefineNvram, removeNvram, type UndefineNvramFlags } from './domain-nvram.js';
import { queryBalloon } from '../qemu/monitor/index.js';
import { DomainConsoles, type OpenConsoleOptions } from './domain-console.js';
import { DomainLifecycle } from './domain-lifecycle.js';
import { DomainList } from './domain-list.js';
import { getDomainStats } from './domain-stats.js';
import type { DomainObj } from './domain-obj.js';
import { probeKvm, type BuildCommandLine, type KvmProbe } from './domain-process.js';
import { assertSafeFileName, type DomainStore } from './domain-store.js';
import { DEFAULT_JOB_WAIT_MS, Mutex, withDomainJob } from './job-lock.js';
import { DomainListAnswers } from './domain-list-answers.js';
import { HOST_PROC, readProcessCpuTimes } from './stats-proc.js';
import { removeDomainTpmState } from './domain-tpm.js';
import type { DomainVolumes } from './domain-volumes.js';
import type { DomainNetworkPorts } from './domain-network-ports.js';

/** Where lifecycle events go: the daemon's EventBus, or a recorder in tests. */
export interface EventSink {
  emit<E extends EventDecl>(
    event: E,
    data: EventDataOf<E>,
    matches?: (filter: Readonly<Record<string, string>>) => boolean,
  ): number;
}

export interface DomainDriverOptions {
  store: DomainStore;
  events: EventSink;
  log: Logger;
  /** How long a job waits for another one on the same domain. */
  jobWaitMs?: number;
  /** Deterministic uuids and MACs for tests. */
  postParse?: PostParseOptions;
  /** `<runStateDir>/domain-<id>/` holds each running domain's status and monitor socket. */
  runStateDir?: string;
  /** The daemon's state dir: emulated TPMs keep their state under `<stateDir>/swtpm/`. */
  stateDir?: string;
  /** QEMU's output goes to `<logDir>/qemu/<name>.log`. */
  logDir?: string;
  /** The QEMU argv builder; without it, starting a domain fails. */
  buildCommandLine?: BuildCommandLine;
  /** Whether /dev/kvm is usable; default: open it read-write. */
  kvmUsable?: KvmProbe;
  /** Storage volumes of `<disk type='volume'>`, asked of virtstoraged at start. */
  volumes?: DomainVolumes;
  /** Ports of `<interface type='network'>`, asked of virtnetworkd at start. */
  ports?: DomainNetworkPorts;
}

export class DomainDriver {
  readonly list = new DomainList();
  private readonly listLock = new Mutex();
  private readonly jobWaitMs: number;
  private readonly lifecycle: DomainLifecycle;
  private readonly consoles: DomainConsoles;
  private readonly listAnswers = new DomainListAnswers();

  constructor(private readonly options: DomainDriverOptions) {
    this.jobWaitMs = options.jobWaitMs ?? DEFAULT_JOB_WAIT_MS;
    this.consoles = new DomainConsoles(options.log);
    this.lifecycle = new DomainLifecycle({
      runStateDir: options.runStateDir ?? '',
      logDir: options.logDir ?? '',
      stateDir: options.stateDir,
      volumes: options.volumes,
      ports: options.ports,
      buildCommandLine: options.runStateDir && options.logDir ? options.buildCommandLine : undefined,
      kvmUsable: options.kvmUsable ?? probeKvm,
      log: options.log,
      list: this.list,
      emit: (dom, event, detail) => this.emitLifecycle(dom, event, detail),
    });
  }

  /** True while any domain has a QEMU: the daemon must not exit on idle then. */
  hasActiveWork(): boolean {
    return this.list.list({ active: true }).length > 0;
  }

  /**
   * Lets go of every QEMU without stopping it (daemon shutdown): they keep running and are
   * found at next load. Resolves once the config directory's pending fsyncs have landed.
   */
  async close(): Promise<void> {
    this.consoles.closeAll();
    this.lifecycle.release(this.list.list({ active: true }));
    await this.options.volumes?.close();
    await this.options.ports?.close();
    await this.options.store.settled();
  }

  /** Loads every saved domain; unreadable files were already logged and skipped by the store. */
  async load(): Promise<void> {
    for (const { def, autostart } of await this.options.store.loadAll()) {
      try {
        this.list.add(def, { persistent: true, autostart });
      } catch (err) {
        this.options.log.error({ domain: def.name, err: (err as Error).message }, 'skipping saved domain');
      }
    }
    if (this.options.runStateDir) await this.lifecycle.recover();
    const autostarted = this.list.list({ autostart: true }).map((d) => d.name);
    this.options.log.info({ domains: this.list.size, autostart: autostarted }, 'domains loaded');
    if (!this.options.runStateDir || !this.options.buildCommandLine) return;
    for (const dom of this.list.list({ autostart: true, inactive: true })) {
      try {
        await this.withJob(dom.uuid, 'start', (d) => this.lifecycle.start(d));
      } catch (err) {
        this.options.log.error({ domain: dom.name, err: (err as Error).message }, 'autostart failed');
      }
    }
  }

  register(table: ProcedureTable): void {
    table.register(domainDefineXML, (args) => this.defineXML(args.xml));
    table.register(domainUndefine, async (args) => {
      await this.undefine(args.uuid, { nvram: args.nvram ?? false, keepNvram: args.keepNvram ?? false });
      return {};
    });
    table.register(domainLookupByName, (args) => this.list.getByName(args.name).ref());
    table.register(domainLookupByUUID, (args) => this.list.getByUuid(args.uuid).ref());
    table.register(domainLookupByID, (args) => this.list.getById(args.id).ref());
    table.register(domainListAll, (args) => this.listAnswers.answer(this.list.list(args.flags), args));
    table.register(domainGetXMLDesc, (args) => {
      const dom = this.list.getByUuid(args.uuid);
      const inactive = args.inactive ?? false;
      return { xml: formatDomainDef(inactive ? dom.persistentDef : dom.def, { inactive: inactive || !dom.active }) };
    });
    table.register(domainGetInfo, (args) => this.getInfo(args.uuid));
    table.register(domainGetStats, (args) => getDomainStats(this.list, args, HOST_PROC, this.options.log));
    table.register(domainInterfaceAddresses, async (args) => ({
      interfaces: await this.interfaceAddresses(args.uuid, args.source),
    }));
    table.register(domainGetState, (args) => {
      const dom = this.list.getByUuid(args.uuid);
      return { state: dom.state, reason: dom.reason };
    });
    table.register(domainSetAutostart, async (args) => {
      await this.setAutostart(args.uuid, args.autostart);
      return {};
    });
    table.register(domainGetAutostart, (args) => ({ autostart: this.list.getByUuid(args.uuid).autostart }));
    table.register(domainIsActive, (args) => ({ active: this.list.getByUuid(args.uuid).active }));
    table.register(domainIsPersistent, (args) => ({ persistent: this.list.getByUuid(args.uuid).persistent }));
    table.register(domainGetOSType, (args) => ({ osType: this.list.getByUuid(args.uuid).def.os.type }));
    table.register(domainCreate, (args) => this.create(args.uuid, { paused: args.paused ?? false }));
    table.register(domainCreateXML, (args) => this.createXML(args.xml, { paused: args.paused ?? false }));
    const op = (act: (uuid: string) => Promise<void>) => async (args: { uuid: string }) => {
      await act(args.uuid);
      return {};
    };
    table.register(
      domainDestroy,
      op((uuid) => this.destroy(uuid)),
    );
    table.register(
      domainShutdown,
      op((uuid) => this.shutdown(uuid)),
    );
    table.register(
      domainReset,
      op((uuid) => this.reset(uuid)),
    );
    table.register(
      domainReboot,
      op((uuid) => this.reboot(uuid)),
    );
    table.register(domainSetMemory, async (args) => {
      await this.setMemory(args.uuid, args.kib);
      return {};
    });
    table.register(
      domainSuspend,
      op((uuid) => this.suspend(uuid)),
    );
    table.register(
      domainResume,
      op((uuid) => this.resume(uuid)),
    );
    table.register(domainOpenConsole, async (args, { stream }) => {
      if (!stream) throw new VirError(ErrorCode.INTERNAL_ERROR, ErrorDomain.RPC, 'domain.openConsole without a stream');
      await this.openConsole(args.uuid, stream, { device: args.device, force: args.force });
      return {};
    });
  }

  /** Starts a defined domain (virDomainCreateWithFlags). */
  async create(uuid: string, options: { paused?: boolean } = {}): Promise<DomainRef> {
    return this.withJob(uuid, 'start', async (dom) => {
      await this.lifecycle.start(dom, options);
      return dom.ref();
    });
  }

  /** Creates and starts a transient domain; a defined one of the same name and uuid starts with this XML as its live definition. */
  async createXML(xml: string, options: { paused?: boolean } = {}): Promise<DomainRef> {
    const def = domainDefFromXml(xml, this.options.postParse);
    assertSafeFileName(def.name);
    const { dom, added } = await this.listLock.run(async () => {
      const plan = this.list.planDefine(def);
      if (plan.kind === 'update') return { dom: plan.dom, added: false };
      return { dom: this.list.add(def, { persistent: false }), added: true };
    });
    try {
      await withDomainJob(
        dom,
        'start',
        () => this.lifecycle.start(dom, added ? options : { ...options, def }),
        this.jobWaitMs,
      );
    } catch (err) {
      if (added && !dom.active) this.list.remove(dom);
      throw err;
    }
    return dom.ref();
  }

  async destroy(uuid: string): Promise<void> {
    await this.withJob(uuid, 'destroy', (dom) => this.lifecycle.destroy(dom));
  }

  async shutdown(uuid: string): Promise<void> {
    await this.withJob(uuid, 'modify', (dom) => this.lifecycle.shutdown(dom));
  }

  async reset(uuid: string): Promise<void> {
    await this.withJob(uuid, 'modify', (dom) => this.lifecycle.reset(dom));
  }

  /** libvirt's default reboot for QEMU: ACPI power button, and a reset when the guest powers off. */
  async reboot(uuid: string): Promise<void> {
    await this.withJob(uuid, 'modify', (dom) => this.lifecycle.reboot(dom));
  }

  /** virDomainSetMemory (live only): the balloon target, in KiB. */
  async setMemory(uuid: string, kib: number): Promise<void> {
    await this.withJob(uuid, 'modify', (dom) => this.lifecycle.setMemory(dom, kib));
  }

  /**
   * virDomainInfo. A running domain with a balloon reports QEMU's `query-balloon` answer
   * (what the guest really holds), as libvirt does; otherwise, or if QEMU cannot say, the definition.
   */
  async getInfo(uuid: string): Promise<{
    state: number;
    maxMemKiB: number;
    memKiB: number;
    nrVirtCpu: number;
    cpuTimeNs: number;
  }> {
    const dom = this.list.getByUuid(uuid);
    const { def } = dom;
    let memKiB = def.currentMemory ?? def.memory;
    const runtime = dom.runtime;
    const mb = def.devices.memballoon;
    if (dom.active && runtime && !runtime.ending && mb && mb.model !== 'none') {
      try {
        memKiB = Math.floor((await queryBalloon(runtime.monitor)).actual / 1024);
      } catch (err) {
        this.options.log.debug({ domain: dom.name, err: (err as Error).message }, 'query-balloon failed');
      }
    }
    // QEMU's user + system time, as libvirt reads it without a cgroup.
    const cpu =
      dom.active && runtime && !runtime.ending ? await readProcessCpuTimes(HOST_PROC, runtime.pid) : undefined;
    return {
      state: dom.state,
      maxMemKiB: def.memory,
      memKiB,
      nrVirtCpu: def.vcpu.current ?? def.vcpu.max,
      cpuTimeNs: cpu?.totalNs ?? 0,
    };
  }

  /**
   * virDomainInterfaceAddresses. Only the DHCP leases of virtual networks are known to
   * tsvirt: there is no guest agent channel, and no ARP table is read.
   */
  async interfaceAddresses(uuid: string, source: DomainInterfaceAddressSource): Promise<DomainInterface[]> {
    const dom = this.list.getByUuid(uuid);
    if (source !== 'lease') {
      throw new VirError(
        ErrorCode.ARGUMENT_UNSUPPORTED,
        ErrorDomain.QEMU,
        `interface address source '${source}' is not supported: only 'lease' (the DHCP leases of virtual networks) is`,
        { str1: source },
      );
    }
    if (!dom.active) throw new VirError(ErrorCode.OPERATION_INVALID, ErrorDomain.QEMU, 'domain is not running');
    return (await this.options.ports?.leaseAddresses(dom.def)) ?? [];
  }

  /**
   * virDomainOpenConsole: joins `stream` to the domain's console. No job: like libvirt, a
   * console opens even while a long job (a shutdown wait) runs.
   */
  async openConsole(uuid: string, stream: Duplex, options: OpenConsoleOptions = {}): Promise<void> {
    await this.consoles.open(this.list.getByUuid(uuid), stream, options);
  }

  async suspend(uuid: string): Promise<void> {
    await this.withJob(uuid, 'suspend', (dom) => this.lifecycle.suspend(dom));
  }

  async resume(uuid: string): Promise<void> {
    await this.withJob(uuid, 'modify', (dom) => this.lifecycle.resume(dom));
  }

  /** Parses, checks against the list, saves, then adds or updates and emits DEFINED. */
  async defineXML(xml: string): Promise<{ name: string; uuid: string }> {
    // A bad document fails here with its own VirError, before anything is written.
    const def = domainDefFromXml(xml, this.options.postParse);
    assertSafeFileName(def.name);
    return this.listLock.run(async () => {
      const plan = this.list.planDefine(def);
      if (plan.kind === 'add') {
        await this.options.store.save(def);
        const dom = this.list.add(def, { persistent: true });
        this.emitLifecycle(dom, DomainEventType.DEFINED, DomainEventDefinedDetail.ADDED);
        return { name: dom.name, uuid: dom.uuid };
      }
      const dom = plan.dom;
      return withDomainJob(
        dom,
        'modify',
        async () => {
          await this.options.store.save(def);
          // A running domain keeps its live definition; the new one applies at next start.
          if (dom.active) dom.newDef = def;
          else dom.def = def;
          const wasPersistent = dom.persistent;
          dom.persistent = true;
          this.emitLifecycle(
            dom,
            DomainEventType.DEFINED,
            wasPersistent ? DomainEventDefinedDetail.UPDATED : DomainEventDefinedDetail.ADDED,
          );
          return { name: dom.name, uuid: dom.uuid };
        },
        this.jobWaitMs,
      );
    });
  }

  /** Removes the saved config; an inactive domain leaves the list, a running one becomes transient. */
  async undefine(uuid: string, nvramFlags: UndefineNvramFlags = {}): Promise<void> {
    const dom = this.list.getByUuid(uuid);
    await this.listLock.run(() =>
      withDomainJob(
        dom,
        'undefine',
        async () => {
          if (!dom.persistent) {
            throw new VirError(ErrorCode.OPERATION_INVALID, ErrorDomain.QEMU, 'cannot undefine transient domain');
          }
          const nvramToRemove = await checkUndefineNvram(dom.persistentDef, nvramFlags);
          if (nvramToRemove !== undefined) await removeNvram(nvramToRemove);
          await this.options.store.remove(dom.name);
          if (dom.active) {
            dom.persistent = false;
            dom.autostart = false;
            dom.newDef = undefined;
          } else {
            this.list.remove(dom);
            // libvirt's default (no --keep-tpm): the emulated TPM's state goes with a domain that has one.
            if (dom.persistentDef.devices.tpms.some((tpm) => tpm.backend.type === 'emulator')) {
              await removeDomainTpmState(this.options.stateDir, dom.uuid);
            }
          }
          this.emitLifecycle(dom, DomainEventType.UNDEFINED, DomainEventUndefinedDetail.REMOVED);
        },
        this.jobWaitMs,
      ),
    );
  }

  async setAutostart(uuid: string, autostart: boolean): Promise<void> {
    const dom = this.list.getByUuid(uuid);
    await withDomainJob(
      dom,
      'modify',
      async () => {
        if (!dom.persistent) {
          throw new VirError(
            ErrorCode.OPERATION_INVALID,
            ErrorDomain.QEMU,
            'cannot set autostart for transient domain',
          );
        }
        if (dom.autostart === autostart) return;
        await this.options.store.setAutostart(dom.name, autostart);
        dom.autostart = autostart;
      },
      this.jobWaitMs,
    );
  }

  /** Runs `body` as a job on the domain `uuid`. */
  withJob<T>(uuid: string, job: string, body: (dom: DomainObj) => Promise<T>): Promise<T> {
    const dom = this.list.getByUuid(uuid);
    return withDomainJob(dom, job, () => body(dom), this.jobWaitMs);
  }

  private emitLifecycle(dom: DomainObj, event: number, detail: number): void {
    const data = { name: dom.name, uuid: dom.uuid, event, detail };
    const ref: DomainRef = dom.ref();
    this.options.events.emit(domainLifecycle, data, (filter) =>
      Object.entries(filter).every(
        ([key, value]) => (key === 'uuid' && value === ref.uuid) || (key === 'name' && value === ref.name),
      ),
    );
  }
}
