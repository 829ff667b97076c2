/**
 * `domain.*`: the persistent-domain procedures of virtqemud (define, undefine, look up,
 * list, describe, autostart) and the `domain.lifecycle` event. Numbers start at 100 and
 * are append-only. State, reason and event numbers are libvirt's own (virDomainState,
 * virDomainShutoffReason, virDomainEventType), so callers who know libvirt can branch on
 * the same values.
 */
import { Type, type Static } from '@sinclair/typebox';
import { defineEvent, defineProcedure } from './procedure.js';

/** virDomainState. @since 0.1.0 */
export const DomainState = {
  NOSTATE: 0,
  RUNNING: 1,
  BLOCKED: 2,
  PAUSED: 3,
  SHUTDOWN: 4,
  SHUTOFF: 5,
  CRASHED: 6,
  PMSUSPENDED: 7,
} as const;
export type DomainState = (typeof DomainState)[keyof typeof DomainState];

/** virDomainShutoffReason. @since 0.1.0 */
export const DomainShutoffReason = {
  UNKNOWN: 0,
  SHUTDOWN: 1,
  DESTROYED: 2,
  CRASHED: 3,
  MIGRATED: 4,
  SAVED: 5,
  FAILED: 6,
  FROM_SNAPSHOT: 7,
  DAEMON: 8,
} as const;

/** virDomainRunningReason. @since 0.1.0 */
export const DomainRunningReason = {
  UNKNOWN: 0,
  BOOTED: 1,
  MIGRATED: 2,
  RESTORED: 3,
  FROM_SNAPSHOT: 4,
  UNPAUSED: 5,
  MIGRATION_CANCELED: 6,
  SAVE_CANCELED: 7,
  WAKEUP: 8,
  CRASHED: 9,
  POSTCOPY: 10,
} as const;

/** virDomainEventType. @since 0.1.0 */
export const DomainEventType = {
  DEFINED: 0,
  UNDEFINED: 1,
  STARTED: 2,
  SUSPENDED: 3,
  RESUMED: 4,
  STOPPED: 5,
  SHUTDOWN: 6,
  PMSUSPENDED: 7,
  CRASHED: 8,
} as const;

/** virDomainEventDefinedDetailType. @since 0.1.0 */
export const DomainEventDefinedDetail = { ADDED: 0, UPDATED: 1, RENAMED: 2, FROM_SNAPSHOT: 3 } as const;

/** virDomainEventUndefinedDetailType. @since 0.1.0 */
export const DomainEventUndefinedDetail = { REMOVED: 0, RENAMED: 1 } as const;

/** virDomainPausedReason. @since 0.1.0 */
export const DomainPausedReason = {
  UNKNOWN: 0,
  USER: 1,
  MIGRATION: 2,
  SAVE: 3,
  DUMP: 4,
  IOERROR: 5,
  WATCHDOG: 6,
  FROM_SNAPSHOT: 7,
  SHUTTING_DOWN: 8,
  SNAPSHOT: 9,
  CRASHED: 10,
  STARTING_UP: 11,
  POSTCOPY: 12,
  POSTCOPY_FAILED: 13,
  API_ERROR: 14,
} as const;

/** virDomainEventStartedDetailType. @since 0.1.0 */
export const DomainEventStartedDetail = { BOOTED: 0, MIGRATED: 1, RESTORED: 2, FROM_SNAPSHOT: 3, WAKEUP: 4 } as const;

/** virDomainEventSuspendedDetailType. @since 0.1.0 */
export const DomainEventSuspendedDetail = {
  PAUSED: 0,
  MIGRATED: 1,
  IOERROR: 2,
  WATCHDOG: 3,
  RESTORED: 4,
  FROM_SNAPSHOT: 5,
  API_ERROR: 6,
  POSTCOPY: 7,
  POSTCOPY_FAILED: 8,
} as const;

