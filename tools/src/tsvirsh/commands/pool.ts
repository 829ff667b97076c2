/**
 * Storage pool commands with virsh's options, output and error lines (virsh-pool.c):
 * pool-define, pool-define-as, pool-create, pool-create-as, pool-build, pool-start,
 * pool-destroy, pool-delete, pool-undefine, pool-refresh, pool-info, pool-dumpxml, pool-edit,
 * pool-autostart, pool-capabilities, pool-name, pool-uuid. pool-list is in pool-list.ts.
 */
import { readFileSync } from 'node:fs';
import {
  StoragePoolState,
  buildPool,
  createPoolXML,
  definePool,
  deletePool,
  destroyPool,
  getPoolAutostart,
  getPoolInfo,
  getPoolXML,
  getStoragePoolCapabilities,
  isPoolPersistent,
  refreshPool,
  setPoolAutostart,
  startPool,
  undefinePool,
  type Connection,
  type StoragePoolInfo,
} from '@tsvirt/client';
import type { CommandContext, CommandDecl, OptionDecl } from '../command.js';
import { CommandError, messageOf } from '../errors.js';
import { editXml } from './edit-loop.js';
import { POOL_OPTION, poolOption, type PoolRef } from './storage-args.js';
import {
  buildPoolXml,
  describeStorageError,
  poolStateName,
  prettyCapacity,
  type PoolXmlOptions,
} from './storage-format.js';

/** `error: <first>` then `error: <the reason>`. */
export function storageFailure(first: string, err: unknown): CommandError {
  return new CommandError(first, describeStorageError(err));
}

/** Reads an XML file as virsh's virFileReadAll does, or fails with its message. */
export function readXmlFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : messageOf(err);
    throw new CommandError(`Failed to open file '${file}': ${reason}`);
  }
}

const FILE_OPTION: OptionDecl = {
  name: 'file',
  type: 'string',
  required: true,
  positional: true,
  help: 'file containing an XML pool description',
};

const BUILD_OPTIONS: OptionDecl[] = [
  { name: 'build', type: 'bool', help: 'build the pool as normal' },
  { name: 'no-overwrite', type: 'bool', help: 'do not overwrite any existing data' },
  { name: 'overwrite', type: 'bool', help: 'overwrite any existing data' },
];

/** --build, --overwrite, --no-overwrite as the start flags; the last two exclude each other, as in virsh. */
function startFlags(ctx: CommandContext): { build?: boolean; overwrite?: boolean; noOverwrite?: boolean } {
  const overwrite = ctx.args.bool('overwrite');
  const noOverwrite = ctx.args.bool('no-overwrite');
  if (overwrite && noOverwrite) throw new CommandError('Options --overwrite and --no-overwrite are mutually exclusive');
  return {
    ...(ctx.args.bool('build') ? { build: true } : {}),
    ...(overwrite ? { overwrite: true } : {}),
    ...(noOverwrite ? { noOverwrite: true } : {}),
  };
}

/** virsh's VIRSH_COMMON_OPT_POOL_X_AS, in its order. */
const X_AS_OPTIONS: OptionDecl[] = [
  { name: 'name', type: 'string', required: true, positional: true, help: 'name of the pool' },
  { name: 'type', type: 'string', required: true, positional: true, help: 'type of the pool' },
  { name: 'print-xml', type: 'bool', help: "print XML document, but don't define/create" },
  { name: 'source-host', type: 'string', help: 'source-host for underlying storage' },
  { name: 'source-path', type: 'string', help: 'source path for underlying storage' },
  { name: 'source-dev', type: 'string', help: 'source device for underlying storage' },
  { name: 'source-name', type: 'string', help: 'source name for underlying storage' },
  { name: 'target', type: 'string', help: 'target for underlying storage' },
  { name: 'source-format', type: 'string', help: 'format for underlying storage' },
  { name: 'auth-type', type: 'string', help: 'auth type to be used for underlying storage' },
  { name: 'auth-username', type: 'string', help: 'auth username to be used for underlying storage' },
  { name: 'secret-usage', type: 'string', help: 'auth secret usage to be used for underlying storage' },
  { name: 'secret-uuid', type: 'string', help: 'auth secret UUID to be used for underlying storage' },
  { name: 'adapter-name', type: 'string', help: 'adapter name to be used for underlying storage' },
  { name: 'adapter-wwnn', type: 'string', help: 'adapter wwnn to be used for underlying storage' },
  { name: 'adapter-wwpn', type: 'string', help: 'adapter wwpn to be used for underlying storage' },
  {
    name: 'adapter-parent',
    type: 'string',
    help: 'adapter parent scsi_hostN to be used for underlying vHBA storage',
  },
  {
    name: 'adapter-parent-wwnn',
    type: 'string',
    help: 'adapter parent scsi_hostN wwnn to be used for underlying vHBA storage',
  },
  {
    name: 'adapter-parent-wwpn',
    type: 'string',
    help: 'adapter parent scsi_hostN wwpn to be used for underlying vHBA storage',
  },
  {
    name: 'adapter-parent-fabric-wwn',
    type: 'string',
    help: 'adapter parent scsi_hostN fabric_wwn to be used for underlying vHBA storage',
  },
  { name: 'source-protocol-ver', type: 'string', help: 'nfsvers value for NFS pool mount option' },
  { name: 'source-initiator', type: 'string', help: 'initiator iqn for underlying storage' },
];

