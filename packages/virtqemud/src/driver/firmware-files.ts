/**
 * Reads QEMU's firmware descriptor directories (libvirt's qemuFirmwareFetchConfigs): a file
 * in a later directory replaces the one of the same name from an earlier one, and an empty
 * file there masks it. The parsing and the choice are pure (conf/firmware-descriptor.ts).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { parseFirmwareDescriptor, type FirmwareDescriptor } from '../conf/firmware-descriptor.js';

/** Lowest priority first: the distribution's files, then the administrator's. */
export const FIRMWARE_DESCRIPTOR_DIRS = ['/usr/share/qemu/firmware', '/etc/qemu/firmware'];

export async function loadFirmwareDescriptors(
  dirs: readonly string[] = FIRMWARE_DESCRIPTOR_DIRS,
  log?: Logger,
): Promise<FirmwareDescriptor[]> {
  const byName = new Map<string, string>();
  for (const dir of dirs) {
    const files = await readdir(dir).catch(() => [] as string[]);
    for (const f of files.filter((n) => n.endsWith('.json'))) byName.set(f, join(dir, f));
  }
  const out: FirmwareDescriptor[] = [];
  for (const [name, path] of [...byName].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (text.trim() === '') continue;
    const desc = parseFirmwareDescriptor(name, text);
    if (desc) out.push(desc);
    else log?.warn({ path }, 'ignoring unreadable firmware descriptor');
  }
  return out;
}
