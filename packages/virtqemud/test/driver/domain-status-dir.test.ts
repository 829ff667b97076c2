/** Runtime directories: removal of what a domain's QEMU left, whatever it holds. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeRuntimeDir } from '../../src/driver/domain-status.js';
import { removeDir, tempStateDir } from './helpers.js';

test('removeRuntimeDir removes the files and the directory; a missing one is fine', async () => {
  const root = tempStateDir();
  try {
    const dir = join(root, 'domain-1');
    mkdirSync(dir);
    for (const name of ['status.json', 'qemu.pid', 'monitor.sock', 'taps.json']) writeFileSync(join(dir, name), 'x');
    await removeRuntimeDir(dir);
    assert.not.ok(existsSync(dir));
    await removeRuntimeDir(dir);
  } finally {
    removeDir(root);
  }
});

test('removeRuntimeDir also removes a directory that holds a subdirectory', async () => {
  const root = tempStateDir();
  try {
    const dir = join(root, 'domain-2');
    mkdirSync(join(dir, 'sub', 'deeper'), { recursive: true });
    writeFileSync(join(dir, 'status.json'), 'x');
    writeFileSync(join(dir, 'sub', 'deeper', 'f'), 'x');
    await removeRuntimeDir(dir);
    assert.not.ok(existsSync(dir));
  } finally {
    removeDir(root);
  }
});

test.run();
