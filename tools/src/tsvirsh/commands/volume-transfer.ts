/**
 * `vol-upload` and `vol-download` (virsh-volume.c's cmdVolUpload/cmdVolDownload): a file's
 * bytes into a volume from --offset, or a volume's bytes into a file, through the call's
 * RPC stream. With --sparse, runs of zeros cross as hole records and become holes in the
 * file written. A progress bar is drawn on stderr when it is a terminal.
 */
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { protocol, type Connection } from '@tsvirt/client';
import type { CommandContext, CommandDecl, OptionDecl } from '../command.js';
import { CommandError } from '../errors.js';
import { ProgressBar } from './progress-bar.js';
import { OPTIONAL_POOL_OPTION, VOL_OPTION, volOption } from './storage-args.js';
import { describeStorageError } from './storage-format.js';

/** Bytes read from the file per call: large reads are what keep up with `cp`. */
const READ_SIZE = 4 * 1024 * 1024;
/** Zero runs shorter than a block stay data: holes come in filesystem blocks. */
const HOLE_BLOCK = 4096;
/** Received bytes are written in batches this large, not one small write per stream frame. */
const WRITE_BATCH = 4 * 1024 * 1024;

const ZERO_BLOCK = Buffer.alloc(HOLE_BLOCK);

/** A part of a read buffer: bytes to send, or a run of zeros to send as a hole. */
export type Extent = { kind: 'data'; data: Buffer } | { kind: 'hole'; length: number };

/** Cuts `buf` into data and zero runs on HOLE_BLOCK boundaries (a short tail block is data unless all zero). */
export function splitExtents(buf: Buffer): Extent[] {
  const extents: Extent[] = [];
  let runStart = 0;
  let runIsHole: boolean | undefined;
  for (let at = 0; at < buf.length; at += HOLE_BLOCK) {
    const block = buf.subarray(at, at + HOLE_BLOCK);
    const zero = block.equals(block.length === HOLE_BLOCK ? ZERO_BLOCK : ZERO_BLOCK.subarray(0, block.length));
    if (runIsHole === undefined) runIsHole = zero;
    else if (zero !== runIsHole) {
      extents.push(extentOf(buf, runStart, at, runIsHole));
      runStart = at;
      runIsHole = zero;
    }
  }
  if (runIsHole !== undefined) extents.push(extentOf(buf, runStart, buf.length, runIsHole));
  return extents;
}

function extentOf(buf: Buffer, start: number, end: number, hole: boolean): Extent {
  return hole ? { kind: 'hole', length: end - start } : { kind: 'data', data: buf.subarray(start, end) };
}

const TRANSFER_OPTIONS = (verb: 'to' | 'from'): OptionDecl[] => [
  VOL_OPTION,
  { name: 'file', type: 'string', required: true, positional: true, help: 'file' },
  OPTIONAL_POOL_OPTION,
  { name: 'offset', type: 'number', help: `volume offset to ${verb === 'to' ? 'upload to' : 'download from'}` },
  { name: 'length', type: 'number', help: `amount of data to ${verb === 'to' ? 'upload' : 'download'}` },
  { name: 'sparse', type: 'bool', help: 'preserve sparseness of volume' },
];

/** --offset (vshCommandOptULongLong: no negatives) and --length (its Wrap variant: negative means "all"). */
function rangeArgs(ctx: CommandContext): { offset: number; length: number } {
  const offset = ctx.args.number('offset') ?? 0;
  if (offset < 0) {
    throw new CommandError(`Numeric value '${offset}' for <offset> option is malformed or out of range`);
  }
  const length = ctx.args.number('length') ?? 0;
  return { offset, length: length < 0 ? 0 : length };
}

/** Writes `chunk`, waiting for room when the stream is full (end-to-end back-pressure). */
async function send(stream: Duplex, chunk: Buffer): Promise<void> {
  if (stream.destroyed) throw stream.errored ?? new Error('stream closed');
  // once() rejects if the stream fails while waiting for room
  if (!stream.write(chunk)) await once(stream, 'drain');
}

