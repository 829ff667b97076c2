/**
 * Storage volume commands with virsh's options, output and error lines (virsh-volume.c):
 * vol-create, vol-create-as, vol-create-from, vol-clone, vol-delete, vol-wipe, vol-resize,
 * vol-list, vol-info, vol-dumpxml, vol-path, vol-key, vol-name, vol-pool. vol-upload and
 * vol-download are in volume-transfer.ts.
 */
import {
  createVolume,
  createVolumeFrom,
  deleteVolume,
  getVolumeInfo,
  getVolumePath,
  getVolumeXML,
  listAllVolumes,
  lookupPoolByVolume,
  lookupVolumeByKey,
  lookupVolumeByName,
  lookupVolumeByPath,
  resizeVolume,
  wipeVolume,
  type Connection,
  type StorageVolInfo,
} from '@tsvirt/client';
import type { CommandContext, CommandDecl, OptionDecl } from '../command.js';
import { CommandError } from '../errors.js';
import { formatTable } from './domain.js';
import { readXmlFile, storageFailure } from './pool.js';
import { ProgressBar } from './progress-bar.js';
import {
  OPTIONAL_POOL_OPTION,
  POOL_OPTION,
  VOL_OPTION,
  lookupVol,
  poolOption,
  volOption,
  type VolRef,
} from './storage-args.js';
import {
  WIPE_ALGORITHMS,
  buildVolXml,
  cloneVolXml,
  describeStorageError,
  malformedSizeReason,
  parseVolSize,
  prettyCapacity,
  volTypeName,
} from './storage-format.js';

const PREALLOC_OPTION: OptionDecl = {
  name: 'prealloc-metadata',
  type: 'bool',
  help: 'preallocate metadata (for qcow2 instead of full allocation)',
};
const VALIDATE_OPTION: OptionDecl = { name: 'validate', type: 'bool', help: 'validate the XML against the schema' };
const VOL_FILE_OPTION: OptionDecl = {
  name: 'file',
  type: 'string',
  required: true,
  positional: true,
  help: 'file containing an XML vol description',
};
const REFLINK_OPTION: OptionDecl = { name: 'reflink', type: 'bool', help: 'use btrfs COW lightweight copy' };

const preallocFlag = (ctx: CommandContext): { preallocMetadata?: boolean } =>
  ctx.args.bool('prealloc-metadata') ? { preallocMetadata: true } : {};

/** --reflink asks for a copy-on-write clone, which the protocol has no flag for; refused rather than ignored. */
function refuseReflink(ctx: CommandContext): void {
  if (ctx.args.bool('reflink')) throw new CommandError('argument unsupported: reflink copies are not supported');
}

const volCreate: CommandDecl = {
  name: 'vol-create',
  group: 'volume',
  summary: 'create a vol from an XML file',
  description: 'Create a vol.',
  options: [{ ...POOL_OPTION, help: 'pool name' }, VOL_FILE_OPTION, PREALLOC_OPTION, VALIDATE_OPTION],
  async run(ctx) {
    const { conn, pool } = await poolOption(ctx);
    const file = ctx.args.string('file') ?? '';
    const xml = readXmlFile(file);
    let vol: VolRef;
    try {
      vol = await createVolume(conn, pool.name, xml, preallocFlag(ctx));
    } catch (err) {
      throw storageFailure(`Failed to create vol from ${file}`, err);
    }
    ctx.out.extra(`Vol ${vol.name} created from ${file}\n`);
  },
};

/** A size option as virshVolSize reads it, or virsh's "Malformed size" error. */
function sizeArg(text: string): number {
  const bytes = parseVolSize(text);
  if (bytes !== undefined) return bytes;
  const reason = malformedSizeReason(text);
  throw reason === undefined
    ? new CommandError(`Malformed size ${text}`)
    : new CommandError(`Malformed size ${text}`, reason);
}

/** --backing-vol as cmdVolCreateAs finds it: a name in the pool, then a key, then a path; its path goes in the XML. */
async function backingPath(conn: Connection, poolName: string, text: string): Promise<string> {
  const attempts = [
    () => lookupVolumeByName(conn, poolName, text),
    () => lookupVolumeByKey(conn, text),
    () => lookupVolumeByPath(conn, text),
  ];
  let last: unknown;
  for (const attempt of attempts) {
    let vol: VolRef;
    try {
      vol = await attempt();
    } catch (err) {
      last = err;
      continue;
    }
    return getVolumePath(conn, vol);
  }
  throw new CommandError(`failed to get vol '${text}'`, describeStorageError(last));
}

