/** The shell's history file: `$XDG_CACHE_HOME/tsvirsh/history`, as virsh keeps `~/.cache/virsh/history`. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** virsh stifles its history at 500 entries. */
export const HISTORY_SIZE = 500;

export function historyFile(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'tsvirsh', 'history');
}

/** Entries newest first, as node:readline wants them; a missing or unreadable file is an empty history. */
export function loadHistory(file: string): string[] {
  try {
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '');
    return lines.slice(-HISTORY_SIZE).reverse();
  } catch {
    return [];
  }
}

/** Writes `entries` (newest first) oldest first, one a line, creating the directory as needed. */
export function saveHistory(file: string, entries: readonly string[]): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  const lines = entries.slice(0, HISTORY_SIZE).reverse();
  writeFileSync(file, lines.map((line) => `${line}\n`).join(''), { mode: 0o600 });
}
