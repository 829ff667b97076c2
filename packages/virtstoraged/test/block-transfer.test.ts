/**
 * Upload and download on a block device (how a logical volume is transferred), on a real
 * loop device: the size is the device's (stat() says 0), a whole upload writes its zeros
 * too since a device cannot be emptied by truncation, and nothing is truncated.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { duplexPair, makeTempRoot, removeTempRoot } from '@tsvirt/common/testing';
import { openBlockDevice, volumeDataSize } from '../src/backends/block-device.js';
import { receiveVolume, sendVolume } from '../src/driver/vol-transfer.js';
import { makeLoopDevice } from './host-storage.js';
import { MiB } from './storage-harness.js';

const SIZE = 4 * MiB;

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

test('block device: whole upload overwrites old data with the new bytes and zeros; download reads the device size', async () => {
  const root = makeTempRoot();
  const loop = makeLoopDevice(join(root, 'blk.img'), SIZE);
  try {
    // Old data everywhere, so zeros in the upload must really be written.
    writeFileSync(loop.device, Buffer.alloc(SIZE, 0xaa));
    const upload = Buffer.alloc(SIZE);
    randomBytes(MiB).copy(upload, 0);
    randomBytes(MiB).copy(upload, 3 * MiB);

    const writer = await openBlockDevice(loop.device, 'write');
    try {
      assert.is(await volumeDataSize(await writer.handle.stat()), SIZE);
      const [client, daemon] = duplexPair();
      const received = receiveVolume(writer.handle, daemon, { offset: 0, length: 0, sparse: false, whole: true });
      client.end(upload);
      assert.is(await received, SIZE);
    } finally {
      await writer.handle.close();
    }
    assert.ok(readFileSync(loop.image).equals(upload), 'device holds exactly the upload, zeros included');

    const reader = await openBlockDevice(loop.device, 'read');
    try {
      const [client, daemon] = duplexPair();
      const downloaded = collect(client);
      const sent = await sendVolume(reader.handle, daemon, { offset: MiB, length: 0, sparse: false });
      assert.is(sent, SIZE - MiB);
      assert.ok((await downloaded).equals(upload.subarray(MiB)), 'download from an offset to the device end');
    } finally {
      await reader.handle.close();
    }

    // Past the end of the device: the upload fails instead of growing anything.
    const writer2 = await openBlockDevice(loop.device, 'write');
    try {
      const [client, daemon] = duplexPair();
      const received = receiveVolume(writer2.handle, daemon, {
        offset: SIZE - 512,
        length: 0,
        sparse: false,
        whole: false,
      });
      client.end(Buffer.alloc(4096, 1));
      await received.then(
        () => assert.unreachable('writing past the device end succeeded'),
        (err: NodeJS.ErrnoException) => assert.is(err.code, 'ENOSPC', String(err)),
      );
    } finally {
      await writer2.handle.close();
    }
  } finally {
    loop.detach();
    removeTempRoot(root);
  }
});

test.run();
