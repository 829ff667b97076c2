/** One connected client of a daemon: its channel, its flags, its streams and subscriptions. */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { ErrorCode, ErrorDomain } from '../errors/error-codes.js';
import { TransportError } from '../errors/transport-error.js';
import { VirError } from '../errors/vir-error.js';
import type { DaemonName, SocketKind } from '../protocol/daemons.js';
import { MessageChannel, type ChannelOptions } from '../rpc/message-channel.js';
import { StreamTable, type RpcStream } from '../rpc/rpc-stream.js';
import { MessageType, type Message } from '../wire/messages.js';
import type { Dispatcher } from './dispatcher.js';

export type { SocketKind } from '../protocol/daemons.js';

export interface Subscription {
  readonly event: number;
  readonly filter: Readonly<Record<string, string>> | undefined;
}

export class ServerClient {
  readonly connectedAt = new Date();
  readonly channel: MessageChannel;
  /** Set by connect.open; no other call is served before it. */
  opened = false;
  readonly: boolean;
  callsServed = 0;
  readonly subscriptions = new Map<number, Subscription>();
  private nextCallbackId = 1;
  private readonly streams: StreamTable;
  private inFlight = 0;

  constructor(
    readonly id: number,
    readonly daemonName: DaemonName,
    readonly socketKind: SocketKind,
    stream: Duplex,
    channelOptions: ChannelOptions,
    private readonly dispatcher: Dispatcher,
    private readonly log: Logger,
  ) {
    // A client on the read-only socket can never become read-write.
    this.readonly = socketKind === 'ro';
    this.channel = new MessageChannel(stream, channelOptions);
    this.streams = new StreamTable(this.channel);
    this.channel.on('message', (message) => this.onMessage(message));
    this.channel.on('close', (error) => this.onClose(error));
  }

  /** Calls under way plus open streams: work that keeps the daemon from idling out. */
  get busy(): boolean {
    return this.inFlight > 0 || this.streams.size > 0;
  }

  openStream(id: number): RpcStream {
    return this.streams.open(id);
  }

  subscribe(event: number, filter: Record<string, string> | undefined): number {
    const callbackId = this.nextCallbackId++;
    this.subscriptions.set(callbackId, { event, filter });
    return callbackId;
  }

  sendEvent(callbackId: number, event: number, data: unknown): void {
    this.channel.send({ type: MessageType.EVENT, callbackId, event, data });
  }

  /** Ends the connection after what was already written has been flushed. */
  close(): void {
    this.channel.end();
  }

  private onMessage(message: Message): void {
    switch (message.type) {
      case MessageType.CALL:
        this.serve(message.serial, message);
        return;
      case MessageType.STREAM_DATA:
      case MessageType.STREAM_FINISH:
      case MessageType.STREAM_ABORT:
        // A frame for a stream already closed on our side is a harmless race.
        this.streams.route(message);
        return;
      default:
        this.channel.destroy(new TransportError('protocol', `a client may not send message type ${message.type}`));
    }
  }

  private serve(serial: number, call: Extract<Message, { type: 0 }>): void {
    this.inFlight++;
    void this.dispatcher.dispatch(this, call).then((outcome) => {
      this.inFlight--;
      this.callsServed++;
      if (this.channel.isClosed) return;
      try {
        if ('error' in outcome) this.channel.send({ type: MessageType.ERROR, serial, error: outcome.error.toWire() });
        else this.channel.send({ type: MessageType.REPLY, serial, result: outcome.result });
      } catch (err) {
        // Only an oversized reply gets here; the caller still deserves an answer.
        const error = new VirError(
          ErrorCode.RPC,
          ErrorDomain.RPC,
          `reply to serial ${serial} too large: ${(err as Error).message}`,
        );
        this.channel.send({ type: MessageType.ERROR, serial, error: error.toWire() });
      }
    });
  }

  private onClose(error: TransportError | undefined): void {
    this.streams.closeAll();
    if (error)
      this.log.warn(
        { client: this.id, socket: this.socketKind, reason: error.kind, err: error.message },
        'client dropped',
      );
    else this.log.debug({ client: this.id, socket: this.socketKind }, 'client disconnected');
  }
}
