/**
 * Virtual network commands with virsh's options, output and error lines (virsh-network.c):
 * net-define, net-create, net-start, net-destroy, net-undefine, net-autostart, net-info,
 * net-dumpxml, net-edit, net-uuid, net-name. net-list, net-update and net-dhcp-leases have
 * their own files.
 */
import {
  createNetworkXML,
  defineNetwork,
  destroyNetwork,
  getNetworkAutostart,
  getNetworkBridgeName,
  getNetworkXML,
  isNetworkActive,
  isNetworkPersistent,
  setNetworkAutostart,
  startNetwork,
  undefineNetwork,
  type Connection,
  type NetworkRef,
} from '@tsvirt/client';
import type { CommandContext, CommandDecl, OptionDecl } from '../command.js';
import { CommandError } from '../errors.js';
import { editXml } from './edit-loop.js';
import { NETWORK_OPTION, describeNetworkError, networkFailure, networkOption } from './network-args.js';
import { readXmlFile } from './pool.js';

const FILE_OPTIONS: OptionDecl[] = [
  {
    name: 'file',
    type: 'string',
    required: true,
    positional: true,
    help: 'file containing an XML network description',
  },
  // virtnetworkd checks every network XML it is given, so validating is what always happens
  { name: 'validate', type: 'bool', help: 'validate the XML against the schema' },
];

/** net-define and net-create: the file's XML to the daemon, `Network <name> <done> from <file>`. */
function fromFileCommand(
  spec: Pick<CommandDecl, 'name' | 'summary' | 'description'> & { verb: 'define' | 'create'; done: string },
  act: (conn: Connection, xml: string) => Promise<NetworkRef>,
): CommandDecl {
  return {
    name: spec.name,
    group: 'network',
    summary: spec.summary,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    options: FILE_OPTIONS,
    async run(ctx) {
      const file = ctx.args.string('file') ?? '';
      const xml = readXmlFile(file);
      const conn = await ctx.connection();
      let network: NetworkRef;
      try {
        network = await act(conn, xml);
      } catch (err) {
        throw networkFailure(`Failed to ${spec.verb} network from ${file}`, err);
      }
      ctx.out.extra(`Network ${network.name} ${spec.done} from ${file}\n`);
    },
  };
}

const netDefine = fromFileCommand(
  {
    name: 'net-define',
    summary: 'define an inactive persistent virtual network or modify an existing persistent one from an XML file',
    description: 'Define or modify a persistent virtual network.',
    verb: 'define',
    done: 'defined',
  },
  defineNetwork,
);

const netCreate = fromFileCommand(
  {
    name: 'net-create',
    summary: 'create a network from an XML file',
    description: 'Create a network.',
    verb: 'create',
    done: 'created',
  },
  createNetworkXML,
);

/**
 * A command on one network that prints one line: virsh names the network as it was typed
 * (`Network <arg> destroyed`), so the argument text is used, not the looked-up name.
 */
function simpleNetworkCommand(
  spec: Pick<CommandDecl, 'name' | 'summary' | 'description'> & { failed: string; done: string },
  act: (conn: Connection, network: NetworkRef) => Promise<void>,
): CommandDecl {
  return {
    name: spec.name,
    group: 'network',
    summary: spec.summary,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    options: [NETWORK_OPTION],
    async run(ctx) {
      const { conn, network, text } = await networkOption(ctx);
      try {
        await act(conn, network);
      } catch (err) {
        throw networkFailure(spec.failed.replace('%s', text), err);
      }
      ctx.out.extra(`${spec.done.replace('%s', text)}\n`);
    },
  };
}

const netStart = simpleNetworkCommand(
  {
    name: 'net-start',
    summary: 'start a (previously defined) inactive network',
    description: 'Start a network.',
    failed: 'Failed to start network %s',
    done: 'Network %s started',
  },
  (conn, network) => startNetwork(conn, network.uuid),
);

const netDestroy = simpleNetworkCommand(
  {
    name: 'net-destroy',
    summary: 'destroy (stop) a network',
    description: 'Forcefully stop a given network.',
    failed: 'Failed to destroy network %s',
    done: 'Network %s destroyed',
  },
  (conn, network) => destroyNetwork(conn, network.uuid),
);

const netUndefine = simpleNetworkCommand(
  {
    name: 'net-undefine',
    summary: 'undefine a persistent network',
    description: 'Undefine the configuration for a persistent network.',
    failed: 'Failed to undefine network %s',
    done: 'Network %s has been undefined',
  },
  (conn, network) => undefineNetwork(conn, network.uuid),
);

