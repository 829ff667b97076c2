/**
 * A message channel over any byte duplex (a socket, or an in-memory pair in tests):
 * framing, encoding, keepalive and back-pressure. It knows nothing of calls or
 * procedures; client and server sessions sit on top of it.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { TransportError } from '../errors/transport-error.js';
import { DEFAULT_MAX_FRAME_SIZE, FrameDecoder, encodeFrame } from '../wire/frame-decoder.js';
import { MessageType, decodeMessage, encodeMessage, type Message } from '../wire/messages.js';
import { Keepalive, type KeepaliveOptions } from './keepalive.js';

export interface ChannelOptions {
  maxFrameSize?: number;
  keepalive?: KeepaliveOptions;
}

export interface MessageChannelEvents {
  message: [Message];
  /** Emitted once; `error` is set when the channel ended for a reason other than an orderly close. */
  close: [TransportError | undefined];
}

export class MessageChannel extends EventEmitter<MessageChannelEvents> {
  /** Largest frame we accept. */
  readonly maxFrameSize: number;
  /** Largest frame the peer accepts, once it has said so (the handshake); ours until then. */
  peerMaxFrameSize: number;
  private readonly decoder: FrameDecoder;
  private readonly keepalive: Keepalive | undefined;
  private closed = false;
  private corkScheduled = false;

  constructor(
    readonly stream: Duplex,
    options: ChannelOptions = {},
  ) {
    super();
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.peerMaxFrameSize = this.maxFrameSize;
    this.decoder = new FrameDecoder(this.maxFrameSize);
    if (options.keepalive && options.keepalive.intervalMs > 0) {
      this.keepalive = new Keepalive(
        options.keepalive,
        () => this.send({ type: MessageType.PING }),
        (silentMs) =>
          this.destroy(new TransportError('timeout', `peer did not answer keepalives for ${Math.round(silentMs)} ms`)),
      );
      this.keepalive.start();
    }
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('end', () => this.destroy());
    stream.on('close', () => this.destroy());
    stream.on('error', (err) =>
      this.destroy(new TransportError('closed', `connection error: ${err.message}`, { cause: err })),
    );
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Queues a message. Returns false when the stream's buffer is full (wait for `drain`). */
  send(message: Message): boolean {
    if (this.closed) return false;
    const body = encodeMessage(message);
    if (body.length > this.peerMaxFrameSize) {
      throw new TransportError(
        'frame-too-large',
        `message of ${body.length} bytes exceeds the peer's limit of ${this.peerMaxFrameSize} bytes`,
      );
    }
    // Cork until the end of this tick so that replies produced together leave in one write.
    if (!this.corkScheduled) {
      this.corkScheduled = true;
      this.stream.cork();
      process.nextTick(() => {
        this.corkScheduled = false;
        this.stream.uncork();
      });
    }
    return this.stream.write(encodeFrame(body));
  }

  /** Resolves once the stream can take more data. */
  waitForDrain(): Promise<void> {
    if (this.closed || !this.stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.stream.off('drain', done);
        this.off('close', done);
        resolve();
      };
      this.stream.once('drain', done);
      this.once('close', done);
    });
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    if (!this.closed) this.stream.resume();
  }

  /** Orderly close: flush what was written, then end. */
  end(): void {
    if (this.closed) return;
    this.stream.end();
    this.finish(undefined);
  }

  /** Abrupt close, with the reason when it was not orderly. */
  destroy(error?: TransportError): void {
    if (this.closed) return;
    this.stream.destroy();
    this.finish(error);
  }

  private finish(error: TransportError | undefined): void {
    this.closed = true;
    this.keepalive?.stop();
    this.emit('close', error);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.keepalive?.heard();
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.destroy(err as TransportError);
      return;
    }
    for (const frame of frames) {
      let message: Message;
      try {
        message = decodeMessage(frame);
      } catch (err) {
        this.destroy(err as TransportError);
        return;
      }
      if (message.type === MessageType.PING) {
        this.send({ type: MessageType.PONG });
        continue;
      }
      if (message.type === MessageType.PONG) continue;
      this.emit('message', message);
      if (this.closed) return;
    }
  }
}
