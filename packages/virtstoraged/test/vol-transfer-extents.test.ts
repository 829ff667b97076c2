/**
 * The hole map a download uses instead of reading holes: qemu-img map through our own open
 * descriptor finds the data extents of a real sparse file, and the cursor walks them.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeTempRoot, removeTempRoot } from '@tsvirt/common/testing';
import { ExtentCursor, fileExtents } from '../src/driver/vol-transfer-extents.js';

const MiB = 1024 * 1024;

test('a file with data at 0, 5 and 9 MiB of 12: three data extents, holes between, holes to the end', async () => {
  const root = makeTempRoot();
  try {
    const path = join(root, 'holes.img');
    const fd = openSync(path, 'w');
    for (const mib of [0, 5, 9]) writeSync(fd, randomBytes(MiB), 0, MiB, mib * MiB);
    ftruncateSync(fd, 12 * MiB);
    closeSync(fd);
    const handle = await open(path, 'r');
    try {
      const extents = await fileExtents(handle);
      assert.ok(extents, 'qemu-img map answered');
      const data = extents!.filter((e) => e.data).map((e) => [e.start / MiB, e.length / MiB]);
      assert.equal(data, [
        [0, 1],
        [5, 1],
        [9, 1],
      ]);
      const covered = extents!.reduce((sum, e) => sum + e.length, 0);
      assert.is(covered, 12 * MiB, 'the extents cover the whole file');

      const cursor = new ExtentCursor(extents!);
      assert.is(cursor.at(100)?.data, true);
      assert.equal(cursor.at(MiB), { start: MiB, length: 4 * MiB, data: false });
      assert.is(cursor.at(5 * MiB + 7)?.data, true);
      assert.is(cursor.at(11 * MiB)?.data, false);
      assert.is(cursor.at(12 * MiB), undefined, 'past the end');
    } finally {
      await handle.close();
    }
  } finally {
    removeTempRoot(root);
  }
});

test.run();