/** Resolves when the daemon has finished its side (the data is on disk), rejects with its error. */
async function remoteFinished(stream: Duplex): Promise<void> {
  if (stream.errored) throw stream.errored;
  if (stream.readableEnded) return;
  stream.resume();
  await once(stream, 'end');
}

/** Sends the file's bytes (at most `limit`, 0: all) as raw data or as sparse records; returns the bytes covered. */
async function sendFile(
  file: FileHandle,
  stream: Duplex,
  limit: number,
  sparse: boolean,
  bar: ProgressBar,
): Promise<number> {
  let sent = 0;
  let pendingHole = 0;
  const flushHole = async (): Promise<void> => {
    if (pendingHole === 0) return;
    await send(stream, protocol.sparseRecordHeader('hole', pendingHole));
    pendingHole = 0;
  };
  for (;;) {
    const want = limit > 0 ? Math.min(READ_SIZE, limit - sent) : READ_SIZE;
    if (want <= 0) break;
    // a fresh buffer each time: the stream may still hold the previous one
    const { bytesRead, buffer } = await file.read(Buffer.allocUnsafe(want), 0, want, null);
    if (bytesRead === 0) break;
    const chunk = buffer.subarray(0, bytesRead);
    if (!sparse) await send(stream, chunk);
    else {
      for (const extent of splitExtents(chunk)) {
        if (extent.kind === 'hole') pendingHole += extent.length;
        else {
          await flushHole();
          await send(stream, protocol.sparseRecordHeader('data', extent.data.length));
          await send(stream, extent.data);
        }
      }
    }
    sent += bytesRead;
    bar.update(sent);
  }
  await flushHole();
  return sent;
}

/** The stream's first error, kept so that a failed write reports the daemon's reason, not "write after end". */
function watchErrors(stream: Duplex): { error(): unknown } {
  let first: unknown;
  stream.on('error', (err) => (first ??= err));
  return { error: () => first };
}

const volUpload: CommandDecl = {
  name: 'vol-upload',
  group: 'volume',
  summary: 'upload file contents to a volume',
  description: 'Upload file contents to a volume',
  options: TRANSFER_OPTIONS('to'),
  async run(ctx) {
    const { offset, length } = rangeArgs(ctx);
    const { conn, vol, text } = await volOption(ctx);
    const path = ctx.args.string('file') ?? '';
    let file: FileHandle;
    try {
      file = await open(path, 'r');
    } catch {
      throw new CommandError(`cannot read ${path}`);
    }
    try {
      const size = (await file.stat()).size;
      const sparse = ctx.args.bool('sparse');
      const stream = await openStream(
        conn,
        protocol.storageVolUpload,
        vol,
        { offset, length, sparse },
        `cannot upload to volume ${text}`,
      );
      const errors = watchErrors(stream);
      const bar = new ProgressBar('Uploading', length > 0 ? Math.min(length, size) : size);
      try {
        const sent = await sendFile(file, stream, length, sparse, bar);
        bar.finish(sent);
      } catch (err) {
        bar.finish();
        stream.destroy(err instanceof Error ? err : undefined);
        throw new CommandError(`cannot send data to volume ${text}`, describeStorageError(errors.error() ?? err));
      }
      try {
        stream.end();
        await remoteFinished(stream);
      } catch (err) {
        throw new CommandError(`cannot close volume ${text}`, describeStorageError(errors.error() ?? err));
      }
    } finally {
      await file.close();
    }
  },
};

/** Opens the call's stream, or fails with `failure` (virsh's "cannot upload to volume NAME") and the reason. */
async function openStream(
  conn: Connection,
  procedure: typeof protocol.storageVolUpload | typeof protocol.storageVolDownload,
  vol: { pool: string; name: string },
  range: { offset: number; length: number; sparse: boolean },
  failure: string,
): Promise<Duplex> {
  try {
    const { stream } = await conn.callWithStream(procedure, {
      pool: vol.pool,
      name: vol.name,
      ...(range.offset > 0 ? { offset: range.offset } : {}),
      ...(range.length > 0 ? { length: range.length } : {}),
      ...(range.sparse ? { sparse: true } : {}),
    });
    return stream;
  } catch (err) {
    throw new CommandError(failure, describeStorageError(err));
  }
}

