/**
 * The calling end of a channel: numbers calls with serials, matches replies (which
 * may come in any order), turns error replies into VirError, routes events to
 * subscribers and stream frames to their streams.
 */
import type { Duplex } from 'node:stream';
import { TransportError } from '../errors/transport-error.js';
import { VirError } from '../errors/vir-error.js';
import type { ArgsOf, ProcedureDecl, ResultOf } from '../protocol/procedure.js';
import { MessageType, type Message } from '../wire/messages.js';
import { MessageChannel, type ChannelOptions } from './message-channel.js';
import { StreamTable, type RpcStream } from './rpc-stream.js';

interface PendingCall {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

export type EventListener = (eventNumber: number, data: unknown) => void;

export class ClientSession {
  readonly channel: MessageChannel;
  private readonly pending = new Map<number, PendingCall>();
  private readonly streams: StreamTable;
  private readonly eventListeners = new Map<number, EventListener>();
  private nextSerial = 1;
  private closeError: TransportError | undefined;
  private readonly closeListeners: Array<(error: TransportError | undefined) => void> = [];

  constructor(stream: Duplex, options: ChannelOptions = {}) {
    this.channel = new MessageChannel(stream, options);
    this.streams = new StreamTable(this.channel);
    this.channel.on('message', (message) => this.onMessage(message));
    this.channel.on('close', (error) => this.handleClose(error));
  }

  get isClosed(): boolean {
    return this.channel.isClosed;
  }

  /** Calls a procedure and resolves with its result, or rejects with VirError / TransportError. */
  call<P extends ProcedureDecl>(procedure: P, args: ArgsOf<P>): Promise<ResultOf<P>> {
    return this.send(procedure, args) as Promise<ResultOf<P>>;
  }

  /**
   * Calls a procedure that opens a stream. The stream exists before the call is sent,
   * so no data the daemon sends right after its reply can be lost.
   */
  async callWithStream<P extends ProcedureDecl>(
    procedure: P,
    args: ArgsOf<P>,
  ): Promise<{ result: ResultOf<P>; stream: RpcStream }> {
    const serial = this.nextSerial;
    const stream = this.streams.open(serial);
    try {
      const result = (await this.send(procedure, args)) as ResultOf<P>;
      return { result, stream };
    } catch (err) {
      stream.destroy();
      throw err;
    }
  }

  /** Routes events carrying `callbackId` to `listener`. */
  onEvent(callbackId: number, listener: EventListener): void {
    this.eventListeners.set(callbackId, listener);
  }

  offEvent(callbackId: number): void {
    this.eventListeners.delete(callbackId);
  }

  /** Runs `listener` once the channel closes (at once if it already has). */
  onClose(listener: (error: TransportError | undefined) => void): void {
    if (this.channel.isClosed) listener(this.closeError);
    else this.closeListeners.push(listener);
  }

  close(): void {
    this.channel.end();
  }

  private send(procedure: ProcedureDecl, args: unknown): Promise<unknown> {
    if (this.channel.isClosed) {
      return Promise.reject(this.closeError ?? new TransportError('closed', 'the connection is closed'));
    }
    const serial = this.nextSerial++;
    return new Promise((resolve, reject) => {
      this.pending.set(serial, { resolve, reject });
      try {
        this.channel.send({ type: MessageType.CALL, serial, procedure: procedure.number, args });
      } catch (err) {
        this.pending.delete(serial);
        reject(err);
      }
    });
  }

  private handleClose(error: TransportError | undefined): void {
    this.closeError = error;
    const failure = error ?? new TransportError('closed', 'the connection closed before the reply arrived');
    for (const call of this.pending.values()) call.reject(failure);
    this.pending.clear();
    this.streams.closeAll();
    for (const listener of this.closeListeners.splice(0)) listener(error);
  }

  private onMessage(message: Message): void {
    switch (message.type) {
      case MessageType.REPLY:
      case MessageType.ERROR: {
        const call = this.pending.get(message.serial);
        if (!call) {
          this.channel.destroy(new TransportError('protocol', `reply for unknown serial ${message.serial}`));
          return;
        }
        this.pending.delete(message.serial);
        if (message.type === MessageType.REPLY) call.resolve(message.result);
        else call.reject(VirError.fromWire(message.error));
        return;
      }
      case MessageType.EVENT:
        this.eventListeners.get(message.callbackId)?.(message.event, message.data);
        return;
      case MessageType.STREAM_DATA:
      case MessageType.STREAM_FINISH:
      case MessageType.STREAM_ABORT:
        // Frames for a stream we already closed are harmless leftovers.
        this.streams.route(message);
        return;
      case MessageType.CALL:
        this.channel.destroy(new TransportError('protocol', 'the daemon sent a call'));
        return;
    }
  }
}
