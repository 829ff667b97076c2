/**
 * What is in a file: a cheap look at its first bytes for a disk image header, then
 * qemu-img for the images. A file with no known header is raw; a file whose header claims
 * an image qemu-img cannot open (corrupt, truncated, or not an image after all) is
 * reported as raw too, with a warning: its header is never trusted.
 */
import { open } from 'node:fs/promises';
import type { Logger } from 'pino';
import { qemuImgInfo, type QemuImgInfo } from './qemu-img.js';

/** Image headers by format, as QEMU's probes recognise them (offset, bytes). */
const MAGICS: ReadonlyArray<{ format: string; offset: number; bytes: Buffer }> = [
  { format: 'qcow2', offset: 0, bytes: Buffer.from([0x51, 0x46, 0x49, 0xfb]) },
  { format: 'qed', offset: 0, bytes: Buffer.from('QED\0', 'latin1') },
  { format: 'vmdk', offset: 0, bytes: Buffer.from('KDMV', 'latin1') },
  { format: 'vmdk', offset: 0, bytes: Buffer.from('# Disk DescriptorFile', 'latin1') },
  { format: 'vdi', offset: 64, bytes: Buffer.from([0x7f, 0x10, 0xda, 0xbe]) },
  { format: 'vpc', offset: 0, bytes: Buffer.from('conectix', 'latin1') },
  { format: 'vhdx', offset: 0, bytes: Buffer.from('vhdxfile', 'latin1') },
  { format: 'luks', offset: 0, bytes: Buffer.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe]) },
];

/** The format a header names, or undefined for none (raw). */
export async function sniffImageFormat(path: string): Promise<string | undefined> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(128);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    for (const magic of MAGICS) {
      const end = magic.offset + magic.bytes.length;
      if (end <= bytesRead && head.subarray(magic.offset, end).equals(magic.bytes)) return magic.format;
    }
    return undefined;
  } finally {
    await handle.close();
  }
}

export interface ProbedImage {
  format: string;
  /** Guest-visible size in bytes. */
  capacity: number;
  backing?: { path: string; format?: string | undefined } | undefined;
}

/**
 * Describes the file at `path`. With `knownFormat` (a volume the driver made or already
 * probed) the file is read as that format and its header cannot change what it is.
 */
export async function probeImage(path: string, size: number, log: Logger, knownFormat?: string): Promise<ProbedImage> {
  const format = knownFormat ?? (await sniffImageFormat(path));
  if (format === undefined || format === 'raw') return { format: 'raw', capacity: size };
  let info: QemuImgInfo;
  try {
    info = await qemuImgInfo(path, format);
  } catch (err) {
    log.warn({ path, format, err: (err as Error).message }, 'image header not readable: reporting the file as raw');
    return { format: 'raw', capacity: size };
  }
  if (info.corrupt) log.warn({ path, format }, 'image is marked corrupt');
  return {
    format: info.format,
    capacity: info.virtualSize,
    backing: info.backingFilename ? { path: info.backingFilename, format: info.backingFormat } : undefined,
  };
}
