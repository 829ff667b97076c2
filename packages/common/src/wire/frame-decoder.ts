/**
 * Length-prefixed framing: a 4-byte big-endian body length, then the body.
 * The length is checked against the limit before any of the body is buffered, so a
 * hostile peer cannot make us allocate more than one frame's worth.
 */
import { TransportError } from '../errors/transport-error.js';

export const FRAME_HEADER_SIZE = 4;
/** Default largest frame body accepted, 32 MiB. */
export const DEFAULT_MAX_FRAME_SIZE = 32 * 1024 * 1024;

export function encodeFrame(body: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_SIZE + body.length);
  frame.writeUInt32BE(body.length, 0);
  frame.set(body, FRAME_HEADER_SIZE);
  return frame;
}

/**
 * Turns a byte stream into frame bodies. Chunks are kept as a list and joined once
 * per frame, so a large frame arriving in many small chunks costs one copy.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private expected = -1;

  constructor(private readonly maxFrameSize: number = DEFAULT_MAX_FRAME_SIZE) {}

  /** Feeds bytes; returns the complete frame bodies they finish. Throws TransportError on an oversized frame. */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < FRAME_HEADER_SIZE) break;
        const length = this.peekHeader();
        if (length > this.maxFrameSize) {
          throw new TransportError(
            'frame-too-large',
            `frame of ${length} bytes exceeds the limit of ${this.maxFrameSize} bytes`,
          );
        }
        this.consume(FRAME_HEADER_SIZE);
        this.expected = length;
      }
      if (this.buffered < this.expected) break;
      frames.push(this.consume(this.expected));
      this.expected = -1;
    }
    return frames;
  }

  /** Bytes held for an incomplete frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  private peekHeader(): number {
    const first = this.chunks[0]!;
    if (first.length >= FRAME_HEADER_SIZE) return first.readUInt32BE(0);
    return this.join().readUInt32BE(0);
  }

  private join(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0]!;
  }

  private consume(length: number): Buffer {
    if (length === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= length) {
      out = first.subarray(0, length);
      if (first.length === length) this.chunks.shift();
      else this.chunks[0] = first.subarray(length);
    } else {
      const all = this.join();
      out = all.subarray(0, length);
      this.chunks[0] = all.subarray(length);
    }
    this.buffered -= length;
    if (this.buffered === 0) this.chunks = [];
    return out;
  }
}
