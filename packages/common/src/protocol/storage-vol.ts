/**
 * `storage.vol*`: the volumes of a storage pool (create, clone, delete, wipe, resize,
 * describe, look up, list, upload, download). Numbers start at 400 and are append-only.
 * A volume is named by its pool's name and its own name, as libvirt's virStorageVolPtr
 * is; its key (a dir pool: its path) finds it across pools.
 */
import { Type, type Static } from '@sinclair/typebox';
import { defineProcedure } from './procedure.js';
import { MAX_STORAGE_XML_LENGTH, StoragePoolNameSchema } from './storage-pool.js';

/** virStorageVolType. @since 0.1.0 */
export const StorageVolType = { FILE: 0, BLOCK: 1, DIR: 2, NETWORK: 3, NETDIR: 4, PLOOP: 5 } as const;
export type StorageVolType = (typeof StorageVolType)[keyof typeof StorageVolType];

/** virStorageVolWipeAlgorithm; only ZERO is implemented, the others are refused (ARGUMENT_UNSUPPORTED). @since 0.1.0 */
export const StorageVolWipeAlgorithm = {
  ZERO: 0,
  NNSA: 1,
  DOD: 2,
  BSI: 3,
  GUTMANN: 4,
  SCHNEIER: 5,
  PFITZNER7: 6,
  PFITZNER33: 7,
  RANDOM: 8,
  TRIM: 9,
} as const;

export const StorageVolNameSchema = Type.String({ minLength: 1, maxLength: 255 });

/** What identifies a volume: libvirt's virStorageVolPtr (pool name, name, key). @since 0.1.0 */
export const StorageVolRefSchema = Type.Object({ pool: Type.String(), name: Type.String(), key: Type.String() });
export type StorageVolRef = Static<typeof StorageVolRefSchema>;

const VolArgs = { pool: StoragePoolNameSchema, name: StorageVolNameSchema };
const ByVol = Type.Object(VolArgs, { additionalProperties: false });
const Empty = Type.Object({}, { additionalProperties: false });
/** Preallocation modes of qemu-img create/convert. @since 0.1.0 */
export const STORAGE_VOL_PREALLOCATIONS = ['off', 'metadata', 'falloc', 'full'] as const;
const PreallocationSchema = Type.Union(STORAGE_VOL_PREALLOCATIONS.map((p) => Type.Literal(p)));

const ByteCount = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

/**
 * Where a transfer starts and how much it moves, as virsh vol-upload/vol-download's
 * --offset/--length (0 or absent: to the end). With `sparse`, the stream carries records
 * instead of raw bytes (see {@link SPARSE_RECORD_HEADER_BYTES}), so holes cross as a length.
 */
const TransferArgs = {
  ...VolArgs,
  offset: Type.Optional(ByteCount),
  length: Type.Optional(ByteCount),
  sparse: Type.Optional(Type.Boolean()),
};

/** @since 0.1.0 */
export const storageVolCreateXML = defineProcedure({
  name: 'storage.volCreateXML',
  number: 400,
  since: '0.1.0',
  readonly: false,
  owner: 'virtstoraged',
  access: 'storage_vol:create',
  summary:
    'Create a volume in an active pool from its XML (raw sparse or allocated, qcow2 with preallocation, on a backing store); `preallocMetadata` as VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA.',
  args: Type.Object(
    {
      pool: StoragePoolNameSchema,
      xml: Type.String({ maxLength: MAX_STORAGE_XML_LENGTH }),
      preallocMetadata: Type.Optional(Type.Boolean()),
      /**
       * tsvirt extension: the preallocation to use (qemu-img's off, metadata, falloc, full), overriding
       * libvirt's choice from the allocation and `preallocMetadata`.
       */
      preallocation: Type.Optional(PreallocationSchema),
    },
    { additionalProperties: false },
  ),
  result: StorageVolRefSchema,
});