/** virDomainEventResumedDetailType. @since 0.1.0 */
export const DomainEventResumedDetail = { UNPAUSED: 0, MIGRATED: 1, FROM_SNAPSHOT: 2, POSTCOPY: 3 } as const;

/** virDomainEventStoppedDetailType. @since 0.1.0 */
export const DomainEventStoppedDetail = {
  SHUTDOWN: 0,
  DESTROYED: 1,
  CRASHED: 2,
  MIGRATED: 3,
  SAVED: 4,
  FAILED: 5,
  FROM_SNAPSHOT: 6,
} as const;

/** virDomainEventShutdownDetailType. @since 0.1.0 */
export const DomainEventShutdownDetail = { FINISHED: 0, GUEST: 1, HOST: 2 } as const;

/** virDomainEventCrashedDetailType. @since 0.1.0 */
export const DomainEventCrashedDetail = { PANICKED: 0, CRASHLOADED: 1 } as const;

/** Canonical lower-case, dashed UUID. */
export const UuidSchema = Type.String({
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
  maxLength: 36,
});

/** A domain XML document is at most 10 MiB. */
export const MAX_DOMAIN_XML_LENGTH = 10 * 1024 * 1024;

const DomainNameSchema = Type.String({ minLength: 1, maxLength: 1024 });
const ByUuid = Type.Object({ uuid: UuidSchema }, { additionalProperties: false });
const Empty = Type.Object({}, { additionalProperties: false });

/** What identifies a domain to a caller: libvirt's virDomainPtr (name, uuid, id). @since 0.1.0 */
export const DomainRefSchema = Type.Object({
  name: Type.String(),
  uuid: UuidSchema,
  id: Type.Integer({ minimum: -1, description: '-1 when the domain is not running' }),
});
export type DomainRef = Static<typeof DomainRefSchema>;

