/**
 * Keepalive: after `intervalMs` of silence from the peer we ping it; after `count`
 * unanswered pings in a row the peer is declared dead. Any frame from the peer
 * counts as a sign of life, so a busy connection never pings.
 */

export interface KeepaliveOptions {
  /** Silence before the first ping, and between pings; 0 or less disables keepalive. */
  intervalMs: number;
  /** Unanswered pings tolerated before the peer is declared dead. */
  count: number;
}

export class Keepalive {
  private timer: NodeJS.Timeout | undefined;
  private lastHeard = Date.now();
  private missed = 0;

  constructor(
    private readonly options: KeepaliveOptions,
    private readonly sendPing: () => void,
    private readonly onDead: (silentMs: number) => void,
  ) {}

  start(): void {
    if (this.options.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  heard(): void {
    this.lastHeard = Date.now();
    this.missed = 0;
  }

  private tick(): void {
    const silent = Date.now() - this.lastHeard;
    if (silent < this.options.intervalMs) return;
    if (this.missed >= this.options.count) {
      this.stop();
      this.onDead(silent);
      return;
    }
    this.missed++;
    this.sendPing();
  }
}
