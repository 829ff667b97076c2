/** `<channel>`: a `-chardev` per channel and a `virtserialport` on its virtio-serial controller. */
import type { ChannelDef, DomainDef } from '../../conf/domain-def.js';
import { keyval } from './option-value.js';
import { chardevBackend } from './chardevs.js';
import { controllerAlias } from './controllers.js';
import { missingRuntime } from './runtime-info.js';

/** libvirt's ids: device `channelN`, chardev `charchannelN`. */
export function channelAlias(ch: ChannelDef, index: number): string {
  return ch.alias ?? `channel${index}`;
}

export function channelArgs(def: DomainDef): string[] {
  const args: string[] = [];
  def.devices.channels.forEach((ch, i) => {
    const id = channelAlias(ch, i);
    const chardev = `char${id}`;
    // The driver puts a made-up socket path into the live definition before it builds the argv.
    if (ch.type === 'unix' && ch.source?.path === undefined) missingRuntimeFor(id);
    args.push(
      '-chardev',
      chardevBackend({ type: ch.type, ...(ch.source ? { source: ch.source } : {}), target: {} }, chardev),
    );
    const a = ch.address ?? { controller: 0, bus: 0, port: 1 };
    const bus = `${controllerAlias({ type: 'virtio-serial', index: a.controller })}.${a.bus}`;
    args.push(
      '-device',
      keyval('virtserialport', [
        ['bus', bus],
        ['nr', a.port],
        ['chardev', chardev],
        ['id', id],
        ['name', ch.target.name],
      ]),
    );
  });
  return args;
}

function missingRuntimeFor(id: string): never {
  throw missingRuntime(`no socket path for channel '${id}'`);
}
