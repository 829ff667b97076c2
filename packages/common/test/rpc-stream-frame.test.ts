/**
 * Stream data frames written without copies: the prefix plus the payload are byte for
 * byte what encodeFrame(encodeMessage(...)) makes, for every integer and bin width, and
 * decode back to the same message.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { streamDataPrefix } from '../src/rpc/rpc-stream.js';
import { FRAME_HEADER_SIZE, FrameDecoder, encodeFrame } from '../src/wire/frame-decoder.js';
import { MessageType, decodeMessage, encodeMessage } from '../src/wire/messages.js';

const STREAMS = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 2 ** 31, 0xffffffff];
const LENGTHS = [0, 1, 0xff, 0x100, 0xffff, 0x10000, 256 * 1024];

test('prefix + payload equals the msgpack frame of a STREAM_DATA message', () => {
  for (const stream of STREAMS) {
    for (const length of LENGTHS) {
      const data = Buffer.alloc(length, 0xa5);
      const frame = Buffer.concat([streamDataPrefix(stream, length)!, data]);
      const want = encodeFrame(encodeMessage({ type: MessageType.STREAM_DATA, stream, data }));
      assert.ok(frame.equals(want), `stream ${stream}, ${length} bytes`);
      const [body] = new FrameDecoder().push(frame);
      assert.is(body!.length, frame.length - FRAME_HEADER_SIZE);
      const message = decodeMessage(body!);
      assert.is(message.type, MessageType.STREAM_DATA);
      if (message.type !== MessageType.STREAM_DATA) return;
      assert.is(message.stream, stream);
      assert.ok(Buffer.from(message.data).equals(data));
    }
  }
});

test('no prefix for a stream id above 32 bits: the caller falls back to encodeMessage', () => {
  assert.is(streamDataPrefix(2 ** 32, 10), undefined);
});

test.run();
