/**
 * The messages that travel in frames, and their msgpack encoding. Each message is a
 * msgpack array whose first element is its type: compact, and cheap to tell apart.
 */
import { Packr, Unpackr } from 'msgpackr';
import { TransportError } from '../errors/transport-error.js';
import { isWireError, type WireError } from '../errors/vir-error.js';

/** Message type numbers. Append-only. @since 0.1.0 */
export const MessageType = {
  CALL: 0,
  REPLY: 1,
  ERROR: 2,
  EVENT: 3,
  STREAM_DATA: 4,
  STREAM_FINISH: 5,
  STREAM_ABORT: 6,
  PING: 7,
  PONG: 8,
} as const;

export type CallMessage = { type: 0; serial: number; procedure: number; args: unknown };
export type ReplyMessage = { type: 1; serial: number; result: unknown };
export type ErrorMessage = { type: 2; serial: number; error: WireError };
export type EventMessage = { type: 3; callbackId: number; event: number; data: unknown };
export type StreamDataMessage = { type: 4; stream: number; data: Uint8Array };
export type StreamFinishMessage = { type: 5; stream: number };
export type StreamAbortMessage = { type: 6; stream: number; error: WireError };
export type PingMessage = { type: 7 };
export type PongMessage = { type: 8 };

export type Message =
  | CallMessage
  | ReplyMessage
  | ErrorMessage
  | EventMessage
  | StreamDataMessage
  | StreamFinishMessage
  | StreamAbortMessage
  | PingMessage
  | PongMessage;

// Plain maps and arrays only: no msgpackr records or extensions, so that any msgpack
// implementation in any language can speak the protocol.
// `undefined` goes out as nil rather than msgpackr's extension; 64-bit integers come in
// as numbers (BigInt only beyond 2^53, which no schema accepts).
const packr = new Packr({
  useRecords: false,
  moreTypes: false,
  mapsAsObjects: true,
  variableMapSize: true,
  encodeUndefinedAsNil: true,
});
// msgpackr supports 'auto' (number when safe, BigInt beyond) but its typings omit it.
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'auto' as 'number' });

export function encodeMessage(message: Message): Buffer {
  switch (message.type) {
    case MessageType.CALL:
      return packr.pack([message.type, message.serial, message.procedure, message.args]);
    case MessageType.REPLY:
      if (isFrozenResult(message.result)) return encodeFrozenReply(message.serial, message.result);
      return packr.pack([message.type, message.serial, message.result]);
    case MessageType.ERROR:
      return packr.pack([message.type, message.serial, message.error]);
    case MessageType.EVENT:
      return packr.pack([message.type, message.callbackId, message.event, message.data]);
    case MessageType.STREAM_DATA:
      return packr.pack([message.type, message.stream, message.data]);
    case MessageType.STREAM_FINISH:
      return packr.pack([message.type, message.stream]);
    case MessageType.STREAM_ABORT:
      return packr.pack([message.type, message.stream, message.error]);
    case MessageType.PING:
    case MessageType.PONG:
      return packr.pack([message.type]);
  }
}

/**
 * Deep-freezes a result (objects and arrays all the way down) and marks it as one a
 * handler may hand out again unchanged: its schema check and its msgpack encoding are
 * then done once and reused (see `encodeFrozenReply` and the dispatcher). For large
 * answers that are asked for often and change rarely, such as a list of 1000 domains.
 */
export function freezeResult<T extends object>(result: T): T {
  deepFreeze(result);
  frozenResults.add(result);
  return result;
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  for (const child of Object.values(value)) deepFreeze(child);
  Object.freeze(value);
}

const frozenResults = new WeakSet<object>();
/** The msgpack bytes of each frozen result, made on its first reply. */
const encodedResults = new WeakMap<object, Buffer>();

export function isFrozenResult(result: unknown): result is object {
  return typeof result === 'object' && result !== null && frozenResults.has(result);
}

/**
 * The same bytes as packing `[REPLY, serial, result]`: a msgpack array is its header
 * followed by its elements' encodings, and the encoder shares no state across elements
 * (no records, no bundled strings), so the result's encoding can be kept and spliced in.
 */
function encodeFrozenReply(serial: number, result: object): Buffer {
  let body = encodedResults.get(result);
  if (!body) {
    body = Buffer.from(packr.pack(result));
    encodedResults.set(result, body);
  }
  // pack() returns a view of the encoder's reused buffer: copied before the next pack.
  const serialBytes = Buffer.from(packr.pack(serial));
  return Buffer.concat([REPLY_HEADER, serialBytes, body]);
}

/** msgpack fixarray of three elements, then the REPLY type (a positive fixint). */
const REPLY_HEADER = Buffer.from([0x93, MessageType.REPLY]);

function protocolError(detail: string): TransportError {
  return new TransportError('protocol', `malformed message: ${detail}`);
}

function isSerial(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** Decodes one frame body; throws TransportError('protocol') for anything malformed. */
export function decodeMessage(body: Buffer): Message {
  let raw: unknown;
  try {
    raw = unpackr.unpack(body);
  } catch (err) {
    throw protocolError(`undecodable msgpack (${(err as Error).message})`);
  }
  if (!Array.isArray(raw) || raw.length === 0) throw protocolError('not a non-empty array');
  const [type, a, b, c] = raw as unknown[];
  switch (type) {
    case MessageType.CALL:
      if (!isSerial(a) || !isSerial(b) || raw.length !== 4) throw protocolError('bad call');
      return { type, serial: a, procedure: b, args: c };
    case MessageType.REPLY:
      if (!isSerial(a) || raw.length !== 3) throw protocolError('bad reply');
      return { type, serial: a, result: b };
    case MessageType.ERROR:
      if (!isSerial(a) || !isWireError(b)) throw protocolError('bad error reply');
      return { type, serial: a, error: b };
    case MessageType.EVENT:
      if (!isSerial(a) || !isSerial(b) || raw.length !== 4) throw protocolError('bad event');
      return { type, callbackId: a, event: b, data: c };
    case MessageType.STREAM_DATA:
      if (!isSerial(a) || !(b instanceof Uint8Array)) throw protocolError('bad stream data');
      return { type, stream: a, data: b };
    case MessageType.STREAM_FINISH:
      if (!isSerial(a)) throw protocolError('bad stream finish');
      return { type, stream: a };
    case MessageType.STREAM_ABORT:
      if (!isSerial(a) || !isWireError(b)) throw protocolError('bad stream abort');
      return { type, stream: a, error: b };
    case MessageType.PING:
    case MessageType.PONG:
      return { type };
    default:
      throw protocolError(`unknown message type ${String(type)}`);
  }
}
