/** Framing: frames split and joined every way, and the size limit enforced before buffering. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TransportError } from '../src/errors/transport-error.js';
import { FrameDecoder, encodeFrame } from '../src/wire/frame-decoder.js';

const bodies = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(70_000, 7), Buffer.from('last frame')];
const stream = Buffer.concat(bodies.map((b) => encodeFrame(b)));

function decodeInChunks(chunkSize: number): Buffer[] {
  const decoder = new FrameDecoder(1 << 20);
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i += chunkSize) out.push(...decoder.push(stream.subarray(i, i + chunkSize)));
  assert.is(decoder.pendingBytes, 0);
  return out;
}

for (const chunkSize of [1, 2, 3, 4, 5, 7, 64, 4096, 65_536, stream.length]) {
  test(`frames survive ${chunkSize}-byte chunks`, () => {
    const frames = decodeInChunks(chunkSize);
    assert.is(frames.length, bodies.length);
    frames.forEach((frame, i) => assert.ok(frame.equals(bodies[i]!), `frame ${i}`));
  });
}

test('an oversized frame is refused from its header alone', () => {
  const decoder = new FrameDecoder(1024);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(1025);
  try {
    decoder.push(header);
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.instance(err, TransportError);
    assert.is((err as TransportError).kind, 'frame-too-large');
    assert.match((err as Error).message, /1025 bytes exceeds the limit of 1024/);
  }
});

test('a frame of exactly the limit is accepted', () => {
  const decoder = new FrameDecoder(1024);
  const frames = decoder.push(encodeFrame(Buffer.alloc(1024, 1)));
  assert.is(frames.length, 1);
  assert.is(frames[0]!.length, 1024);
});

test('a 4 GiB length claim does not allocate', () => {
  const decoder = new FrameDecoder();
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(() => decoder.push(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3])), /exceeds the limit/);
  assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20);
});

test.run();
