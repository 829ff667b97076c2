/** The QEMU version probe: parsing QEMU's banner, and asking the real binary when it is installed. */
import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseQemuVersion, probeQemuVersion } from '../src/qemu-version.js';
import { QEMU_BINARY } from '../src/driver.js';

test('parses the banners QEMU prints', () => {
  assert.is(parseQemuVersion('QEMU emulator version 7.2.15 (Debian 1:7.2+dfsg-7+deb12u12)\nCopyright'), 7_002_015);
  assert.is(parseQemuVersion('QEMU emulator version 8.1.0\n'), 8_001_000);
  assert.is(parseQemuVersion('something else'), 0);
});

test('a missing binary reports version 0 instead of failing', async () => {
  assert.is(await probeQemuVersion('/nonexistent/qemu-system-x86_64'), 0);
});

test('the installed QEMU reports the version its banner shows', async () => {
  // CI installs QEMU; this compares our probe with QEMU's own answer.
  const banner = execFileSync(QEMU_BINARY, ['--version'], { encoding: 'utf8' });
  const expected = parseQemuVersion(banner);
  assert.ok(expected > 0, banner);
  assert.is(await probeQemuVersion(QEMU_BINARY), expected);
});

test.run();
