/**
 * Test helper: a scripted fake QEMU on the far end of a duplex. It greets, insists on
 * qmp_capabilities first like QEMU does, answers commands from a script, and can send
 * events, raw bytes, or EOF whenever a test wants.
 */
import type { Duplex } from 'node:stream';
import { duplexPair } from '@tsvirt/common/testing';

export interface FakeEvent {
  event: string;
  data?: Record<string, unknown>;
}

export type FakeReply =
  | { return: unknown; error?: never }
  | { error: { class: string; desc: string }; return?: never }
  /** Never answer: for timeouts and commands pending at EOF. */
  | { noReply: true }
  /** Close the monitor instead of answering (QEMU dying mid-command). */
  | { close: true };

export type FakeScriptEntry = FakeReply & {
  /** Answer after this long instead of at once. */
  delayMs?: number;
  /** Events written in the same write as the reply, before it. */
  eventsBefore?: FakeEvent[];
  /** Events written in the same write as the reply, after it. */
  eventsAfter?: FakeEvent[];
};

export type FakeScript = Record<
  string,
  FakeScriptEntry | ((args: Record<string, unknown> | undefined) => FakeScriptEntry)
>;

export interface FakeMonitorOptions {
  script?: FakeScript;
  /** The greeting object, `false` for none, or a raw line to send instead. */
  greeting?: Record<string, unknown> | false | string;
  /** Cut every write into pieces of this many bytes (1: one byte at a time). */
  chunkSize?: number;
}

export interface ReceivedCommand {
  execute: string;
  arguments?: Record<string, unknown>;
  id?: unknown;
}

/** QEMU 7.2's greeting, as captured from the installed binary. */
export const QEMU_72_GREETING = {
  QMP: {
    version: { qemu: { micro: 22, minor: 2, major: 7 }, package: 'Debian 1:7.2+dfsg-7+deb12u18+b3' },
    capabilities: ['oob'],
  },
};

let fakeClock = 1_795_445_879;

export class FakeMonitor {
  readonly received: ReceivedCommand[] = [];
  script: FakeScript;
  private negotiated = false;
  private input = '';
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly chunkSize: number | undefined;

  constructor(
    readonly stream: Duplex,
    options: FakeMonitorOptions = {},
  ) {
    this.script = options.script ?? {};
    this.chunkSize = options.chunkSize;
    stream.on('data', (chunk: Buffer) => this.onData(chunk.toString('utf8')));
    stream.on('error', () => undefined);
    const greeting = options.greeting ?? QEMU_72_GREETING;
    if (greeting !== false) this.sendRaw(typeof greeting === 'string' ? greeting : `${JSON.stringify(greeting)}\r\n`);
  }

  /** A fake on one end of an in-memory pair; `client` is the end for QmpConnection. */
  static pair(options: FakeMonitorOptions = {}): { fake: FakeMonitor; client: Duplex } {
    const [client, server] = duplexPair();
    return { fake: new FakeMonitor(server, options), client };
  }

  /** The names of the commands received, in order. */
  get commands(): string[] {
    return this.received.map((c) => c.execute);
  }

  sendEvent(event: string, data?: Record<string, unknown>): void {
    this.sendRaw(this.eventLine({ event, data }));
  }

  /** Writes bytes as they are, cut per `chunkSize`. */
  sendRaw(bytes: string | Buffer): void {
    const buffer = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    if (this.stream.destroyed || this.stream.writableEnded) return;
    const size = this.chunkSize ?? buffer.length;
    for (let offset = 0; offset < buffer.length; offset += size) {
      this.stream.write(buffer.subarray(offset, offset + size));
    }
  }

  /** EOF, as when QEMU exits. */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (!this.stream.writableEnded) this.stream.end();
  }

  private eventLine(event: FakeEvent): string {
    const timestamp = { seconds: fakeClock++, microseconds: 495_696 };
    const message: Record<string, unknown> = { timestamp, event: event.event };
    if (event.data) message.data = event.data;
    return `${JSON.stringify(message)}\r\n`;
  }

  private onData(text: string): void {
    this.input += text;
    let newline: number;
    while ((newline = this.input.indexOf('\n')) !== -1) {
      const line = this.input.slice(0, newline).trim();
      this.input = this.input.slice(newline + 1);
      if (line) this.onCommand(JSON.parse(line) as ReceivedCommand);
    }
  }

  private onCommand(command: ReceivedCommand): void {
    this.received.push(command);
    const idPart = command.id === undefined ? {} : { id: command.id };
    if (!this.negotiated && command.execute !== 'qmp_capabilities') {
      const error = { class: 'CommandNotFound', desc: "Expecting capabilities negotiation with 'qmp_capabilities'" };
      this.sendRaw(`${JSON.stringify({ ...idPart, error })}\r\n`);
      return;
    }
    const scripted = this.script[command.execute];
    const entry: FakeScriptEntry =
      typeof scripted === 'function'
        ? scripted(command.arguments)
        : (scripted ??
          (command.execute === 'qmp_capabilities'
            ? { return: {} }
            : { error: { class: 'CommandNotFound', desc: `The command ${command.execute} has not been found` } }));
    if (command.execute === 'qmp_capabilities' && !('error' in entry && entry.error)) this.negotiated = true;
    const answer = (): void => {
      if ('noReply' in entry) return;
      if ('close' in entry) {
        this.close();
        return;
      }
      const reply =
        'error' in entry && entry.error ? { ...idPart, error: entry.error } : { return: entry.return, ...idPart };
      const text =
        (entry.eventsBefore ?? []).map((e) => this.eventLine(e)).join('') +
        `${JSON.stringify(reply)}\r\n` +
        (entry.eventsAfter ?? []).map((e) => this.eventLine(e)).join('');
      this.sendRaw(text);
    };
    if (entry.delayMs === undefined) {
      answer();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      answer();
    }, entry.delayMs);
    this.timers.add(timer);
  }
}
