/** QMP framing: JSON texts separated by LF (QEMU sends CRLF), cut out of a byte stream that arrives in arbitrary chunks. */
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';

/** QEMU's largest replies (query-qmp-schema, query-machines) are well under this; anything larger means a broken peer. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;

export class QmpLineSplitter {
  private parts: Buffer[] = [];
  private partsLength = 0;

  constructor(readonly maxLineBytes: number = DEFAULT_MAX_LINE_BYTES) {}

  /** Bytes held of a line not yet complete. */
  get buffered(): number {
    return this.partsLength;
  }

  /**
   * Yields each complete line of `chunk` (without its CR/LF; blank lines skipped), keeping the
   * unfinished tail for the next chunk. A generator, so that lines before an oversized one are
   * still delivered before the error is thrown at the point where the limit was crossed.
   */
  *push(chunk: Buffer): Generator<string, void, void> {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(LF, start);
      if (newline === -1) break;
      const piece = chunk.subarray(start, newline);
      start = newline + 1;
      this.checkLength(this.partsLength + piece.length);
      let line = this.partsLength === 0 ? piece : Buffer.concat([...this.parts, piece]);
      this.parts = [];
      this.partsLength = 0;
      if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
      const text = line.toString('utf8');
      if (text.trim() !== '') yield text;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      // Checked before buffering, so a peer that never sends LF cannot make us hold more than the limit.
      this.checkLength(this.partsLength + rest.length);
      this.parts.push(rest);
      this.partsLength += rest.length;
    }
  }

  private checkLength(length: number): void {
    if (length > this.maxLineBytes) {
      this.parts = [];
      this.partsLength = 0;
      throw new VirError(
        ErrorCode.INTERNAL_ERROR,
        ErrorDomain.QEMU,
        `QEMU monitor sent a message longer than ${this.maxLineBytes} bytes`,
      );
    }
  }
}
