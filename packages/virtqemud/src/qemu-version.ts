/** The version of the QEMU binary on this host, asked once and remembered. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { encodeVersion } from '@tsvirt/common';

const run = promisify(execFile);

/** Parses `QEMU emulator version 7.2.15 (Debian 1:7.2+dfsg-7+deb12u7)` into libvirt's encoding; 0 if unrecognised. */
export function parseQemuVersion(output: string): number {
  const match = /QEMU emulator version (\d+\.\d+(?:\.\d+)?)/.exec(output);
  return match ? encodeVersion(match[1]!) : 0;
}

/** Asks `binary --version`; 0 when QEMU is not installed, so `version` can say so instead of failing. */
export async function probeQemuVersion(binary: string): Promise<number> {
  try {
    const { stdout } = await run(binary, ['--version'], { timeout: 10_000 });
    return parseQemuVersion(stdout);
  } catch {
    return 0;
  }
}
