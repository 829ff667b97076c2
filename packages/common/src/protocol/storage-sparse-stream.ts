/**
 * The record framing of a sparse volume stream (storage.volUpload/volDownload with
 * `sparse`): pure encode and decode, shared by the client and virtstoraged.
 */
import { SPARSE_RECORD_HEADER_BYTES, SparseRecordKind } from './storage-vol.js';

export type SparseRecord = { kind: 'data'; data: Buffer } | { kind: 'hole'; length: number };

/** The header of a record; a DATA header is followed by `length` bytes. @since 0.1.0 */
export function sparseRecordHeader(kind: 'data' | 'hole', length: number): Buffer {
  const header = Buffer.alloc(SPARSE_RECORD_HEADER_BYTES);
  header[0] = kind === 'data' ? SparseRecordKind.DATA : SparseRecordKind.HOLE;
  header.writeBigUInt64BE(BigInt(length), 1);
  return header;
}

/**
 * Turns stream chunks, cut anywhere, back into records. A DATA record's bytes come out as
 * they arrive (several records for one header), so nothing big is buffered. @since 0.1.0
 */
export class SparseRecordDecoder {
  private header = Buffer.alloc(0);
  /** Bytes of the current DATA record not seen yet. */
  private dataLeft = 0;

  push(chunk: Buffer): SparseRecord[] {
    const out: SparseRecord[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.dataLeft > 0) {
        const take = Math.min(this.dataLeft, chunk.length - at);
        out.push({ kind: 'data', data: chunk.subarray(at, at + take) });
        this.dataLeft -= take;
        at += take;
        continue;
      }
      const need = SPARSE_RECORD_HEADER_BYTES - this.header.length;
      const part = chunk.subarray(at, at + need);
      this.header = this.header.length === 0 ? Buffer.from(part) : Buffer.concat([this.header, part]);
      at += part.length;
      if (this.header.length < SPARSE_RECORD_HEADER_BYTES) break;
      const kind = this.header[0];
      const length = Number(this.header.readBigUInt64BE(1));
      this.header = Buffer.alloc(0);
      if (!Number.isSafeInteger(length)) throw new Error(`sparse stream record of ${length} bytes is too long`);
      if (kind === SparseRecordKind.HOLE) out.push({ kind: 'hole', length });
      else if (kind === SparseRecordKind.DATA) this.dataLeft = length;
      else throw new Error(`unknown sparse stream record kind ${kind}`);
    }
    return out;
  }

  /** True between records: a stream that ends elsewhere was cut short. */
  get atBoundary(): boolean {
    return this.dataLeft === 0 && this.header.length === 0;
  }
}

const ZEROS = Buffer.alloc(1024 * 1024);

/** True when `buf` holds only zero bytes (a hole candidate); memcmp against zeros, 1 MiB at a time. @since 0.1.0 */
export function isAllZero(buf: Buffer): boolean {
  for (let at = 0; at < buf.length; at += ZEROS.length) {
    const part = buf.subarray(at, at + ZEROS.length);
    if (!part.equals(ZEROS.subarray(0, part.length))) return false;
  }
  return true;
}