/** The option names of X_AS_OPTIONS mapped to the fields of PoolXmlOptions. */
const X_AS_FIELDS: Array<[string, keyof PoolXmlOptions]> = [
  ['source-host', 'sourceHost'],
  ['source-path', 'sourcePath'],
  ['source-dev', 'sourceDev'],
  ['source-name', 'sourceName'],
  ['source-format', 'sourceFormat'],
  ['target', 'target'],
  ['auth-type', 'authType'],
  ['auth-username', 'authUsername'],
  ['secret-usage', 'secretUsage'],
  ['secret-uuid', 'secretUuid'],
  ['adapter-name', 'adapterName'],
  ['adapter-wwnn', 'adapterWwnn'],
  ['adapter-wwpn', 'adapterWwpn'],
  ['adapter-parent', 'adapterParent'],
  ['adapter-parent-wwnn', 'adapterParentWwnn'],
  ['adapter-parent-wwpn', 'adapterParentWwpn'],
  ['adapter-parent-fabric-wwn', 'adapterParentFabricWwn'],
  ['source-protocol-ver', 'sourceProtocolVer'],
  ['source-initiator', 'sourceInitiator'],
];

/** virshBuildPoolXML from the command's options. */
function poolXmlFromArgs(ctx: CommandContext): { name: string; xml: string } {
  if (ctx.args.has('secret-usage') && ctx.args.has('secret-uuid')) {
    throw new CommandError('Options --secret-usage and --secret-uuid are mutually exclusive');
  }
  const options: PoolXmlOptions = { name: ctx.args.string('name') ?? '', type: ctx.args.string('type') ?? '' };
  for (const [option, field] of X_AS_FIELDS) {
    const value = ctx.args.string(option);
    if (value !== undefined) options[field] = value;
  }
  return { name: options.name, xml: buildPoolXml(options) };
}

const poolDefine: CommandDecl = {
  name: 'pool-define',
  group: 'pool',
  summary: 'define an inactive persistent storage pool or modify an existing persistent one from an XML file',
  description: 'Define or modify a persistent storage pool.',
  options: [
    FILE_OPTION,
    // virtstoraged checks every pool XML it is given, so validating is what always happens
    { name: 'validate', type: 'bool', help: 'validate the XML against the schema' },
  ],
  async run(ctx) {
    const file = ctx.args.string('file') ?? '';
    const xml = readXmlFile(file);
    const conn = await ctx.connection();
    let pool: PoolRef;
    try {
      pool = await definePool(conn, xml);
    } catch (err) {
      throw storageFailure(`Failed to define pool from ${file}`, err);
    }
    ctx.out.extra(`Pool ${pool.name} defined from ${file}\n`);
  },
};

const poolDefineAs: CommandDecl = {
  name: 'pool-define-as',
  group: 'pool',
  summary: 'define a pool from a set of args',
  description: 'Define a pool.',
  options: X_AS_OPTIONS,
  async run(ctx) {
    const { name, xml } = poolXmlFromArgs(ctx);
    if (ctx.args.bool('print-xml')) {
      ctx.out.print(xml);
      return;
    }
    const conn = await ctx.connection();
    try {
      await definePool(conn, xml);
    } catch (err) {
      throw storageFailure(`Failed to define pool ${name}`, err);
    }
    ctx.out.extra(`Pool ${name} defined\n`);
  },
};

const poolCreate: CommandDecl = {
  name: 'pool-create',
  group: 'pool',
  summary: 'create a pool from an XML file',
  description: 'Create a pool.',
  options: [FILE_OPTION, ...BUILD_OPTIONS],
  async run(ctx) {
    const file = ctx.args.string('file') ?? '';
    const flags = startFlags(ctx);
    const xml = readXmlFile(file);
    const conn = await ctx.connection();
    let pool: PoolRef;
    try {
      pool = await createPoolXML(conn, xml, flags);
    } catch (err) {
      throw storageFailure(`Failed to create pool from ${file}`, err);
    }
    ctx.out.extra(`Pool ${pool.name} created from ${file}\n`);
  },
};