const volCreateAs: CommandDecl = {
  name: 'vol-create-as',
  group: 'volume',
  summary: 'create a volume from a set of args',
  description: 'Create a vol.',
  options: [
    { ...POOL_OPTION, help: 'pool name' },
    { name: 'name', type: 'string', required: true, positional: true, help: 'name of the volume' },
    {
      name: 'capacity',
      type: 'string',
      required: true,
      positional: true,
      help: 'size of the vol, as scaled integer (default bytes)',
    },
    { name: 'allocation', type: 'string', help: 'initial allocation size, as scaled integer (default bytes)' },
    { name: 'format', type: 'string', help: 'file format type raw,bochs,qcow,qcow2,qed,vmdk' },
    { name: 'backing-vol', type: 'string', help: 'the backing volume if taking a snapshot' },
    { name: 'backing-vol-format', type: 'string', help: 'format of backing volume if taking a snapshot' },
    PREALLOC_OPTION,
    { name: 'print-xml', type: 'bool', help: "print XML document, but don't define/create" },
  ],
  async run(ctx) {
    const { conn, pool } = await poolOption(ctx);
    const name = ctx.args.string('name') ?? '';
    const capacity = sizeArg(ctx.args.string('capacity') ?? '');
    const allocationText = ctx.args.string('allocation');
    const allocation = allocationText !== undefined ? sizeArg(allocationText) : undefined;
    const format = ctx.args.string('format');
    const backingText = ctx.args.string('backing-vol');
    const backingFormat = ctx.args.string('backing-vol-format');
    const xml = buildVolXml({
      name,
      capacity,
      ...(allocation !== undefined ? { allocation } : {}),
      ...(format !== undefined ? { format } : {}),
      ...(backingText !== undefined
        ? {
            backing: {
              path: await backingPath(conn, pool.name, backingText),
              ...(backingFormat !== undefined ? { format: backingFormat } : {}),
            },
          }
        : {}),
    });
    if (ctx.args.bool('print-xml')) {
      ctx.out.print(xml);
      return;
    }
    try {
      await createVolume(conn, pool.name, xml, preallocFlag(ctx));
    } catch (err) {
      throw storageFailure(`Failed to create vol ${name}`, err);
    }
    ctx.out.extra(`Vol ${name} created\n`);
  },
};

/**
 * Runs a volume-creating call with a progress bar fed by polling the new volume's
 * allocation against the source's (the call itself reports nothing until it is done).
 */