const netAutostart: CommandDecl = {
  name: 'net-autostart',
  group: 'network',
  summary: 'autostart a network',
  description: 'Configure a network to be automatically started at boot.',
  options: [NETWORK_OPTION, { name: 'disable', type: 'bool', help: 'disable autostarting' }],
  async run(ctx) {
    const { conn, network, text } = await networkOption(ctx);
    const autostart = !ctx.args.bool('disable');
    try {
      await setNetworkAutostart(conn, network.uuid, autostart);
    } catch (err) {
      throw networkFailure(`failed to ${autostart ? 'mark' : 'unmark'} network ${text} as autostarted`, err);
    }
    ctx.out.extra(`Network ${text} ${autostart ? 'marked' : 'unmarked'} as autostarted\n`);
  },
};

/** `%-15s %s` rows, as cmdNetworkInfo prints them. */
const infoRow = (key: string, value: string): string => `${key.padEnd(15)} ${value}\n`;

/** The value of a call, or undefined when it fails: net-info leaves out (or words) what it cannot get. */
async function orUndefined<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch {
    return undefined;
  }
}

const netInfo: CommandDecl = {
  name: 'net-info',
  group: 'network',
  summary: 'network information',
  description: 'Returns basic information about the network',
  options: [NETWORK_OPTION],
  async run(ctx) {
    const { conn, network } = await networkOption(ctx);
    const [active, persistent, autostart, bridge] = await Promise.all([
      orUndefined(isNetworkActive(conn, network.uuid)),
      orUndefined(isNetworkPersistent(conn, network.uuid)),
      orUndefined(getNetworkAutostart(conn, network.uuid)),
      // a network without a bridge (e.g. forward mode='bridge' to a host bridge) has no Bridge line
      orUndefined(getNetworkBridgeName(conn, network.uuid)),
    ]);
    const yesNo = (value: boolean): string => (value ? 'yes' : 'no');
    let text = infoRow('Name:', network.name) + infoRow('UUID:', network.uuid);
    if (active !== undefined) text += infoRow('Active:', yesNo(active));
    text += infoRow('Persistent:', persistent === undefined ? 'unknown' : yesNo(persistent));
    text += infoRow('Autostart:', autostart === undefined ? 'no autostart' : yesNo(autostart));
    if (bridge !== undefined) text += infoRow('Bridge:', bridge);
    ctx.out.print(text);
  },
};

const netDumpxml: CommandDecl = {
  name: 'net-dumpxml',
  group: 'network',
  summary: 'network information in XML',
  description: 'Output the network information as an XML dump to stdout.',
  options: [NETWORK_OPTION, { name: 'inactive', type: 'bool', help: 'show inactive defined XML' }],
  async run(ctx) {
    const { conn, network } = await networkOption(ctx);
    let xml: string;
    try {
      xml = await getNetworkXML(conn, network.uuid, { inactive: ctx.args.bool('inactive') });
    } catch (err) {
      throw new CommandError(describeNetworkError(err));
    }
    ctx.out.print(xml.endsWith('\n') ? xml : `${xml}\n`);
  },
};

const netEdit: CommandDecl = {
  name: 'net-edit',
  group: 'network',
  summary: 'edit XML configuration for a network',
  description: 'Edit the XML configuration for a network.',
  options: [NETWORK_OPTION],
  async run(ctx) {
    const { conn, network } = await networkOption(ctx);
    await editXml(
      {
        getXml: () => getNetworkXML(conn, network.uuid, { inactive: true }),
        define: async (xml) => `Network ${(await defineNetwork(conn, xml)).name} XML configuration edited.`,
        notChanged: `Network ${network.name} XML configuration not changed.`,
        describeError: describeNetworkError,
      },
      ctx.out,
    );
  },
};

const netName: CommandDecl = {
  name: 'net-name',
  group: 'network',
  summary: 'convert a network UUID to network name',
  options: [{ ...NETWORK_OPTION, help: 'network uuid' }],
  async run(ctx: CommandContext) {
    const { network } = await networkOption(ctx, { uuid: true, name: false });
    ctx.out.print(`${network.name}\n`);
  },
};

const netUuid: CommandDecl = {
  name: 'net-uuid',
  group: 'network',
  summary: 'convert a network name to network UUID',
  options: [{ ...NETWORK_OPTION, help: 'network name' }],
  async run(ctx: CommandContext) {
    const { network } = await networkOption(ctx, { uuid: false, name: true });
    ctx.out.print(`${network.uuid}\n`);
  },
};

export const networkCommands: CommandDecl[] = [
  netDefine,
  netCreate,
  netStart,
  netDestroy,
  netUndefine,
  netAutostart,
  netInfo,
  netDumpxml,
  netEdit,
  netName,
  netUuid,
];
