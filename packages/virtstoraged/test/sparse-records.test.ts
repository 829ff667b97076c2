/** The sparse stream record framing: whatever the chunking, the decoder gives back the records sent. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SparseRecordDecoder, isAllZero, sparseRecordHeader } from '@tsvirt/common/protocol';

function encode(records: Array<Buffer | number>): Buffer {
  return Buffer.concat(
    records.map((r) =>
      typeof r === 'number' ? sparseRecordHeader('hole', r) : Buffer.concat([sparseRecordHeader('data', r.length), r]),
    ),
  );
}

/** Decodes `wire` cut into `size`-byte chunks; data records are merged back, holes kept as numbers. */
function decode(wire: Buffer, size: number): Array<string | number> {
  const decoder = new SparseRecordDecoder();
  const out: Array<string | number> = [];
  let pendingData = '';
  for (let at = 0; at < wire.length; at += size) {
    for (const record of decoder.push(wire.subarray(at, at + size))) {
      if (record.kind === 'data') pendingData += record.data.toString('latin1');
      else {
        if (pendingData) out.push(pendingData);
        pendingData = '';
        out.push(record.length);
      }
    }
  }
  if (pendingData) out.push(pendingData);
  assert.ok(decoder.atBoundary, `ends between records (chunk ${size})`);
  return out;
}

test('records survive every chunk size from 1 byte to the whole message', () => {
  const wire = encode([Buffer.from('hello'), 2 ** 40, Buffer.from('x'), 7, Buffer.from('tail data')]);
  for (let size = 1; size <= wire.length; size++) {
    assert.equal(decode(wire, size), ['hello', 2 ** 40, 'x', 7, 'tail data'], `chunk ${size}`);
  }
});

test('a stream cut inside a record is not at a boundary; an unknown kind is refused', () => {
  const decoder = new SparseRecordDecoder();
  decoder.push(encode([Buffer.from('abcdef')]).subarray(0, 12));
  assert.not.ok(decoder.atBoundary);
  const bad = sparseRecordHeader('data', 1);
  bad[0] = 7;
  assert.throws(() => new SparseRecordDecoder().push(bad), /unknown sparse stream record kind 7/);
});

test('isAllZero looks at every byte, beyond its 1 MiB compare window too', () => {
  const buf = Buffer.alloc(3 * 1024 * 1024);
  assert.ok(isAllZero(buf));
  buf[buf.length - 1] = 1;
  assert.not.ok(isAllZero(buf));
  assert.ok(isAllZero(buf.subarray(0, buf.length - 1)));
  assert.ok(isAllZero(Buffer.alloc(0)));
});

test.run();
