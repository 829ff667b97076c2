/**
 * What is mounted where, from /proc/self/mountinfo: the mount table of the daemon's own
 * mount namespace, which is the one its mount and umount act on.
 */
import { readFile, realpath } from 'node:fs/promises';

export interface MountEntry {
  source: string;
  target: string;
  fstype: string;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** One mountinfo line: `id parent maj:min root target options [optional...] - fstype source superoptions`. */
export function parseMountInfoLine(line: string): MountEntry | undefined {
  const fields = line.split(' ');
  const dash = fields.indexOf('-');
  if (dash < 6 || fields.length < dash + 3) return undefined;
  return {
    target: unescapeField(fields[4]!),
    fstype: fields[dash + 1]!,
    source: unescapeField(fields[dash + 2]!),
  };
}

export async function readMountTable(path = '/proc/self/mountinfo'): Promise<MountEntry[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .map(parseMountInfoLine)
    .filter((e): e is MountEntry => e !== undefined);
}

/** The mount on top at `target` (the last one listed wins, as later mounts cover earlier ones), if any. */
export async function mountAt(target: string): Promise<MountEntry | undefined> {
  let real = target;
  try {
    real = await realpath(target);
  } catch {
    // A target that does not exist is not mounted on.
    return undefined;
  }
  const entries = (await readMountTable()).filter((e) => e.target === real);
  return entries[entries.length - 1];
}

/** Whether a mount's source is `source`: the same path, or the same device through a symlink. */
export async function sameMountSource(mounted: string, source: string): Promise<boolean> {
  if (mounted === source) return true;
  if (!source.startsWith('/') || !mounted.startsWith('/')) return false;
  try {
    return (await realpath(mounted)) === (await realpath(source));
  } catch {
    return false;
  }
}
