/**
 * `storage.pool*`: the storage pools of virtstoraged (define, create, build, start, stop,
 * delete, refresh, look up, list, describe, autostart), the pool capabilities and the
 * `storage.poolLifecycle` / `storage.poolRefresh` events. Numbers start at 300 and are
 * append-only. States and event numbers are libvirt's own (virStoragePoolState,
 * virStoragePoolEventLifecycleType), flags are libvirt's flags spelled as booleans.
 */
import { Type, type Static } from '@sinclair/typebox';
import { UuidSchema } from './domain.js';
import { defineEvent, defineProcedure } from './procedure.js';

/** virStoragePoolState. @since 0.1.0 */
export const StoragePoolState = { INACTIVE: 0, BUILDING: 1, RUNNING: 2, DEGRADED: 3, INACCESSIBLE: 4 } as const;
export type StoragePoolState = (typeof StoragePoolState)[keyof typeof StoragePoolState];

/** virStoragePoolEventLifecycleType. @since 0.1.0 */
export const StoragePoolEventType = {
  DEFINED: 0,
  UNDEFINED: 1,
  STARTED: 2,
  STOPPED: 3,
  CREATED: 4,
  DELETED: 5,
} as const;

/** The pool types libvirt knows, for listAll's type filter (VIR_CONNECT_LIST_STORAGE_POOLS_<TYPE>). @since 0.1.0 */
export const STORAGE_POOL_TYPES = [
  'dir',
  'fs',
  'netfs',
  'logical',
  'disk',
  'iscsi',
  'iscsi-direct',
  'scsi',
  'mpath',
  'rbd',
  'sheepdog',
  'gluster',
  'zfs',
  'vstorage',
] as const;
export type StoragePoolType = (typeof STORAGE_POOL_TYPES)[number];

/** A pool XML document is at most 1 MiB. */
export const MAX_STORAGE_XML_LENGTH = 1024 * 1024;

/** Pool and volume names: what libvirt accepts in size; the driver refuses what cannot be a file name. */
export const StoragePoolNameSchema = Type.String({ minLength: 1, maxLength: 1024 });

/** What identifies a pool to a caller: libvirt's virStoragePoolPtr (name, uuid). @since 0.1.0 */
export const StoragePoolRefSchema = Type.Object({ name: Type.String(), uuid: UuidSchema });
export type StoragePoolRef = Static<typeof StoragePoolRefSchema>;

/** virConnectListAllStoragePools' filter flags; an unset pair means "either". @since 0.1.0 */
export const StoragePoolListFlagsSchema = Type.Object(
  {
    active: Type.Optional(Type.Boolean()),
    inactive: Type.Optional(Type.Boolean()),
    persistent: Type.Optional(Type.Boolean()),
    transient: Type.Optional(Type.Boolean()),
    autostart: Type.Optional(Type.Boolean()),
    noAutostart: Type.Optional(Type.Boolean()),
    /** Only pools of these types (VIR_CONNECT_LIST_STORAGE_POOLS_DIR, _FS, ...); absent or empty: any. */
    types: Type.Optional(Type.Array(Type.Union(STORAGE_POOL_TYPES.map((t) => Type.Literal(t))), { maxItems: 32 })),
  },
  { additionalProperties: false },
);
export type StoragePoolListFlags = Static<typeof StoragePoolListFlagsSchema>;

/**
 * How a build treats what is already on the target (VIR_STORAGE_POOL_BUILD_OVERWRITE /
 * _NO_OVERWRITE; for start and createXML, VIR_STORAGE_POOL_CREATE_WITH_BUILD[_OVERWRITE|_NO_OVERWRITE]).
 * Both at once are refused.
 */
const BuildFlags = {
  overwrite: Type.Optional(Type.Boolean()),
  noOverwrite: Type.Optional(Type.Boolean()),
};
const StartFlags = {
  /** Build the pool first (VIR_STORAGE_POOL_CREATE_WITH_BUILD); `overwrite`/`noOverwrite` imply it. */
  build: Type.Optional(Type.Boolean()),
  ...BuildFlags,
};

const ByUuid = Type.Object({ uuid: UuidSchema }, { additionalProperties: false });
const Empty = Type.Object({}, { additionalProperties: false });
const XmlArg = Type.String({ maxLength: MAX_STORAGE_XML_LENGTH });

/** @since 0.1.0 */
export const storagePoolDefineXML = defineProcedure({
  name: 'storage.poolDefineXML',
  number: 300,
  since: '0.1.0',
  readonly: false,
  owner: 'virtstoraged',
  access: 'storage_pool:write',
  summary: 'Define (or redefine, same name and uuid) a persistent pool from its XML; saved before the call returns.',
  args: Type.Object({ xml: XmlArg }, { additionalProperties: false }),
  result: StoragePoolRefSchema,
});

