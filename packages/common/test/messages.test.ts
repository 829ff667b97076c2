/** Message encoding: every type round-trips; anything malformed is a protocol error. */
import { Packr } from 'msgpackr';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TransportError } from '../src/errors/transport-error.js';
import { MessageType, decodeMessage, encodeMessage, freezeResult, type Message } from '../src/wire/messages.js';

const error = { code: 42, domain: 10, level: 2, message: "no domain with matching name 'web1'" };
const samples: Message[] = [
  { type: MessageType.CALL, serial: 1, procedure: 3, args: { a: [1, 'x', null, true] } },
  { type: MessageType.REPLY, serial: 2 ** 31, result: { nested: { deep: 1.5 } } },
  { type: MessageType.ERROR, serial: 3, error },
  { type: MessageType.EVENT, callbackId: 4, event: 100, data: { state: 'running' } },
  { type: MessageType.STREAM_DATA, stream: 5, data: new Uint8Array([0, 1, 2, 255]) },
  { type: MessageType.STREAM_FINISH, stream: 6 },
  { type: MessageType.STREAM_ABORT, stream: 7, error },
  { type: MessageType.PING },
  { type: MessageType.PONG },
];

for (const sample of samples) {
  test(`type ${sample.type} round-trips`, () => {
    const decoded = decodeMessage(encodeMessage(sample));
    if (sample.type === MessageType.STREAM_DATA && decoded.type === MessageType.STREAM_DATA) {
      assert.equal([...decoded.data], [...sample.data]);
      assert.is(decoded.stream, sample.stream);
    } else {
      assert.equal(decoded, sample);
    }
  });
}

const packr = new Packr({ useRecords: false });
const malformed: Array<[string, Buffer]> = [
  ['not msgpack', Buffer.from([0xc1])],
  ['truncated', encodeMessage(samples[0]!).subarray(0, 5)],
  ['a map instead of an array', packr.pack({ type: 0 })],
  ['an empty array', packr.pack([])],
  ['an unknown type', packr.pack([99, 1])],
  ['a call with a string serial', packr.pack([0, '1', 3, {}])],
  ['a call with a negative procedure', packr.pack([0, 1, -3, {}])],
  ['a call missing its args', packr.pack([0, 1, 3])],
  ['an error without a message', packr.pack([2, 1, { code: 1, domain: 0 }])],
  ['stream data that is not bytes', packr.pack([4, 1, 'text'])],
];

for (const [what, body] of malformed) {
  test(`${what} is a protocol error`, () => {
    try {
      decodeMessage(body);
      assert.unreachable('decoded');
    } catch (err) {
      assert.instance(err, TransportError);
      assert.is((err as TransportError).kind, 'protocol');
    }
  });
}

test('undefined travels as nil, and 64-bit integers arrive as numbers', () => {
  const decoded = decodeMessage(encodeMessage({ type: MessageType.REPLY, serial: 1, result: { gone: undefined } }));
  assert.equal(decoded, { type: MessageType.REPLY, serial: 1, result: { gone: null } });
  // A uint64 from another implementation (0xcf), e.g. a volume capacity of 10 GiB.
  const body = Buffer.concat([Buffer.from([0x93, 0x01, 0x01, 0xcf]), Buffer.alloc(8)]);
  body.writeBigUInt64BE(10n * 2n ** 30n, 4);
  assert.equal(decodeMessage(body), { type: MessageType.REPLY, serial: 1, result: 10 * 2 ** 30 });
});

test('a frozen result is encoded to the very bytes of a plain one, for every serial width, again and again', () => {
  const plain = () => ({
    domains: [
      { name: 'web1', uuid: 'u', id: -1 },
      { name: 'é', uuid: 'v', id: 2 ** 40 },
    ],
    n: null,
  });
  const frozen = freezeResult(plain());
  assert.ok(Object.isFrozen(frozen.domains[0]), 'frozen all the way down');
  for (const serial of [0, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32 + 5, 2 ** 53 - 1]) {
    for (let round = 0; round < 2; round++) {
      const bytes = encodeMessage({ type: MessageType.REPLY, serial, result: frozen });
      assert.equal(
        [...bytes],
        [...encodeMessage({ type: MessageType.REPLY, serial, result: plain() })],
        `serial ${serial}`,
      );
      assert.equal(decodeMessage(bytes), { type: MessageType.REPLY, serial, result: plain() });
    }
  }
});

test.run();
