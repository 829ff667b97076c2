/**
 * Volume upload and download over an RPC stream (virStorageVolUpload/Download), as
 * virsh's vol-upload/vol-download use them: from `offset`, at most `length` bytes (0: to
 * the end). Sparse-aware both ways: a download skips all-zero blocks (as holes in a sparse
 * stream, or plain zeros otherwise); an upload of a whole volume starts from an empty file
 * and leaves zeros unwritten, so holes stay holes; an upload into part of a volume writes
 * every byte, zeros included, since what it overwrites is not known to be zero.
 */
import type { FileHandle } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import { SparseRecordDecoder, isAllZero, sparseRecordHeader } from '@tsvirt/common/protocol';
import { volumeDataSize } from '../backends/block-device.js';
import { ExtentCursor, fileExtents } from './vol-transfer-extents.js';

/** Bytes read from the volume per step. */
const READ_CHUNK = 4 * 1024 * 1024;
/** Granularity of hole detection: an all-zero run of this size or more is a hole. */
const HOLE_BLOCK = 64 * 1024;
const ZEROS = Buffer.alloc(READ_CHUNK);
/** Received data is written in batches of this size (one writev), not one write per 256 KiB frame. */
const WRITE_BATCH = 4 * 1024 * 1024;
/** Downloads at least this long ask the file system where the holes are (a qemu-img process) instead of reading them. */
const MAP_HOLES_FROM = 1024 * 1024;

export interface TransferRange {
  offset: number;
  /** 0: to the end. */
  length: number;
  sparse: boolean;
}

function streamError(message: string): VirError {
  return new VirError(ErrorCode.INVALID_STREAM, ErrorDomain.STREAMS, message);
}

/** Resolves once `stream` can take more; rejects if it closes or fails first. */
function drained(stream: Duplex): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      stream.off('error', done);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(streamError('stream aborted: the connection closed'));
    stream.on('drain', onDrain);
    stream.once('close', onClose);
    stream.once('error', done);
  });
}

async function send(stream: Duplex, data: Buffer): Promise<void> {
  if (stream.destroyed) throw streamError('stream aborted: the connection closed');
  if (!stream.write(data)) await drained(stream);
}

/** Sends `[offset, offset+length)` of the file; the stream ends after the last byte. */
export async function sendVolume(handle: FileHandle, stream: Duplex, range: TransferRange): Promise<number> {
  // The client sends nothing; reading its finish lets the stream close once both sides are done.
  stream.resume();
  const stats = await handle.stat();
  const size = await volumeDataSize(stats);
  const end = range.length > 0 ? Math.min(size, range.offset + range.length) : size;
  const extents = stats.isFile() && end - range.offset >= MAP_HOLES_FROM ? await fileExtents(handle) : undefined;
  const cursor = extents && new ExtentCursor(extents);
  let hole = 0;
  let sent = 0;
  const flushHole = async (): Promise<void> => {
    if (hole === 0) return;
    if (range.sparse) await send(stream, sparseRecordHeader('hole', hole));
    else
      for (let left = hole; left > 0; left -= ZEROS.length)
        await send(stream, ZEROS.subarray(0, Math.min(left, ZEROS.length)));
    hole = 0;
  };
  for (let pos = range.offset; pos < end;) {
    const extent = cursor?.at(pos);
    if (extent && !extent.data) {
      // A hole of the file system: zeros, known without reading them.
      const skip = Math.min(extent.start + extent.length, end) - pos;
      hole += skip;
      pos += skip;
      sent += skip;
      continue;
    }
    // Data: read up to the next hole at most.
    const want = Math.min(READ_CHUNK, (extent ? Math.min(extent.start + extent.length, end) : end) - pos);
    const buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await handle.read(buf, 0, want, pos);
    if (bytesRead === 0) break;
    // Cut the chunk into data and zero runs, block by block.
    let dataStart = -1;
    for (let at = 0; at < bytesRead; at += HOLE_BLOCK) {
      const block = buf.subarray(at, Math.min(at + HOLE_BLOCK, bytesRead));
      if (isAllZero(block)) {
        if (dataStart >= 0) {
          await sendData(stream, buf.subarray(dataStart, at), range.sparse);
          dataStart = -1;
        }
        hole += block.length;
      } else {
        if (dataStart < 0) {
          await flushHole();
          dataStart = at;
        }
      }
    }
    if (dataStart >= 0) await sendData(stream, buf.subarray(dataStart, bytesRead), range.sparse);
    pos += bytesRead;
    sent += bytesRead;
  }
  await flushHole();
  stream.end();
  return sent;
}

