/**
 * `net-update` as virsh-network.c's cmdNetworkUpdate: one element of one section added,
 * deleted or modified in the running network, its saved config, or (neither asked) whichever
 * the network has. The XML is inline when it starts with '<', else the name of a file.
 */
import {
  NETWORK_UPDATE_COMMANDS,
  NETWORK_UPDATE_SECTIONS,
  isNetworkActive,
  updateNetwork,
  type NetworkUpdateCommandName,
  type NetworkUpdateSectionName,
} from '@tsvirt/client';
import type { CommandDecl } from '../command.js';
import { CommandError } from '../errors.js';
import { NETWORK_OPTION, networkFailure, networkOption } from './network-args.js';
import { readXmlFile } from './pool.js';

/** virsh's command name, with `add` as its synonym of `add-last`; undefined when unknown. */
function updateCommand(text: string): NetworkUpdateCommandName | undefined {
  if (text === 'add') return 'add-last';
  return (NETWORK_UPDATE_COMMANDS as readonly string[]).includes(text) ? (text as NetworkUpdateCommandName) : undefined;
}

function updateSection(text: string): NetworkUpdateSectionName | undefined {
  return (NETWORK_UPDATE_SECTIONS as readonly string[]).includes(text) ? (text as NetworkUpdateSectionName) : undefined;
}

export const networkUpdate: CommandDecl = {
  name: 'net-update',
  group: 'network',
  summary: "update parts of an existing network's configuration",
  options: [
    NETWORK_OPTION,
    {
      name: 'command',
      type: 'string',
      required: true,
      positional: true,
      help: 'type of update (add-first, add-last (add), delete, or modify)',
    },
    {
      name: 'section',
      type: 'string',
      required: true,
      positional: true,
      help: 'which section of network configuration to update',
    },
    {
      name: 'xml',
      type: 'string',
      required: true,
      positional: true,
      help: "name of file containing xml (or, if it starts with '<', the complete xml element itself) to add/modify, or to be matched for search",
    },
    { name: 'parent-index', type: 'number', help: 'which parent object to search through' },
    { name: 'config', type: 'bool', help: 'affect next network startup' },
    { name: 'live', type: 'bool', help: 'affect running network' },
    { name: 'current', type: 'bool', help: 'affect current state of network' },
  ],
  async run(ctx) {
    const { args } = ctx;
    const live = args.bool('live');
    const config = args.bool('config');
    if (args.bool('current')) {
      if (live) throw new CommandError('Options --current and --live are mutually exclusive');
      if (config) throw new CommandError('Options --current and --config are mutually exclusive');
    }
    const { conn, network } = await networkOption(ctx);
    const commandText = args.string('command') ?? '';
    const command = updateCommand(commandText);
    if (!command) throw new CommandError(`unrecognized command name '${commandText}'`);
    const sectionText = args.string('section') ?? '';
    const section = updateSection(sectionText);
    if (!section) throw new CommandError(`unrecognized section name '${sectionText}'`);
    const xmlArg = args.string('xml') ?? '';
    const xml = xmlArg.startsWith('<') ? xmlArg : readXmlFile(xmlArg);
    try {
      await updateNetwork(conn, network.uuid, {
        command,
        section,
        xml,
        parentIndex: args.number('parent-index') ?? -1,
        live,
        config,
      });
    } catch (err) {
      // virsh names the network as looked up here, not as typed
      throw networkFailure(`Failed to update network ${network.name}`, err);
    }
    // neither flag: the daemon changed the live state of an active network, else the config
    const changedLive = live || (!config && (await isNetworkActive(conn, network.uuid).catch(() => true)));
    const what = config
      ? live
        ? 'persistent config and live state'
        : 'persistent config'
      : changedLive
        ? 'live state'
        : 'persistent config';
    // no newline of its own: virsh's blank line after the command ends it
    ctx.out.extra(`Updated network ${network.name} ${what}`);
  },
};
