/** Every command group's file, registered in one registry; a new group file adds one line here. */
import { CommandRegistry } from '../command.js';
import { consoleCommand } from './console.js';
import { domainCommands } from './domain.js';
import { domifaddrCommand } from './domifaddr.js';
import { domstatsCommands } from './domstats.js';
import { editCommands } from './edit.js';
import { hostCommands } from './host.js';
import { networkDhcpLeases } from './network-dhcp-leases.js';
import { networkList } from './network-list.js';
import { networkUpdate } from './network-update.js';
import { networkCommands } from './network.js';
import { poolList } from './pool-list.js';
import { poolCommands } from './pool.js';
import { virshCommands } from './virsh.js';
import { volumeTransferCommands } from './volume-transfer.js';
import { volumeCommands } from './volume.js';

export function defaultRegistry(): CommandRegistry {
  return new CommandRegistry().register(
    ...domainCommands,
    domifaddrCommand,
    ...domstatsCommands,
    ...editCommands,
    consoleCommand,
    ...hostCommands,
    ...networkCommands,
    networkList,
    networkUpdate,
    networkDhcpLeases,
    ...poolCommands,
    poolList,
    ...volumeCommands,
    ...volumeTransferCommands,
    ...virshCommands,
  );
}
