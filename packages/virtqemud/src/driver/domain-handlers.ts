/**
 * The `domain.*` entry points. Each follows one skeleton: look the domain up, take its
 * job lock, check its state, act, persist, then emit the lifecycle event, so an event
 * only ever describes a change that is already on disk. Changes to the list itself
 * (define, undefine) also run one at a time, which keeps events in order.
 */
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
  DomainEventUndefinedDetail,
  domainDefineXML,
  domainGetAutostart,
  domainGetInfo,
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
  domainSetAutostart,
  domainUndefine,
  type DomainRef,
} from '@tsvirt/common/protocol';
import { domainDefFromXml, formatDomainDef, type PostParseOptions } from '../conf/domain-xml.js';
import { DomainList } from './domain-list.js';
import type { DomainObj } from './domain-obj.js';
import { assertSafeFileName, type DomainStore } from './domain-store.js';
import { DEFAULT_JOB_WAIT_MS, Mutex, withDomainJob } from './job-lock.js';

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
}

export class DomainDriver {
  readonly list = new DomainList();
  private readonly listLock = new Mutex();
  private readonly jobWaitMs: number;

  constructor(private readonly options: DomainDriverOptions) {
    this.jobWaitMs = options.jobWaitMs ?? DEFAULT_JOB_WAIT_MS;
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
    const autostarted = this.list.list({ autostart: true }).map((d) => d.name);
    this.options.log.info({ domains: this.list.size, autostart: autostarted }, 'domains loaded');
    // Starting the autostart domains comes with the QEMU process code.
  }

  register(table: ProcedureTable): void {
    table.register(domainDefineXML, (args) => this.defineXML(args.xml));
    table.register(domainUndefine, async (args) => {
      await this.undefine(args.uuid);
      return {};
    });
    table.register(domainLookupByName, (args) => this.list.getByName(args.name).ref());
    table.register(domainLookupByUUID, (args) => this.list.getByUuid(args.uuid).ref());
    table.register(domainLookupByID, (args) => this.list.getById(args.id).ref());
    table.register(domainListAll, (args) => ({ domains: this.list.list(args.flags).map((d) => d.ref()) }));
    table.register(domainGetXMLDesc, (args) => {
      const dom = this.list.getByUuid(args.uuid);
      const inactive = args.inactive ?? false;
      return { xml: formatDomainDef(inactive ? dom.persistentDef : dom.def, { inactive: inactive || !dom.active }) };
    });
    table.register(domainGetInfo, (args) => {
      const dom = this.list.getByUuid(args.uuid);
      const { def } = dom;
      return {
        state: dom.state,
        maxMemKiB: def.memory,
        memKiB: def.currentMemory ?? def.memory,
        nrVirtCpu: def.vcpu.current ?? def.vcpu.max,
        cpuTimeNs: 0,
      };
    });
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
  async undefine(uuid: string): Promise<void> {
    const dom = this.list.getByUuid(uuid);
    await this.listLock.run(() =>
      withDomainJob(
        dom,
        'undefine',
        async () => {
          if (!dom.persistent) {
            throw new VirError(ErrorCode.OPERATION_INVALID, ErrorDomain.QEMU, 'cannot undefine transient domain');
          }
          await this.options.store.remove(dom.name);
          if (dom.active) {
            dom.persistent = false;
            dom.autostart = false;
            dom.newDef = undefined;
          } else {
            this.list.remove(dom);
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

  /** Runs `body` as a job on the domain `uuid`: the entry point for the process code to come. */
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