const poolCreateAs: CommandDecl = {
  name: 'pool-create-as',
  group: 'pool',
  summary: 'create a pool from a set of args',
  description: 'Create a pool.',
  options: [...X_AS_OPTIONS, ...BUILD_OPTIONS],
  async run(ctx) {
    const flags = startFlags(ctx);
    const { name, xml } = poolXmlFromArgs(ctx);
    if (ctx.args.bool('print-xml')) {
      ctx.out.print(xml);
      return;
    }
    const conn = await ctx.connection();
    try {
      await createPoolXML(conn, xml, flags);
    } catch (err) {
      throw storageFailure(`Failed to create pool ${name}`, err);
    }
    ctx.out.extra(`Pool ${name} created\n`);
  },
};

/**
 * A command on one pool that prints one line: virsh names the pool as it was typed
 * (`Pool <arg> destroyed`), so the argument text is used, not the looked-up name.
 */
function simplePoolCommand(
  spec: Pick<CommandDecl, 'name' | 'summary' | 'description'> & {
    options?: OptionDecl[];
    failed: string;
    done: string;
  },
  act: (conn: Connection, pool: PoolRef, ctx: CommandContext) => Promise<unknown>,
): CommandDecl {
  return {
    name: spec.name,
    group: 'pool',
    summary: spec.summary,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    options: [POOL_OPTION, ...(spec.options ?? [])],
    async run(ctx) {
      const { conn, pool, text } = await poolOption(ctx);
      try {
        await act(conn, pool, ctx);
      } catch (err) {
        if (err instanceof CommandError) throw err;
        throw storageFailure(spec.failed.replace('%s', text), err);
      }
      ctx.out.extra(`${spec.done.replace('%s', text)}\n`);
    },
  };
}

const poolBuild = simplePoolCommand(
  {
    name: 'pool-build',
    summary: 'build a pool',
    description: 'Build a given pool.',
    options: BUILD_OPTIONS.slice(1),
    failed: 'Failed to build pool %s',
    done: 'Pool %s built',
  },
  // both flags at once go to the daemon, which refuses them, as virsh leaves it to libvirt
  (conn, pool, ctx) =>
    buildPool(conn, pool.uuid, { overwrite: ctx.args.bool('overwrite'), noOverwrite: ctx.args.bool('no-overwrite') }),
);

const poolStart = simplePoolCommand(
  {
    name: 'pool-start',
    summary: 'start a (previously defined) inactive pool',
    description: 'Start a pool.',
    options: BUILD_OPTIONS,
    failed: 'Failed to start pool %s',
    done: 'Pool %s started',
  },
  (conn, pool, ctx) => startPool(conn, pool.uuid, startFlags(ctx)),
);

const poolDestroy = simplePoolCommand(
  {
    name: 'pool-destroy',
    summary: 'destroy (stop) a pool',
    description: 'Forcefully stop a given pool. Raw data in the pool is untouched',
    failed: 'Failed to destroy pool %s',
    done: 'Pool %s destroyed',
  },
  (conn, pool) => destroyPool(conn, pool.uuid),
);

const poolDelete = simplePoolCommand(
  {
    name: 'pool-delete',
    summary: 'delete a pool',
    description: 'Delete a given pool.',
    failed: 'Failed to delete pool %s',
    done: 'Pool %s deleted',
  },
  (conn, pool) => deletePool(conn, pool.uuid),
);

const poolUndefine = simplePoolCommand(
  {
    name: 'pool-undefine',
    summary: 'undefine an inactive pool',
    description: 'Undefine the configuration for an inactive pool.',
    failed: 'Failed to undefine pool %s',
    done: 'Pool %s has been undefined',
  },
  (conn, pool) => undefinePool(conn, pool.uuid),
);

const poolRefresh = simplePoolCommand(
  {
    name: 'pool-refresh',
    summary: 'refresh a pool',
    description: 'Refresh a given pool.',
    failed: 'Failed to refresh pool %s',
    done: 'Pool %s refreshed',
  },
  (conn, pool) => refreshPool(conn, pool.uuid),
);

const poolAutostart: CommandDecl = {
  name: 'pool-autostart',
  group: 'pool',
  summary: 'autostart a pool',
  description: 'Configure a pool to be automatically started at boot.',
  options: [POOL_OPTION, { name: 'disable', type: 'bool', help: 'disable autostarting' }],
  async run(ctx) {
    const { conn, pool, text } = await poolOption(ctx);
    const autostart = !ctx.args.bool('disable');
    try {
      await setPoolAutostart(conn, pool.uuid, autostart);
    } catch (err) {
      throw storageFailure(`failed to ${autostart ? 'mark' : 'unmark'} pool ${text} as autostarted`, err);
    }
    ctx.out.extra(`Pool ${text} ${autostart ? 'marked' : 'unmarked'} as autostarted\n`);
  },
};