/** Writes what arrives, in batches; holes (sparse records) move the position without writing. */
class FileSink {
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private batchStart = 0;
  /** Where the next byte goes. */
  position = 0;

  constructor(private readonly file: FileHandle) {}

  async data(chunk: Buffer): Promise<void> {
    if (this.batchBytes === 0) this.batchStart = this.position;
    this.batch.push(chunk);
    this.batchBytes += chunk.length;
    this.position += chunk.length;
    if (this.batchBytes >= WRITE_BATCH) await this.flush();
  }

  async hole(length: number): Promise<void> {
    await this.flush();
    this.position += length;
  }

  async flush(): Promise<void> {
    if (this.batchBytes === 0) return;
    const buffers = this.batch;
    let at = this.batchStart;
    this.batch = [];
    this.batchBytes = 0;
    while (buffers.length > 0) {
      const { bytesWritten } = await this.file.writev(buffers, at);
      at += bytesWritten;
      // a short write leaves the rest for the next round
      let skip = bytesWritten;
      while (skip > 0 && buffers.length > 0) {
        const first = buffers[0]!;
        if (first.length <= skip) {
          skip -= first.length;
          buffers.shift();
        } else {
          buffers[0] = first.subarray(skip);
          skip = 0;
        }
      }
    }
  }

  /** Flushes, and sizes the file so that a trailing hole is kept. */
  async close(): Promise<void> {
    await this.flush();
    await this.file.truncate(this.position);
  }
}

/** Receives the stream into `sink`. */
async function receiveStream(stream: Duplex, sink: FileSink, sparse: boolean, bar: ProgressBar): Promise<void> {
  const decoder = sparse ? new protocol.SparseRecordDecoder() : undefined;
  for await (const chunk of stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    if (!decoder) await sink.data(chunk);
    else {
      for (const record of decoder.push(chunk)) {
        if (record.kind === 'data') await sink.data(record.data);
        else await sink.hole(record.length);
      }
    }
    bar.update(sink.position);
  }
  if (decoder && !decoder.atBoundary) throw new Error('the sparse stream ended inside a record');
}

const volDownload: CommandDecl = {
  name: 'vol-download',
  group: 'volume',
  summary: 'download volume contents to a file',
  description: 'Download volume contents to a file',
  options: TRANSFER_OPTIONS('from'),
  async run(ctx) {
    const { offset, length } = rangeArgs(ctx);
    const { conn, vol, text } = await volOption(ctx);
    const path = ctx.args.string('file') ?? '';
    const sparse = ctx.args.bool('sparse');
    let file: FileHandle;
    let created = false;
    try {
      file = await open(path, 'wx', 0o666);
      created = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new CommandError(`cannot create ${path}`);
      try {
        file = await open(path, 'w', 0o666);
      } catch {
        throw new CommandError(`cannot create ${path}`);
      }
    }
    let ok = false;
    try {
      const info = await conn
        .call(protocol.storageVolGetInfo, { pool: vol.pool, name: vol.name })
        .catch(() => undefined);
      const available = info ? Math.max(0, info.physical - offset) : undefined;
      const stream = await openStream(
        conn,
        protocol.storageVolDownload,
        vol,
        { offset, length, sparse },
        'download from',
      );
      const bar = new ProgressBar(
        'Downloading',
        available !== undefined && length > 0 ? Math.min(length, available) : length > 0 ? length : available,
      );
      const sink = new FileSink(file);
      // our side sends nothing: finished now, the stream closes once the daemon's side ends
      stream.end();
      try {
        await receiveStream(stream, sink, sparse, bar);
        await sink.close();
        bar.finish(sink.position);
      } catch (err) {
        bar.finish();
        stream.destroy();
        throw new CommandError(`cannot receive data from volume ${text}`, describeStorageError(err));
      }
      ok = true;
    } finally {
      await file.close();
      if (!ok && created) await unlink(path).catch(() => undefined);
    }
  },
};

export const volumeTransferCommands: CommandDecl[] = [volUpload, volDownload];
