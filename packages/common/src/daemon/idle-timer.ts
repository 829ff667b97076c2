/**
 * `--timeout N`: the daemon exits after N seconds with no clients and nothing under
 * way that needs it (a running guest, an open stream). Checked on every change in the
 * client count and every second, so the exit comes within a second of the deadline.
 * The timeout is read at each check, so a config reload can change it.
 */

export interface IdleTimerOptions {
  /** Seconds of idleness before exiting; 0 means never. */
  timeoutSeconds: () => number;
  isIdle: () => boolean;
  onIdle: () => void;
}

export class IdleTimer {
  private idleSince: number | undefined;
  private readonly ticker: NodeJS.Timeout;

  constructor(private readonly options: IdleTimerOptions) {
    this.ticker = setInterval(() => this.check(), 1000);
    this.ticker.unref();
    this.check();
  }

  check(): void {
    const timeout = this.options.timeoutSeconds();
    if (timeout <= 0 || !this.options.isIdle()) {
      this.idleSince = undefined;
      return;
    }
    const now = Date.now();
    this.idleSince ??= now;
    if (now - this.idleSince >= timeout * 1000) {
      this.stop();
      this.options.onIdle();
    }
  }

  stop(): void {
    clearInterval(this.ticker);
  }
}
