/**
 * A data stream multiplexed on a message channel, identified by the serial of the
 * call that opened it. It is a Node Duplex on both ends: writes become STREAM_DATA
 * frames, `end()` becomes STREAM_FINISH, `destroy(err)` becomes STREAM_ABORT.
 * Back-pressure is end to end: a full local reader pauses the whole channel.
 * Data frames are written without copying the payload: a chunk belongs to the stream once
 * written (as with a socket), so a writer must not reuse its buffer afterwards.
 */
import { Duplex } from 'node:stream';
import { ErrorCode, ErrorDomain } from '../errors/error-codes.js';
import { VirError, type WireError } from '../errors/vir-error.js';
import { FRAME_HEADER_SIZE } from '../wire/frame-decoder.js';
import { MessageType } from '../wire/messages.js';
import type { MessageChannel } from './message-channel.js';

/** Data frames are cut to this size so that other calls can interleave with a big transfer. */
export const STREAM_CHUNK_SIZE = 256 * 1024;

/**
 * The bytes before the payload of a STREAM_DATA frame: the frame length, then the msgpack
 * of `[STREAM_DATA, stream, <bin header>]` exactly as encodeMessage writes it. Writing this
 * and the payload side by side spares the two copies (msgpack, frame) of every data byte
 * that dominated a transfer's CPU and garbage. Undefined for a stream id above 32 bits.
 */
export function streamDataPrefix(stream: number, length: number): Buffer | undefined {
  if (stream > 0xffffffff) return undefined;
  const prefix = Buffer.allocUnsafe(FRAME_HEADER_SIZE + 16);
  let at = FRAME_HEADER_SIZE;
  prefix[at++] = 0x93; // fixarray of 3
  prefix[at++] = MessageType.STREAM_DATA; // positive fixint
  if (stream < 0x80) prefix[at++] = stream;
  else if (stream < 0x100) at = prefix.writeUInt8(stream, prefix.writeUInt8(0xcc, at));
  else if (stream < 0x10000) at = prefix.writeUInt16BE(stream, prefix.writeUInt8(0xcd, at));
  else at = prefix.writeUInt32BE(stream, prefix.writeUInt8(0xce, at));
  if (length < 0x100) at = prefix.writeUInt8(length, prefix.writeUInt8(0xc4, at));
  else if (length < 0x10000) at = prefix.writeUInt16BE(length, prefix.writeUInt8(0xc5, at));
  else at = prefix.writeUInt32BE(length, prefix.writeUInt8(0xc6, at));
  prefix.writeUInt32BE(at - FRAME_HEADER_SIZE + length, 0);
  return prefix.subarray(0, at);
}

export class RpcStream extends Duplex {
  private remoteFinished = false;
  private remoteAborted = false;
  private pausedChannel = false;

  constructor(
    private readonly channel: MessageChannel,
    readonly id: number,
    private readonly onSettled: (stream: RpcStream) => void,
  ) {
    super({ allowHalfOpen: true });
    this.once('close', () => this.onSettled(this));
  }

  /** Data arrived from the peer. */
  receiveData(data: Uint8Array): void {
    if (this.remoteFinished || this.destroyed) return;
    if (!this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength)) && !this.pausedChannel) {
      this.pausedChannel = true;
      this.channel.pause();
    }
  }

  receiveFinish(): void {
    if (this.remoteFinished) return;
    this.remoteFinished = true;
    // autoDestroy closes the stream once both directions are done.
    this.push(null);
  }

  receiveAbort(error: WireError): void {
    this.remoteAborted = true;
    this.destroy(VirError.fromWire(error));
  }

  /** The channel died under the stream. */
  channelClosed(): void {
    if (!this.destroyed) {
      this.remoteAborted = true;
      this.destroy(
        new VirError(ErrorCode.INVALID_STREAM, ErrorDomain.STREAMS, 'stream aborted: the connection closed'),
      );
    }
  }

  override _read(): void {
    if (this.pausedChannel) {
      this.pausedChannel = false;
      this.channel.resume();
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.sendChunks(chunk).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.channel.send({ type: MessageType.STREAM_FINISH, stream: this.id });
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.pausedChannel) this.channel.resume();
    if (error && !this.remoteAborted) {
      const wire = error instanceof VirError ? error.toWire() : VirError.from(error, ErrorDomain.STREAMS).toWire();
      this.channel.send({ type: MessageType.STREAM_ABORT, stream: this.id, error: wire });
    }
    callback(error);
  }

  private async sendChunks(chunk: Buffer): Promise<void> {
    for (let offset = 0; offset < chunk.length; offset += STREAM_CHUNK_SIZE) {
      if (this.channel.isClosed)
        throw new VirError(ErrorCode.INVALID_STREAM, ErrorDomain.STREAMS, 'stream aborted: the connection closed');
      const data = chunk.subarray(offset, offset + STREAM_CHUNK_SIZE);
      const prefix = streamDataPrefix(this.id, data.length);
      let ok: boolean;
      if (!prefix) ok = this.channel.send({ type: MessageType.STREAM_DATA, stream: this.id, data });
      else {
        // Straight onto the channel's byte stream, corked so that both parts leave in one writev.
        const bytes = this.channel.stream;
        bytes.cork();
        bytes.write(prefix);
        ok = bytes.write(data);
        bytes.uncork();
      }
      if (!ok) await this.channel.waitForDrain();
    }
  }
}

/** The streams open on one channel, routed by id. */
export class StreamTable {
  private readonly streams = new Map<number, RpcStream>();

  constructor(private readonly channel: MessageChannel) {}

  open(id: number): RpcStream {
    const stream = new RpcStream(this.channel, id, (s) => {
      if (this.streams.get(s.id) === s) this.streams.delete(s.id);
    });
    this.streams.set(id, stream);
    return stream;
  }

  get(id: number): RpcStream | undefined {
    return this.streams.get(id);
  }

  get size(): number {
    return this.streams.size;
  }

  closeAll(): void {
    for (const stream of [...this.streams.values()]) stream.channelClosed();
    this.streams.clear();
  }

  /** Routes a stream message; returns false when it names no open stream. */
  route(message: { type: number; stream: number; data?: Uint8Array; error?: WireError }): boolean {
    const stream = this.streams.get(message.stream);
    if (!stream) return false;
    if (message.type === MessageType.STREAM_DATA) stream.receiveData(message.data!);
    else if (message.type === MessageType.STREAM_FINISH) stream.receiveFinish();
    else if (message.type === MessageType.STREAM_ABORT) stream.receiveAbort(message.error!);
    return true;
  }
}
