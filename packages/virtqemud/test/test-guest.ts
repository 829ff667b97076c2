/**
 * The project's test guest for tests that boot one: built on first use by
 * tools/scripts/build-test-guest.sh (cached by the hash of its inputs, ~6 s cold).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
export const TEST_GUEST_DIR = join(REPO, 'build', 'test-guest');

let built = false;

export function ensureTestGuest(): { kernel: string; initrd: string } {
  if (!built) {
    execFileSync('bash', [join(REPO, 'tools', 'scripts', 'build-test-guest.sh'), TEST_GUEST_DIR], { stdio: 'inherit' });
    built = true;
  }
  return { kernel: join(TEST_GUEST_DIR, 'vmlinuz'), initrd: join(TEST_GUEST_DIR, 'initrd.img') };
}