/** @since 0.1.0 */
export const storagePoolCreateXML = defineProcedure({
  name: 'storage.poolCreateXML',
  number: 301,
  since: '0.1.0',
  readonly: false,
  owner: 'virtstoraged',
  access: 'storage_pool:start',
  summary: 'Create and start a transient pool from its XML (optionally building it first); it disappears once stopped.',
  args: Type.Object({ xml: XmlArg, ...StartFlags }, { additionalProperties: false }),
  result: StoragePoolRefSchema,
});

/** @since 0.1.0 */
export const storagePoolBuild = defineProcedure({
  name: 'storage.poolBuild',
  number: 302,
  since: '0.1.0',
  readonly: false,
  owner: 'virtstoraged',
  access: 'storage_pool:format',
  summary:
    "Make the pool's underlying storage (a dir pool: its target directory); `overwrite`/`noOverwrite` as libvirt's flags.",
  args: Type.Object({ uuid: UuidSchema, ...BuildFlags }, { additionalProperties: false }),
  result: Empty,
});

/** @since 0.1.0 */
export const storagePoolCreate = defineProcedure({
  name: 'storage.poolCreate',
  number: 303,
  since: '0.1.0',
  readonly: false,
  owner: 'virtstoraged',
  access: 'storage_pool:start',
  summary:
    'Start a defined, inactive pool (virStoragePoolCreate), optionally building it first; its volumes are then listed.',
  args: Type.Object({ uuid: UuidSchema, ...StartFlags }, { additionalProperties: false }),
  result: Empty,
});

/** @since 0.1.0 */
export const storagePoolDestroy = defineProcedure({
  name: 'storage.poolDestroy',
  number: 304,
  since: '0.1.0',
  readonly: false,
  owner: 'virtstoraged',
  access: 'storage_pool:stop',
  summary: 'Stop an active pool; its data stays. A transient pool disappears.',
  args: ByUuid,
  result: Empty,
});

/** @since 0.1.0 */
export const storagePoolDelete = defineProcedure({
  name: 'storage.poolDelete',
  number: 305,
  since: '0.1.0',
  readonly: false,
  owner: 'virtstoraged',
  access: 'storage_pool:format',
  summary:
    "Remove an inactive pool's underlying storage (a dir pool: its empty target directory); the definition stays.",
  args: ByUuid,
  result: Empty,
});

/** @since 0.1.0 */
export const storagePoolUndefine = defineProcedure({
  name: 'storage.poolUndefine',
  number: 306,
  since: '0.1.0',
  readonly: false,
  owner: 'virtstoraged',
  access: 'storage_pool:delete',
  summary: 'Remove the saved config of an inactive pool.',
  args: ByUuid,
  result: Empty,
});

/** @since 0.1.0 */
export const storagePoolRefresh = defineProcedure({
  name: 'storage.poolRefresh',
  number: 307,
  since: '0.1.0',
  readonly: false,
  owner: 'virtstoraged',
  access: 'storage_pool:refresh',
  summary: "List an active pool's volumes again from the storage itself, and its capacity; emits storage.poolRefresh.",
  args: ByUuid,
  result: Empty,
});

/** @since 0.1.0 */
export const storagePoolLookupByName = defineProcedure({
  name: 'storage.poolLookupByName',
  number: 308,
  since: '0.1.0',
  readonly: true,
  owner: 'virtstoraged',
  access: 'storage_pool:getattr',
  summary: 'The pool called `name`.',
  args: Type.Object({ name: StoragePoolNameSchema }, { additionalProperties: false }),
  result: StoragePoolRefSchema,
});

/** @since 0.1.0 */
export const storagePoolLookupByUUID = defineProcedure({
  name: 'storage.poolLookupByUUID',
  number: 309,
  since: '0.1.0',
  readonly: true,
  owner: 'virtstoraged',
  access: 'storage_pool:getattr',
  summary: 'The pool with this uuid.',
  args: ByUuid,
  result: StoragePoolRefSchema,
});

/** @since 0.1.0 */
export const storagePoolLookupByVolume = defineProcedure({
  name: 'storage.poolLookupByVolume',
  number: 310,
  since: '0.1.0',
  readonly: true,
  owner: 'virtstoraged',
  access: 'storage_pool:getattr',
  summary: 'The pool holding the volume with this key (virStoragePoolLookupByVolume).',
  args: Type.Object({ key: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false }),
  result: StoragePoolRefSchema,
});

/** @since 0.1.0 */
export const storagePoolListAll = defineProcedure({
  name: 'storage.poolListAll',
  number: 311,
  since: '0.1.0',
  readonly: true,
  owner: 'virtstoraged',
  access: 'connect:search_storage_pools',
  summary:
    "Every pool matching libvirt's listAllStoragePools filters (state, persistence, autostart, type), sorted by name.",
  args: Type.Object({ flags: Type.Optional(StoragePoolListFlagsSchema) }, { additionalProperties: false }),
  result: Type.Object({ pools: Type.Array(StoragePoolRefSchema) }),
});