async function withCloneProgress<T>(
  conn: Connection,
  source: VolRef,
  target: { pool: string; name: string },
  call: Promise<T>,
): Promise<T> {
  const bar = new ProgressBar('Cloning', undefined);
  if (!bar.active) return call;
  // the call may fail while the sizes are read; it is awaited below
  call.catch(() => undefined);
  const total = (await getVolumeInfo(conn, source).catch(() => undefined))?.allocation;
  bar.setTotal(total);
  let done = false;
  const poll = async (): Promise<void> => {
    while (!done) {
      const info = await getVolumeInfo(conn, target).catch(() => undefined);
      if (done) break;
      bar.update(Math.min(info?.allocation ?? 0, total ?? Number.MAX_SAFE_INTEGER));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  const polling = poll();
  try {
    const result = await call;
    done = true;
    await polling;
    bar.finish(total ?? 0);
    return result;
  } catch (err) {
    done = true;
    await polling;
    bar.finish();
    throw err;
  }
}

const volCreateFrom: CommandDecl = {
  name: 'vol-create-from',
  group: 'volume',
  summary: 'create a vol, using another volume as input',
  description: 'Create a vol from an existing volume.',
  options: [
    POOL_OPTION,
    VOL_FILE_OPTION,
    VOL_OPTION,
    { name: 'inputpool', type: 'string', help: "pool name or uuid of the input volume's pool" },
    PREALLOC_OPTION,
    REFLINK_OPTION,
    VALIDATE_OPTION,
  ],
  async run(ctx) {
    const { conn, pool } = await poolOption(ctx);
    refuseReflink(ctx);
    const file = ctx.args.string('file') ?? '';
    const input = await lookupVol(conn, ctx.args.string('vol') ?? '', ctx.args.string('inputpool'), {
      byName: true,
      poolOption: 'inputpool',
    });
    const xml = readXmlFile(file);
    let vol: VolRef;
    try {
      const call = createVolumeFrom(conn, pool.name, xml, input, preallocFlag(ctx));
      const newName = /<name>([^<]*)<\/name>/.exec(xml)?.[1];
      vol =
        newName !== undefined
          ? await withCloneProgress(conn, input, { pool: pool.name, name: newName }, call)
          : await call;
    } catch (err) {
      throw storageFailure(`Failed to create vol from ${file}`, err);
    }
    ctx.out.extra(`Vol ${vol.name} created from input vol ${input.name}\n`);
  },
};

const volClone: CommandDecl = {
  name: 'vol-clone',
  group: 'volume',
  summary: 'clone a volume.',
  description: 'Clone an existing volume within the parent pool.',
  options: [
    VOL_OPTION,
    { name: 'newname', type: 'string', required: true, positional: true, help: 'clone name' },
    OPTIONAL_POOL_OPTION,
    PREALLOC_OPTION,
    REFLINK_OPTION,
    { name: 'print-xml', type: 'bool', help: 'print XML document rather than clone the volume' },
  ],
  async run(ctx) {
    const { conn, vol } = await volOption(ctx);
    refuseReflink(ctx);
    const newName = ctx.args.string('newname') ?? '';
    let origXml: string;
    try {
      origXml = await getVolumeXML(conn, vol);
    } catch (err) {
      throw new CommandError(describeStorageError(err));
    }
    const xml = cloneVolXml(origXml, newName);
    if (xml === undefined) throw new CommandError('Failed to allocate XML buffer');
    if (ctx.args.bool('print-xml')) {
      ctx.out.print(xml.endsWith('\n') ? xml : `${xml}\n`);
      return;
    }
    let clone: VolRef;
    try {
      const call = createVolumeFrom(conn, vol.pool, xml, vol, preallocFlag(ctx));
      clone = await withCloneProgress(conn, vol, { pool: vol.pool, name: newName }, call);
    } catch (err) {
      throw storageFailure(`Failed to clone vol from ${vol.name}`, err);
    }
    ctx.out.extra(`Vol ${clone.name} cloned from ${vol.name}\n`);
  },
};

const volDelete: CommandDecl = {
  name: 'vol-delete',
  group: 'volume',
  summary: 'delete a vol',
  description: 'Delete a given vol.',
  options: [
    VOL_OPTION,
    OPTIONAL_POOL_OPTION,
    {
      name: 'delete-snapshots',
      type: 'bool',
      help: 'delete snapshots associated with volume (must be supported by storage driver)',
    },
  ],
  async run(ctx) {
    const { conn, vol, text } = await volOption(ctx);
    try {
      // only libvirt's rbd backend keeps volume snapshots; the protocol has no such flag
      if (ctx.args.bool('delete-snapshots')) {
        throw new CommandError(
          `Failed to delete vol ${text}`,
          'argument unsupported: volume snapshots are not supported',
        );
      }
      await deleteVolume(conn, vol);
    } catch (err) {
      if (err instanceof CommandError) throw err;
      throw storageFailure(`Failed to delete vol ${text}`, err);
    }
    ctx.out.extra(`Vol ${text} deleted\n`);
  },
};

const volWipe: CommandDecl = {
  name: 'vol-wipe',
  group: 'volume',
  summary: 'wipe a vol',
  description: 'Ensure data previously on a volume is not accessible to future reads',
  options: [
    VOL_OPTION,
    OPTIONAL_POOL_OPTION,
    { name: 'algorithm', type: 'string', help: 'perform selected wiping algorithm' },
  ],
  async run(ctx) {
    const { conn, vol, text } = await volOption(ctx);
    const algorithmText = ctx.args.string('algorithm');
    let algorithm = 0;
    if (algorithmText !== undefined) {
      algorithm = (WIPE_ALGORITHMS as readonly string[]).indexOf(algorithmText);
      if (algorithm < 0) throw new CommandError(`Unsupported algorithm '${algorithmText}'`);
    }
    try {
      await wipeVolume(conn, vol, algorithm);
    } catch (err) {
      throw storageFailure(`Failed to wipe vol ${text}`, err);
    }
    ctx.out.extra(`Vol ${text} wiped\n`);
  },
};

const volResize: CommandDecl = {
  name: 'vol-resize',
  group: 'volume',
  summary: 'resize a vol',
  description:
    'Resizes a storage volume. This is safe only for storage volumes not in use by an active guest.\nSee blockresize for live resizing.',
  options: [
    VOL_OPTION,
    {
      name: 'capacity',
      type: 'string',
      required: true,
      positional: true,
      help: 'new capacity for the vol, as scaled integer (default bytes)',
    },
    OPTIONAL_POOL_OPTION,
    { name: 'allocate', type: 'bool', help: 'allocate the new capacity, rather than leaving it sparse' },
    { name: 'delta', type: 'bool', help: 'use capacity as a delta to current size, rather than the new size' },
    { name: 'shrink', type: 'bool', help: 'allow the resize to shrink the volume' },
  ],
  async run(ctx) {
    const { conn, vol } = await volOption(ctx);
    const shrink = ctx.args.bool('shrink');
    let delta = ctx.args.bool('delta');
    let text = (ctx.args.string('capacity') ?? '').trimStart();
    if (text.startsWith('-')) {
      // the API takes a positive size; virsh lets a negative one mean "shrink by"
      if (!shrink) throw new CommandError('negative size requires --shrink');
      text = text.slice(1);
      delta = true;
    }
    const capacity = sizeArg(text);
    try {
      await resizeVolume(conn, vol, capacity, { allocate: ctx.args.bool('allocate'), delta, shrink });
    } catch (err) {
      throw storageFailure(`Failed to change size of volume '${vol.name}' ${delta ? 'by' : 'to'} ${text}`, err);
    }
    ctx.out.extra(`Size of volume '${vol.name}' successfully changed ${delta ? 'by' : 'to'} ${text}\n`);
  },
};

const volList: CommandDecl = {
  name: 'vol-list',
  group: 'volume',
  summary: 'list vols',
  description: 'Returns list of vols by pool.',
  options: [POOL_OPTION, { name: 'details', type: 'bool', help: 'display extended details for volumes' }],
  async run(ctx) {
    const { conn, pool } = await poolOption(ctx);
    let volumes: VolRef[];
    try {
      volumes = await listAllVolumes(conn, pool.name);
    } catch (err) {
      throw storageFailure('Failed to list volumes', err);
    }
    const details = ctx.args.bool('details');
    // vshStrcasecmp order
    volumes = [...volumes].sort((a, b) => {
      const x = a.name.toLowerCase();
      const y = b.name.toLowerCase();
      return x < y ? -1 : x > y ? 1 : 0;
    });
    const rows = await Promise.all(
      volumes.map(async (vol) => {
        const path = await getVolumePath(conn, vol).catch(() => 'unknown');
        if (!details) return [vol.name, path];
        const info = await getVolumeInfo(conn, vol).catch(() => undefined);
        if (!info) return [vol.name, path, 'unknown', 'unknown', 'unknown'];
        return [vol.name, path, volTypeName(info.type), prettyCapacity(info.capacity), prettyCapacity(info.allocation)];
      }),
    );
    const table = formatTable(details ? ['Name', 'Path', 'Type', 'Capacity', 'Allocation'] : ['Name', 'Path'], rows);
    ctx.out.extra(table.head);
    ctx.out.print(table.body);
  },
};

/** `%-15s %s` rows, as cmdVolInfo prints them. */
const infoRow = (key: string, value: string): string => `${key.padEnd(15)} ${value}\n`;

const volInfo: CommandDecl = {
  name: 'vol-info',
  group: 'volume',
  summary: 'storage vol information',
  description: 'Returns basic information about the storage vol.',
  options: [
    VOL_OPTION,
    OPTIONAL_POOL_OPTION,
    { name: 'bytes', type: 'bool', help: 'sizes are represented in bytes rather than pretty units' },
    { name: 'physical', type: 'bool', help: 'return the physical size of the volume in allocation field' },
  ],
  async run(ctx) {
    const { conn, vol } = await volOption(ctx);
    ctx.out.print(infoRow('Name:', vol.name));
    let info: StorageVolInfo;
    try {
      info = await getVolumeInfo(conn, vol);
    } catch (err) {
      throw new CommandError(describeStorageError(err));
    }
    const physical = ctx.args.bool('physical');
    const size = ctx.args.bool('bytes') ? (n: number): string => `${n} bytes` : prettyCapacity;
    ctx.out.print(infoRow('Type:', volTypeName(info.type)));
    ctx.out.print(infoRow('Capacity:', size(info.capacity)));
    ctx.out.print(infoRow(physical ? 'Physical:' : 'Allocation:', size(physical ? info.physical : info.allocation)));
  },
};

const volDumpxml: CommandDecl = {
  name: 'vol-dumpxml',
  group: 'volume',
  summary: 'vol information in XML',
  description: 'Output the vol information as an XML dump to stdout.',
  options: [VOL_OPTION, OPTIONAL_POOL_OPTION],
  async run(ctx) {
    const { conn, vol } = await volOption(ctx);
    let xml: string;
    try {
      xml = await getVolumeXML(conn, vol);
    } catch (err) {
      throw new CommandError(describeStorageError(err));
    }
    ctx.out.print(xml.endsWith('\n') ? xml : `${xml}\n`);
  },
};

const volPath: CommandDecl = {
  name: 'vol-path',
  group: 'volume',
  summary: 'returns the volume path for a given volume name or key',
  options: [{ ...VOL_OPTION, help: 'volume name or key' }, OPTIONAL_POOL_OPTION],
  async run(ctx) {
    const { conn, vol } = await volOption(ctx);
    let path: string;
    try {
      path = await getVolumePath(conn, vol);
    } catch (err) {
      throw new CommandError(describeStorageError(err));
    }
    ctx.out.print(`${path}\n`);
  },
};

const volKey: CommandDecl = {
  name: 'vol-key',
  group: 'volume',
  summary: 'returns the volume key for a given volume name or path',
  options: [{ ...VOL_OPTION, help: 'volume name or path' }, OPTIONAL_POOL_OPTION],
  async run(ctx) {
    ctx.out.print(`${(await volOption(ctx)).vol.key}\n`);
  },
};

/** vol-name and vol-pool look a volume up by key or path only, with no --pool. */
async function volByKeyOrPath(ctx: CommandContext): Promise<{ conn: Connection; vol: VolRef }> {
  const conn = await ctx.connection();
  const vol = await lookupVol(conn, ctx.args.string('vol') ?? '', undefined, { byName: false, poolOption: undefined });
  return { conn, vol };
}

const volName: CommandDecl = {
  name: 'vol-name',
  group: 'volume',
  summary: 'returns the volume name for a given volume key or path',
  options: [{ ...VOL_OPTION, help: 'volume key or path' }],
  async run(ctx) {
    ctx.out.print(`${(await volByKeyOrPath(ctx)).vol.name}\n`);
  },
};

const volPool: CommandDecl = {
  name: 'vol-pool',
  group: 'volume',
  summary: 'returns the storage pool for a given volume key or path',
  options: [
    { ...VOL_OPTION, help: 'volume key or path' },
    { name: 'uuid', type: 'bool', help: 'return the pool uuid rather than pool name' },
  ],
  async run(ctx) {
    const { conn, vol } = await volByKeyOrPath(ctx);
    if (!ctx.args.bool('uuid')) {
      ctx.out.print(`${vol.pool}\n`);
      return;
    }
    let uuid: string;
    try {
      ({ uuid } = await lookupPoolByVolume(conn, vol.key));
    } catch {
      throw new CommandError('failed to get parent pool');
    }
    ctx.out.print(`${uuid}\n`);
  },
};

export const volumeCommands: CommandDecl[] = [
  volCreate,
  volCreateAs,
  volCreateFrom,
  volClone,
  volDelete,
  volWipe,
  volResize,
  volList,
  volInfo,
  volDumpxml,
  volPath,
  volKey,
  volName,
  volPool,
];