/** @since 0.1.0 */
export const storageVolCreateXMLFrom = defineProcedure({
  name: 'storage.volCreateXMLFrom',
  number: 401,
  since: '0.1.0',
  readonly: false,
  owner: 'virtstoraged',
  access: 'storage_vol:create',
  summary:
    "Create a volume in `pool` from its XML, filled with the content of another volume (`fromPool`/`fromName`, any active pool), converted to the new volume's format.",
  args: Type.Object(
    {
      pool: StoragePoolNameSchema,
      xml: Type.String({ maxLength: MAX_STORAGE_XML_LENGTH }),
      fromPool: StoragePoolNameSchema,
      fromName: StorageVolNameSchema,
      preallocMetadata: Type.Optional(Type.Boolean()),
      /** tsvirt extension, as for storage.volCreateXML. */
      preallocation: Type.Optional(PreallocationSchema),
    },
    { additionalProperties: false },
  ),
  result: StorageVolRefSchema,
});

/** @since 0.1.0 */
export const storageVolDelete = defineProcedure({
  name: 'storage.volDelete',
  number: 402,
  since: '0.1.0',
  readonly: false,
  owner: 'virtstoraged',
  access: 'storage_vol:delete',
  summary: 'Delete a volume; with `zeroed` (VIR_STORAGE_VOL_DELETE_ZEROED) its data is overwritten with zeros first.',
  args: Type.Object({ ...VolArgs, zeroed: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  result: Empty,
});

/** @since 0.1.0 */
export const storageVolWipe = defineProcedure({
  name: 'storage.volWipe',
  number: 403,
  since: '0.1.0',
  readonly: false,
  owner: 'virtstoraged',
  access: 'storage_vol:format',
  summary:
    "Overwrite a volume's data (virStorageVolWipePattern; ZERO, the default, is the only algorithm implemented).",
  args: Type.Object(
    { ...VolArgs, algorithm: Type.Optional(Type.Integer({ minimum: 0, maximum: 9 })) },
    { additionalProperties: false },
  ),
  result: Empty,
});

/** @since 0.1.0 */
export const storageVolResize = defineProcedure({
  name: 'storage.volResize',
  number: 404,
  since: '0.1.0',
  readonly: false,
  owner: 'virtstoraged',
  access: 'storage_vol:resize',
  summary:
    "Change a volume's capacity (bytes): `delta` adds to it (subtracts with `shrink`), `allocate` allocates the new space, a smaller size needs `shrink` and is refused below the allocation.",
  args: Type.Object(
    {
      ...VolArgs,
      capacity: ByteCount,
      allocate: Type.Optional(Type.Boolean()),
      delta: Type.Optional(Type.Boolean()),
      shrink: Type.Optional(Type.Boolean()),
      /** tsvirt extension: allow a capacity below the volume's allocation (what lies beyond is lost). */
      force: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  result: Empty,
});

/** @since 0.1.0 */
export const storageVolGetInfo = defineProcedure({
  name: 'storage.volGetInfo',
  number: 405,
  since: '0.1.0',
  readonly: true,
  owner: 'virtstoraged',
  access: 'storage_vol:read',
  summary: "libvirt's virStorageVolInfo: type, capacity and allocation in bytes (and the file's physical size).",
  args: ByVol,
  result: Type.Object({
    type: Type.Integer({ minimum: 0 }),
    capacity: ByteCount,
    allocation: ByteCount,
    physical: ByteCount,
  }),
});

/** @since 0.1.0 */
export const storageVolGetXMLDesc = defineProcedure({
  name: 'storage.volGetXMLDesc',
  number: 406,
  since: '0.1.0',
  readonly: true,
  owner: 'virtstoraged',
  access: 'storage_vol:read',
  summary: 'The volume XML, with its current sizes and format.',
  args: ByVol,
  result: Type.Object({ xml: Type.String() }),
});

/** @since 0.1.0 */
export const storageVolGetPath = defineProcedure({
  name: 'storage.volGetPath',
  number: 407,
  since: '0.1.0',
  readonly: true,
  owner: 'virtstoraged',
  access: 'storage_vol:read',
  summary: "The volume's path on the host.",
  args: ByVol,
  result: Type.Object({ path: Type.String() }),
});

/** @since 0.1.0 */
export const storageVolLookupByName = defineProcedure({
  name: 'storage.volLookupByName',
  number: 408,
  since: '0.1.0',
  readonly: true,
  owner: 'virtstoraged',
  access: 'storage_vol:getattr',
  summary: 'The volume called `name` in the active pool `pool`.',
  args: ByVol,
  result: StorageVolRefSchema,
});

/** @since 0.1.0 */
export const storageVolLookupByKey = defineProcedure({
  name: 'storage.volLookupByKey',
  number: 409,
  since: '0.1.0',
  readonly: true,
  owner: 'virtstoraged',
  access: 'storage_vol:getattr',
  summary: 'The volume with this key, in any active pool.',
  args: Type.Object({ key: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false }),
  result: StorageVolRefSchema,
});

/** @since 0.1.0 */
export const storageVolLookupByPath = defineProcedure({
  name: 'storage.volLookupByPath',
  number: 410,
  since: '0.1.0',
  readonly: true,
  owner: 'virtstoraged',
  access: 'storage_vol:getattr',
  summary: 'The volume at this path, in any active pool (the path is compared as given and resolved).',
  args: Type.Object({ path: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false }),
  result: StorageVolRefSchema,
});

/** @since 0.1.0 */
export const storageVolListAll = defineProcedure({
  name: 'storage.volListAll',
  number: 411,
  since: '0.1.0',
  readonly: true,
  owner: 'virtstoraged',
  access: 'storage_pool:search_storage_vols',
  summary: 'Every volume of an active pool as last refreshed, sorted by name (virStoragePoolListAllVolumes).',
  args: Type.Object({ pool: StoragePoolNameSchema }, { additionalProperties: false }),
  result: Type.Object({ volumes: Type.Array(StorageVolRefSchema) }),
});

/** @since 0.1.0 */
export const storageVolUpload = defineProcedure({
  name: 'storage.volUpload',
  number: 412,
  since: '0.1.0',
  readonly: false,
  owner: 'virtstoraged',
  access: 'storage_vol:data_write',
  summary:
    "Write the call's stream into the volume from `offset` (at most `length` bytes); the daemon finishes its side once the data is on disk, or aborts the stream with the error.",
  args: Type.Object(TransferArgs, { additionalProperties: false }),
  result: Empty,
  stream: 'upload',
});

/** @since 0.1.0 */
export const storageVolDownload = defineProcedure({
  name: 'storage.volDownload',
  number: 413,
  since: '0.1.0',
  // Not read-only: the data of a volume (a guest's disk) is more than its description.
  readonly: false,
  owner: 'virtstoraged',
  access: 'storage_vol:data_read',
  summary: "Read the volume from `offset` (`length` bytes, 0: to the end) into the call's stream.",
  args: Type.Object(TransferArgs, { additionalProperties: false }),
  result: Empty,
  stream: 'download',
});

/**
 * A sparse stream (`sparse: true`) is a sequence of records: a 9-byte header, kind (1
 * byte: {@link SparseRecordKind}) and length (uint64 big-endian), then, for DATA, that
 * many bytes. A HOLE record stands for `length` zero bytes that are not sent.
 * @since 0.1.0
 */
export const SPARSE_RECORD_HEADER_BYTES = 9;
export const SparseRecordKind = { DATA: 0, HOLE: 1 } as const;

export const STORAGE_VOL_PROCEDURES = [
  storageVolCreateXML,
  storageVolCreateXMLFrom,
  storageVolDelete,
  storageVolWipe,
  storageVolResize,
  storageVolGetInfo,
  storageVolGetXMLDesc,
  storageVolGetPath,
  storageVolLookupByName,
  storageVolLookupByKey,
  storageVolLookupByPath,
  storageVolListAll,
  storageVolUpload,
  storageVolDownload,
] as const;
