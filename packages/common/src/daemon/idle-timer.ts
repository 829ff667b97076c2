/**
 * `--timeout N`: the daemon exits after N seconds with no clients and nothing under
 * way that needs it (a running guest, an open stream). Checked on every change in the
 * client count and every second, so the exit comes within a second of the deadline.
 */

export interface IdleTimerOptions {
  timeoutSeconds: number;
  isIdle: () => boolean;
  onIdle: () => void;
}

export class IdleTimer {
  private idleSince: number | undefined;
  private readonly ticker: NodeJS.Timeout | undefined;

  constructor(private readonly options: IdleTimerOptions) {
    if (options.timeoutSeconds > 0) {
      this.ticker = setInterval(() => this.check(), Math.min(1000, options.timeoutSeconds * 1000));
      this.ticker.unref();
      this.check();
    }
  }

  check(): void {
    if (this.options.timeoutSeconds <= 0) return;
    if (!this.options.isIdle()) {
      this.idleSince = undefined;
      return;
    }
    const now = Date.now();
    this.idleSince ??= now;
    if (now - this.idleSince >= this.options.timeoutSeconds * 1000) {
      this.stop();
      this.options.onIdle();
    }
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
  }
}