/** virsh shows sizes of running and degraded pools only. */
export const isRunning = (state: number): boolean =>
  state === StoragePoolState.RUNNING || state === StoragePoolState.DEGRADED;

/** `%-15s %s` rows, as cmdPoolInfo prints them. */
const infoRow = (key: string, value: string): string => `${key.padEnd(15)} ${value}\n`;

const poolInfo: CommandDecl = {
  name: 'pool-info',
  group: 'pool',
  summary: 'storage pool information',
  description: 'Returns basic information about the storage pool.',
  options: [POOL_OPTION, { name: 'bytes', type: 'bool', help: 'Return pool info in bytes' }],
  async run(ctx) {
    const { conn, pool } = await poolOption(ctx);
    ctx.out.print(infoRow('Name:', pool.name));
    ctx.out.print(infoRow('UUID:', pool.uuid));
    let info: StoragePoolInfo;
    try {
      info = await getPoolInfo(conn, pool.uuid);
    } catch (err) {
      throw new CommandError(describeStorageError(err));
    }
    const [persistent, autostart] = await Promise.all([
      isPoolPersistent(conn, pool.uuid),
      getPoolAutostart(conn, pool.uuid),
    ]);
    ctx.out.print(infoRow('State:', poolStateName(info.state)));
    ctx.out.print(infoRow('Persistent:', persistent ? 'yes' : 'no'));
    ctx.out.print(infoRow('Autostart:', autostart ? 'yes' : 'no'));
    if (!isRunning(info.state)) return;
    const size = ctx.args.bool('bytes') ? (n: number): string => String(n) : prettyCapacity;
    ctx.out.print(infoRow('Capacity:', size(info.capacity)));
    ctx.out.print(infoRow('Allocation:', size(info.allocation)));
    ctx.out.print(infoRow('Available:', size(info.available)));
  },
};

const poolDumpxml: CommandDecl = {
  name: 'pool-dumpxml',
  group: 'pool',
  summary: 'pool information in XML',
  description: 'Output the pool information as an XML dump to stdout.',
  options: [POOL_OPTION, { name: 'inactive', type: 'bool', help: 'show inactive defined XML' }],
  async run(ctx) {
    const { conn, pool } = await poolOption(ctx);
    let xml: string;
    try {
      xml = await getPoolXML(conn, pool.uuid, { inactive: ctx.args.bool('inactive') });
    } catch (err) {
      throw new CommandError(describeStorageError(err));
    }
    ctx.out.print(xml.endsWith('\n') ? xml : `${xml}\n`);
  },
};

const poolEdit: CommandDecl = {
  name: 'pool-edit',
  group: 'pool',
  summary: 'edit XML configuration for a storage pool',
  description: 'Edit the XML configuration for a storage pool.',
  options: [POOL_OPTION],
  async run(ctx) {
    const { conn, pool } = await poolOption(ctx);
    await editXml(
      {
        getXml: () => getPoolXML(conn, pool.uuid, { inactive: true }),
        define: async (xml) => `Pool ${(await definePool(conn, xml)).name} XML configuration edited.`,
        notChanged: `Pool ${pool.name} XML configuration not changed.`,
        describeError: describeStorageError,
      },
      ctx.out,
    );
  },
};

const poolCapabilities: CommandDecl = {
  name: 'pool-capabilities',
  group: 'pool',
  summary: 'storage pool capabilities',
  description: 'Returns capabilities of storage pool support.',
  async run(ctx) {
    const conn = await ctx.connection();
    let xml: string;
    try {
      xml = await getStoragePoolCapabilities(conn);
    } catch (err) {
      throw storageFailure('failed to get storage pool capabilities', err);
    }
    ctx.out.print(xml.endsWith('\n') ? xml : `${xml}\n`);
  },
};

const poolName: CommandDecl = {
  name: 'pool-name',
  group: 'pool',
  summary: 'convert a pool UUID to pool name',
  options: [POOL_OPTION],
  async run(ctx) {
    const { pool } = await poolOption(ctx, { uuid: true, name: false });
    ctx.out.print(`${pool.name}\n`);
  },
};

const poolUuid: CommandDecl = {
  name: 'pool-uuid',
  group: 'pool',
  summary: 'convert a pool name to pool UUID',
  options: [POOL_OPTION],
  async run(ctx) {
    const { pool } = await poolOption(ctx, { uuid: false, name: true });
    ctx.out.print(`${pool.uuid}\n`);
  },
};

export const poolCommands: CommandDecl[] = [
  poolDefine,
  poolDefineAs,
  poolCreate,
  poolCreateAs,
  poolBuild,
  poolStart,
  poolDestroy,
  poolDelete,
  poolUndefine,
  poolRefresh,
  poolAutostart,
  poolInfo,
  poolDumpxml,
  poolEdit,
  poolCapabilities,
  poolName,
  poolUuid,
];