/** libvirt's virConnectListAllDomains filter flags; an unset pair means "either". @since 0.1.0 */
export const DomainListFlagsSchema = Type.Object(
  {
    active: Type.Optional(Type.Boolean()),
    inactive: Type.Optional(Type.Boolean()),
    persistent: Type.Optional(Type.Boolean()),
    transient: Type.Optional(Type.Boolean()),
    autostart: Type.Optional(Type.Boolean()),
    noAutostart: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type DomainListFlags = Static<typeof DomainListFlagsSchema>;

/** @since 0.1.0 */
export const domainDefineXML = defineProcedure({
  name: 'domain.defineXML',
  number: 100,
  since: '0.1.0',
  readonly: false,
  owner: 'virtqemud',
  access: 'domain:write',
  summary: 'Define (or redefine, same name and uuid) a persistent domain from its XML; saved before the call returns.',
  args: Type.Object({ xml: Type.String({ maxLength: MAX_DOMAIN_XML_LENGTH }) }, { additionalProperties: false }),
  result: Type.Object({ name: Type.String(), uuid: UuidSchema }),
});

/** @since 0.1.0 */
export const domainUndefine = defineProcedure({
  name: 'domain.undefine',
  number: 101,
  since: '0.1.0',
  readonly: false,
  owner: 'virtqemud',
  access: 'domain:delete',
  summary: 'Remove the persistent config of a domain; an inactive domain disappears, a running one becomes transient.',
  // nvram/keepNvram (0.1.0, additive): VIR_DOMAIN_UNDEFINE_NVRAM / _KEEP_NVRAM for a domain with a UEFI vars file.
  args: Type.Object(
    { uuid: UuidSchema, nvram: Type.Optional(Type.Boolean()), keepNvram: Type.Optional(Type.Boolean()) },
    { additionalProperties: false },
  ),
  result: Empty,
});

/** @since 0.1.0 */
export const domainLookupByName = defineProcedure({
  name: 'domain.lookupByName',
  number: 102,
  since: '0.1.0',
  readonly: true,
  owner: 'virtqemud',
  access: 'domain:getattr',
  summary: 'The domain called `name`.',
  args: Type.Object({ name: DomainNameSchema }, { additionalProperties: false }),
  result: DomainRefSchema,
});

/** @since 0.1.0 */
export const domainLookupByUUID = defineProcedure({
  name: 'domain.lookupByUUID',
  number: 103,
  since: '0.1.0',
  readonly: true,
  owner: 'virtqemud',
  access: 'domain:getattr',
  summary: 'The domain with this uuid.',
  args: ByUuid,
  result: DomainRefSchema,
});

/** @since 0.1.0 */
export const domainLookupByID = defineProcedure({
  name: 'domain.lookupByID',
  number: 104,
  since: '0.1.0',
  readonly: true,
  owner: 'virtqemud',
  access: 'domain:getattr',
  summary: 'The running domain with this id.',
  args: Type.Object({ id: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
  result: DomainRefSchema,
});

/** @since 0.1.0 */
export const domainListAll = defineProcedure({
  name: 'domain.listAll',
  number: 105,
  since: '0.1.0',
  readonly: true,
  owner: 'virtqemud',
  access: 'connect:search_domains',
  summary: "Every domain matching libvirt's listAllDomains filters, sorted by name.",
  args: Type.Object(
    {
      flags: Type.Optional(DomainListFlagsSchema),
      /** Also return each domain's `<title>` (virsh list --title). @since 0.1.0 */
      withTitle: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  result: Type.Object({
    domains: Type.Array(
      Type.Object({
        ...DomainRefSchema.properties,
        /** With `withTitle`: the `<title>` of the definition in force, '' when it has none. @since 0.1.0 */
        title: Type.Optional(Type.String()),
      }),
    ),
  }),
});

/** @since 0.1.0 */
export const domainGetXMLDesc = defineProcedure({
  name: 'domain.getXMLDesc',
  number: 106,
  since: '0.1.0',
  readonly: true,
  owner: 'virtqemud',
  access: 'domain:read',
  summary: 'The domain XML: the live definition, or with `inactive` the one used at next start.',
  args: Type.Object({ uuid: UuidSchema, inactive: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  result: Type.Object({ xml: Type.String() }),
});

/** @since 0.1.0 */
export const domainGetInfo = defineProcedure({
  name: 'domain.getInfo',
  number: 107,
  since: '0.1.0',
  readonly: true,
  owner: 'virtqemud',
  access: 'domain:read',
  summary: "libvirt's virDomainInfo: state, memory (KiB), vCPUs and CPU time.",
  args: ByUuid,
  result: Type.Object({
    state: Type.Integer({ minimum: 0 }),
    maxMemKiB: Type.Integer({ minimum: 0 }),
    memKiB: Type.Integer({ minimum: 0 }),
    nrVirtCpu: Type.Integer({ minimum: 0 }),
    cpuTimeNs: Type.Integer({ minimum: 0 }),
  }),
});

/** @since 0.1.0 */
export const domainGetState = defineProcedure({
  name: 'domain.getState',
  number: 108,
  since: '0.1.0',
  readonly: true,
  owner: 'virtqemud',
  access: 'domain:read',
  summary: 'virDomainState and the reason for it (e.g. shut off, unknown).',
  args: ByUuid,
  result: Type.Object({ state: Type.Integer({ minimum: 0 }), reason: Type.Integer({ minimum: 0 }) }),
});

/** @since 0.1.0 */
export const domainSetAutostart = defineProcedure({
  name: 'domain.setAutostart',
  number: 109,
  since: '0.1.0',
  readonly: false,
  owner: 'virtqemud',
  access: 'domain:write',
  summary: 'Start (or not) the persistent domain when the daemon starts.',
  args: Type.Object({ uuid: UuidSchema, autostart: Type.Boolean() }, { additionalProperties: false }),
  result: Empty,
});

/** @since 0.1.0 */
export const domainGetAutostart = defineProcedure({
  name: 'domain.getAutostart',
  number: 110,
  since: '0.1.0',
  readonly: true,
  owner: 'virtqemud',
  access: 'domain:read',
  summary: 'Whether the domain is marked for autostart.',
  args: ByUuid,
  result: Type.Object({ autostart: Type.Boolean() }),
});

/** @since 0.1.0 */
export const domainIsActive = defineProcedure({
  name: 'domain.isActive',
  number: 111,
  since: '0.1.0',
  readonly: true,
  owner: 'virtqemud',
  access: 'domain:read',
  summary: 'Whether the domain is running (has a QEMU process).',
  args: ByUuid,
  result: Type.Object({ active: Type.Boolean() }),
});

/** @since 0.1.0 */
export const domainIsPersistent = defineProcedure({
  name: 'domain.isPersistent',
  number: 112,
  since: '0.1.0',
  readonly: true,
  owner: 'virtqemud',
  access: 'domain:read',
  summary: 'Whether the domain has a saved config (survives being stopped).',
  args: ByUuid,
  result: Type.Object({ persistent: Type.Boolean() }),
});

/** @since 0.1.0 */
export const domainGetOSType = defineProcedure({
  name: 'domain.getOSType',
  number: 113,
  since: '0.1.0',
  readonly: true,
  owner: 'virtqemud',
  access: 'domain:read',
  summary: 'The guest OS type of the definition (`hvm`).',
  args: ByUuid,
  result: Type.Object({ osType: Type.String() }),
});

/** Starts a defined domain: spawns its QEMU; with `paused`, the vCPUs stay stopped. @since 0.1.0 */
export const domainCreate = defineProcedure({
  name: 'domain.create',
  number: 114,
  since: '0.1.0',
  readonly: false,
  owner: 'virtqemud',
  access: 'domain:start',
  summary: 'Start a defined, inactive domain (virDomainCreateWithFlags); `paused` leaves its vCPUs stopped.',
  args: Type.Object({ uuid: UuidSchema, paused: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  result: DomainRefSchema,
});

/** @since 0.1.0 */
export const domainCreateXML = defineProcedure({
  name: 'domain.createXML',
  number: 115,
  since: '0.1.0',
  readonly: false,
  owner: 'virtqemud',
  access: 'domain:start',
  summary: 'Create and start a transient domain from its XML; it disappears once it stops.',
  args: Type.Object(
    { xml: Type.String({ maxLength: MAX_DOMAIN_XML_LENGTH }), paused: Type.Optional(Type.Boolean()) },
    { additionalProperties: false },
  ),
  result: DomainRefSchema,
});

/** @since 0.1.0 */
export const domainDestroy = defineProcedure({
  name: 'domain.destroy',
  number: 116,
  since: '0.1.0',
  readonly: false,
  owner: 'virtqemud',
  access: 'domain:stop',
  summary: 'Kill the QEMU of a running domain; returns once the domain is shut off.',
  args: ByUuid,
  result: Empty,
});

/** @since 0.1.0 */
export const domainShutdown = defineProcedure({
  name: 'domain.shutdown',
  number: 117,
  since: '0.1.0',
  readonly: false,
  owner: 'virtqemud',
  access: 'domain:init_control',
  summary: 'Press the ACPI power button; returns at once, the guest decides whether and when to stop.',
  args: ByUuid,
  result: Empty,
});

/** @since 0.1.0 */
export const domainReset = defineProcedure({
  name: 'domain.reset',
  number: 118,
  since: '0.1.0',
  readonly: false,
  owner: 'virtqemud',
  access: 'domain:reset',
  summary: 'Hard-reset a running domain, as the reset button would.',
  args: ByUuid,
  result: Empty,
});

/** @since 0.1.0 */
export const domainSuspend = defineProcedure({
  name: 'domain.suspend',
  number: 119,
  since: '0.1.0',
  readonly: false,
  owner: 'virtqemud',
  access: 'domain:suspend',
  summary: 'Pause the vCPUs of a running domain; its QEMU stays.',
  args: ByUuid,
  result: Empty,
});

/** @since 0.1.0 */
export const domainResume = defineProcedure({
  name: 'domain.resume',
  number: 120,
  since: '0.1.0',
  readonly: false,
  owner: 'virtqemud',
  access: 'domain:suspend',
  summary: 'Resume the vCPUs of a paused domain.',
  args: ByUuid,
  result: Empty,
});

/** @since 0.1.0 */
export const domainSetMemory = defineProcedure({
  name: 'domain.setMemory',
  number: 121,
  since: '0.1.0',
  readonly: false,
  owner: 'virtqemud',
  access: 'domain:write',
  summary: "Set a running domain's balloon target (KiB), at most its maximum memory (virDomainSetMemory).",
  args: Type.Object({ uuid: UuidSchema, kib: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
  result: Empty,
});

/** @since 0.1.0 */
export const domainReboot = defineProcedure({
  name: 'domain.reboot',
  number: 122,
  since: '0.1.0',
  readonly: false,
  owner: 'virtqemud',
  access: 'domain:init_control',
  summary: 'Ask the guest to reboot (ACPI power button, then reset instead of power-off); the QEMU stays.',
  args: ByUuid,
  result: Empty,
});

/** Stats groups of virConnectGetAllDomainStats, by virsh domstats' option names. @since 0.1.0 */
export const DOMAIN_STATS_GROUPS = ['state', 'cpu-total', 'balloon', 'vcpu', 'interface', 'block'] as const;
export type DomainStatsGroup = (typeof DOMAIN_STATS_GROUPS)[number];

/** State filters of virConnectGetAllDomainStats: 'other' is any state but running, paused and shut off. @since 0.1.0 */
export const DOMAIN_STATS_STATE_FILTERS = ['running', 'paused', 'shutoff', 'other'] as const;
export type DomainStatsStateFilter = (typeof DOMAIN_STATS_STATE_FILTERS)[number];

/** One domain's stats: libvirt's typed parameters (`state.state`, `cpu.time`, `block.0.rd.bytes`...), in order. */
export const DomainStatsRecordSchema = Type.Object({
  domain: DomainRefSchema,
  params: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String(), Type.Boolean()])),
});
export type DomainStatsRecord = Static<typeof DomainStatsRecordSchema>;

/** @since 0.1.0 */
export const domainGetStats = defineProcedure({
  name: 'domain.getStats',
  number: 123,
  since: '0.1.0',
  readonly: true,
  owner: 'virtqemud',
  access: 'connect:search_domains',
  summary:
    "libvirt's virConnectGetAllDomainStats / virDomainListGetStats: the asked groups (all when none) for the given domains, or for every domain matching the list filters.",
  args: Type.Object(
    {
      /**
       * The domains to report, in this order (those that match `flags` and `states`, and
       * still exist, as libvirt filters a given list); absent: every matching domain, sorted by name.
       */
      uuids: Type.Optional(Type.Array(UuidSchema, { maxItems: 100000 })),
      groups: Type.Optional(Type.Array(Type.Union(DOMAIN_STATS_GROUPS.map((g) => Type.Literal(g))), { maxItems: 16 })),
      flags: Type.Optional(DomainListFlagsSchema),
      /**
       * Only domains in one of these states (virsh domstats --list-running, --list-paused,
       * --list-shutoff, --list-other; libvirt's VIR_CONNECT_LIST_DOMAINS_* state filters). @since 0.1.0
       */
      states: Type.Optional(
        Type.Array(Type.Union(DOMAIN_STATS_STATE_FILTERS.map((s) => Type.Literal(s))), { maxItems: 4 }),
      ),
    },
    { additionalProperties: false },
  ),
  result: Type.Object({ records: Type.Array(DomainStatsRecordSchema) }),
});

/** @since 0.1.0 */
export const domainOpenConsole = defineProcedure({
  name: 'domain.openConsole',
  number: 124,
  since: '0.1.0',
  readonly: false,
  owner: 'virtqemud',
  access: 'domain:open_device',
  summary:
    "Attach the call's stream to a running guest's console (a serial port's pty): guest output flows down, client input up. One session per console; `force` takes it over.",
  args: Type.Object(
    {
      uuid: UuidSchema,
      /** The console or serial alias (`serial0`, `console0`); absent: the first console. */
      device: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      force: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  result: Empty,
  stream: 'both',
});

/** Where domain.interfaceAddresses reads the addresses (virDomainInterfaceAddressesSource, by virsh's names). @since 0.1.0 */
export const DOMAIN_INTERFACE_ADDRESS_SOURCES = ['lease', 'agent', 'arp'] as const;
export type DomainInterfaceAddressSource = (typeof DOMAIN_INTERFACE_ADDRESS_SOURCES)[number];

/** virDomainInterface: one guest NIC, by its host-side name, and its addresses. @since 0.1.0 */
export const DomainInterfaceSchema = Type.Object({
  /** The tap device (`vnet0`). */
  name: Type.String(),
  hwaddr: Type.Optional(Type.String()),
  addrs: Type.Array(
    Type.Object({
      /** virIPAddrType: 0 IPv4, 1 IPv6. */
      type: Type.Integer({ minimum: 0, maximum: 1 }),
      addr: Type.String(),
      prefix: Type.Integer({ minimum: 0, maximum: 128 }),
    }),
  ),
});
export type DomainInterface = Static<typeof DomainInterfaceSchema>;

/** @since 0.1.0 */
export const domainInterfaceAddresses = defineProcedure({
  name: 'domain.interfaceAddresses',
  number: 125,
  since: '0.1.0',
  readonly: true,
  owner: 'virtqemud',
  access: 'domain:read',
  summary:
    "The IP addresses of a running domain's interfaces (virDomainInterfaceAddresses); 'lease': the DHCP leases of the virtual networks its `<interface type='network'>` are on.",
  args: Type.Object(
    { uuid: UuidSchema, source: Type.Union(DOMAIN_INTERFACE_ADDRESS_SOURCES.map((s) => Type.Literal(s))) },
    { additionalProperties: false },
  ),
  result: Type.Object({ interfaces: Type.Array(DomainInterfaceSchema) }),
});

/**
 * A domain was defined, undefined, started, stopped... A subscription may filter on
 * `{ uuid }` or `{ name }`. @since 0.1.0
 */
export const domainLifecycle = defineEvent({
  name: 'domain.lifecycle',
  number: 100,
  since: '0.1.0',
  owner: 'virtqemud',
  summary: 'Lifecycle change of a domain: virDomainEventType and its detail.',
  data: Type.Object({
    name: Type.String(),
    uuid: UuidSchema,
    event: Type.Integer({ minimum: 0 }),
    detail: Type.Integer({ minimum: 0 }),
  }),
});

export const DOMAIN_PROCEDURES = [
  domainDefineXML,
  domainUndefine,
  domainLookupByName,
  domainLookupByUUID,
  domainLookupByID,
  domainListAll,
  domainGetXMLDesc,
  domainGetInfo,
  domainGetState,
  domainSetAutostart,
  domainGetAutostart,
  domainIsActive,
  domainIsPersistent,
  domainGetOSType,
  domainCreate,
  domainCreateXML,
  domainDestroy,
  domainShutdown,
  domainReset,
  domainSuspend,
  domainResume,
  domainSetMemory,
  domainReboot,
  domainGetStats,
  domainOpenConsole,
  domainInterfaceAddresses,
] as const;

export const DOMAIN_EVENTS = [domainLifecycle] as const;
