/**
 * Runtime paths of `<channel>`s, decided at start and kept in the live definition as libvirt
 * does: a unix channel without a path listens at `<runtime dir>/<target name>` (libvirt's
 * channel target dir), and a pty channel shows the pty QEMU chose.
 */
import { join } from 'node:path';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import type { DomainDef } from '../conf/domain-xml.js';
import { queryChardev, type QmpConnection } from '../qemu/monitor/index.js';

/** sun_path holds 107 bytes and a NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

/** Fills in the made-up socket paths; the runtime dir is removed with everything in it when QEMU ends. */
export function assignChannelPaths(def: DomainDef, runtimeDir: string): void {
  for (const ch of def.devices.channels) {
    if (ch.type !== 'unix' || ch.source?.path !== undefined || ch.target.name === undefined) continue;
    const path = join(runtimeDir, ch.target.name);
    if (Buffer.byteLength(path, 'utf8') > MAX_SOCKET_PATH_BYTES) {
      throw new VirError(
        ErrorCode.INTERNAL_ERROR,
        ErrorDomain.QEMU,
        `channel socket path '${path}' is over the ${MAX_SOCKET_PATH_BYTES}-byte limit`,
      );
    }
    ch.source = { ...ch.source, mode: 'bind', path };
  }
}

/** The chardev id channel `index` got from qemu/command-line/channels.ts. */
const channelChardevId = (def: DomainDef, index: number): string =>
  `char${def.devices.channels[index]?.alias ?? `channel${index}`}`;

/** Asks QEMU which pty each pty channel got and records it in `def`. */
export async function recordChannelPtyPaths(def: DomainDef, monitor: QmpConnection): Promise<void> {
  if (!def.devices.channels.some((c) => c.type === 'pty')) return;
  const ptyPaths = new Map((await queryChardev(monitor)).map((c) => [c.label, c.ptyPath]));
  def.devices.channels.forEach((ch, i) => {
    if (ch.type !== 'pty') return;
    const path = ptyPaths.get(channelChardevId(def, i));
    if (!path) {
      throw new VirError(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, `no assigned pty for channel ${i}`);
    }
    ch.source = { ...ch.source, path };
  });
}