async function sendData(stream: Duplex, data: Buffer, sparse: boolean): Promise<void> {
  if (sparse) await send(stream, sparseRecordHeader('data', data.length));
  await send(stream, data);
}

/** Collects contiguous data and writes it at `pos` in one writev per WRITE_BATCH bytes. */
class BatchedWriter {
  private parts: Buffer[] = [];
  private bytes = 0;

  constructor(
    private readonly handle: FileHandle,
    private pos: number,
  ) {}

  /** Where the next byte goes. */
  get end(): number {
    return this.pos + this.bytes;
  }

  async add(data: Buffer): Promise<void> {
    this.parts.push(data);
    this.bytes += data.length;
    if (this.bytes >= WRITE_BATCH) await this.flush();
  }

  /** Leaves `length` bytes of the file as they are. */
  async skip(length: number): Promise<void> {
    await this.flush();
    this.pos += length;
  }

  async flush(): Promise<void> {
    if (this.bytes === 0) return;
    const { bytesWritten } = await this.handle.writev(this.parts, this.pos);
    if (bytesWritten < this.bytes) {
      const rest = Buffer.concat(this.parts).subarray(bytesWritten);
      for (let at = 0; at < rest.length;) {
        at += (await this.handle.write(rest, at, rest.length - at, this.pos + bytesWritten + at)).bytesWritten;
      }
    }
    this.pos += this.bytes;
    this.parts = [];
    this.bytes = 0;
  }
}

/**
 * Writes what arrives on the stream into the file from `range.offset`. `whole`: the
 * upload replaces the entire volume, so the file is emptied first and zeros need not be
 * written. The file is synced before returning; it is never shorter than it was.
 */
export async function receiveVolume(
  handle: FileHandle,
  stream: Duplex,
  range: TransferRange & { whole: boolean },
): Promise<number> {
  const before = await handle.stat();
  // A block device cannot be emptied or resized: a whole upload writes every byte, zeros too.
  const isBlockDevice = before.isBlockDevice();
  const whole = range.whole && !isBlockDevice;
  const originalSize = await volumeDataSize(before);
  if (whole) await handle.truncate(0);
  const decoder = range.sparse ? new SparseRecordDecoder() : undefined;
  const out = new BatchedWriter(handle, range.offset);
  let received = 0;
  const limit = range.length > 0 ? range.length : Number.POSITIVE_INFINITY;
  const take = (n: number): void => {
    received += n;
    if (received > limit) throw streamError(`upload of more than the ${range.length} bytes asked for`);
  };
  const writeData = async (data: Buffer): Promise<void> => {
    take(data.length);
    if (whole && isAllZero(data)) await out.skip(data.length);
    else await out.add(data);
  };
  const writeHole = async (length: number): Promise<void> => {
    take(length);
    if (whole) await out.skip(length);
    else
      for (let at = 0; at < length; at += ZEROS.length) {
        await out.add(ZEROS.subarray(0, Math.min(ZEROS.length, length - at)));
      }
  };
  // Not destroyed at the end of the loop: the daemon still has to finish its side once the data is synced.
  for await (const chunk of stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    if (!decoder) {
      await writeData(chunk);
      continue;
    }
    let records;
    try {
      records = decoder.push(chunk);
    } catch (err) {
      throw streamError(`malformed sparse stream: ${(err as Error).message}`);
    }
    for (const record of records) {
      if (record.kind === 'data') await writeData(record.data);
      else await writeHole(record.length);
    }
  }
  if (decoder && !decoder.atBoundary) throw streamError('sparse stream ended inside a record');
  await out.flush();
  const pos = out.end;
  const stats = await handle.stat();
  // Holes at the end of a whole upload, and a file that was longer before, keep their size.
  const finalSize = Math.max(pos, whole ? originalSize : stats.size);
  if (!isBlockDevice && stats.size < finalSize) await handle.truncate(finalSize);
  await handle.sync();
  return received;
}