/** @since 0.1.0 */
export const storagePoolGetInfo = defineProcedure({
  name: 'storage.poolGetInfo',
  number: 312,
  since: '0.1.0',
  readonly: true,
  owner: 'virtstoraged',
  access: 'storage_pool:read',
  summary: "libvirt's virStoragePoolInfo: state, and capacity, allocation and available bytes (0 while inactive).",
  args: ByUuid,
  result: Type.Object({
    state: Type.Integer({ minimum: 0 }),
    capacity: Type.Integer({ minimum: 0 }),
    allocation: Type.Integer({ minimum: 0 }),
    available: Type.Integer({ minimum: 0 }),
  }),
});

/** @since 0.1.0 */
export const storagePoolGetXMLDesc = defineProcedure({
  name: 'storage.poolGetXMLDesc',
  number: 313,
  since: '0.1.0',
  readonly: true,
  owner: 'virtstoraged',
  access: 'storage_pool:read',
  summary: 'The pool XML with its current sizes, or with `inactive` the saved definition.',
  args: Type.Object({ uuid: UuidSchema, inactive: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  result: Type.Object({ xml: Type.String() }),
});

/** @since 0.1.0 */
export const storagePoolSetAutostart = defineProcedure({
  name: 'storage.poolSetAutostart',
  number: 314,
  since: '0.1.0',
  readonly: false,
  owner: 'virtstoraged',
  access: 'storage_pool:write',
  summary: 'Start (or not) the persistent pool when the daemon starts.',
  args: Type.Object({ uuid: UuidSchema, autostart: Type.Boolean() }, { additionalProperties: false }),
  result: Empty,
});

/** @since 0.1.0 */
export const storagePoolGetAutostart = defineProcedure({
  name: 'storage.poolGetAutostart',
  number: 315,
  since: '0.1.0',
  readonly: true,
  owner: 'virtstoraged',
  access: 'storage_pool:read',
  summary: 'Whether the pool is marked for autostart.',
  args: ByUuid,
  result: Type.Object({ autostart: Type.Boolean() }),
});

/** @since 0.1.0 */
export const storagePoolIsActive = defineProcedure({
  name: 'storage.poolIsActive',
  number: 316,
  since: '0.1.0',
  readonly: true,
  owner: 'virtstoraged',
  access: 'storage_pool:read',
  summary: 'Whether the pool is started.',
  args: ByUuid,
  result: Type.Object({ active: Type.Boolean() }),
});

/** @since 0.1.0 */
export const storagePoolIsPersistent = defineProcedure({
  name: 'storage.poolIsPersistent',
  number: 317,
  since: '0.1.0',
  readonly: true,
  owner: 'virtstoraged',
  access: 'storage_pool:read',
  summary: 'Whether the pool has a saved config (survives being stopped).',
  args: ByUuid,
  result: Type.Object({ persistent: Type.Boolean() }),
});

/** @since 0.1.0 */
export const connectGetStoragePoolCapabilities = defineProcedure({
  name: 'connect.getStoragePoolCapabilities',
  number: 318,
  since: '0.1.0',
  readonly: true,
  owner: 'virtstoraged',
  access: 'connect:read',
  summary: 'The pool types this daemon supports (those whose tools are present) and their formats, as libvirt XML.',
  args: Empty,
  result: Type.Object({ xml: Type.String() }),
});

/** Pool lifecycle (virConnectStoragePoolEventLifecycleCallback); filter on `{ uuid }` or `{ name }`. @since 0.1.0 */
export const storagePoolLifecycle = defineEvent({
  name: 'storage.poolLifecycle',
  number: 300,
  since: '0.1.0',
  owner: 'virtstoraged',
  summary: 'Lifecycle change of a pool: virStoragePoolEventLifecycleType (detail always 0).',
  data: Type.Object({
    name: Type.String(),
    uuid: UuidSchema,
    event: Type.Integer({ minimum: 0 }),
    detail: Type.Integer({ minimum: 0 }),
  }),
});

/** A pool was refreshed (virConnectStoragePoolEventGenericCallback); filter on `{ uuid }` or `{ name }`. @since 0.1.0 */
export const storagePoolRefreshEvent = defineEvent({
  name: 'storage.poolRefresh',
  number: 301,
  since: '0.1.0',
  owner: 'virtstoraged',
  summary: "A pool's volumes were listed again (the storage.poolRefresh procedure, or a start).",
  data: Type.Object({ name: Type.String(), uuid: UuidSchema }),
});

export const STORAGE_POOL_PROCEDURES = [
  storagePoolDefineXML,
  storagePoolCreateXML,
  storagePoolBuild,
  storagePoolCreate,
  storagePoolDestroy,
  storagePoolDelete,
  storagePoolUndefine,
  storagePoolRefresh,
  storagePoolLookupByName,
  storagePoolLookupByUUID,
  storagePoolLookupByVolume,
  storagePoolListAll,
  storagePoolGetInfo,
  storagePoolGetXMLDesc,
  storagePoolSetAutostart,
  storagePoolGetAutostart,
  storagePoolIsActive,
  storagePoolIsPersistent,
  connectGetStoragePoolCapabilities,
] as const;

export const STORAGE_POOL_EVENTS = [storagePoolLifecycle, storagePoolRefreshEvent] as const;
