/**
 * The progress bar of vol-upload, vol-download and vol-clone: one line on stderr, redrawn
 * in place, only when stderr is a terminal, so that pipes and logs get nothing.
 */
import { prettyCapacity } from './storage-format.js';

const BAR_WIDTH = 30;
/** Redraws at most this often: a fast transfer must not spend its time drawing. */
const REDRAW_MS = 100;

/** `label: [=========>          ]  31 %  80.00 MiB / 256.00 MiB`; without a total, the bytes alone. */
export function formatProgress(label: string, done: number, total: number | undefined): string {
  if (total === undefined || total <= 0) return `${label}: ${prettyCapacity(done)}`;
  const fraction = Math.min(1, Math.max(0, done / total));
  const filled = Math.floor(fraction * BAR_WIDTH);
  const bar =
    filled >= BAR_WIDTH ? '='.repeat(BAR_WIDTH) : `${'='.repeat(filled)}>${' '.repeat(BAR_WIDTH - filled - 1)}`;
  const percent = String(Math.floor(fraction * 100)).padStart(3);
  return `${label}: [${bar}] ${percent} %  ${prettyCapacity(done)} / ${prettyCapacity(total)}`;
}

export interface ProgressSink {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export class ProgressBar {
  private lastDraw = 0;
  private width = 0;
  private drawn = false;

  /** `sink` defaults to stderr; the bar stays silent unless the sink is a terminal. */
  constructor(
    private readonly label: string,
    private total: number | undefined,
    private readonly sink: ProgressSink = process.stderr,
  ) {}

  get active(): boolean {
    return this.sink.isTTY === true;
  }

  setTotal(total: number | undefined): void {
    this.total = total;
  }

  update(done: number, force = false): void {
    if (!this.active) return;
    const now = Date.now();
    if (!force && this.drawn && now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    const line = formatProgress(this.label, done, this.total);
    // pad over the longer line drawn before
    this.sink.write(`\r${line}${' '.repeat(Math.max(0, this.width - line.length))}`);
    this.width = line.length;
    this.drawn = true;
  }

  /** Draws the final state and ends the line; after a failure, just ends the line. */
  finish(done?: number): void {
    if (!this.active) return;
    if (done !== undefined) this.update(done, true);
    if (this.drawn) this.sink.write('\n');
    this.drawn = false;
  }
}
