/** Every command group's file, registered in one registry; a new group file adds one line here. */
import { CommandRegistry } from '../command.js';
import { consoleCommand } from './console.js';
import { domainCommands } from './domain.js';
import { domstatsCommands } from './domstats.js';
import { editCommands } from './edit.js';
import { hostCommands } from './host.js';
import { poolList } from './pool-list.js';
import { poolCommands } from './pool.js';
import { virshCommands } from './virsh.js';
import { volumeTransferCommands } from './volume-transfer.js';
import { volumeCommands } from './volume.js';

export function defaultRegistry(): CommandRegistry {
  return new CommandRegistry().register(
    ...domainCommands,
    ...domstatsCommands,
    ...editCommands,
    consoleCommand,
    ...hostCommands,
    ...poolCommands,
    poolList,
    ...volumeCommands,
    ...volumeTransferCommands,
    ...virshCommands,
  );
}
