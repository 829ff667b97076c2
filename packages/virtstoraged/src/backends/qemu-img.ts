/**
 * qemu-img, one function per use: create, convert, resize, info (JSON). Arguments go in
 * an argv (no shell); option values are escaped as QEMU's option parser wants (',' → ',,').
 * A failure is an INTERNAL_ERROR carrying qemu-img's own message, as libvirt reports it.
 */
import { execFile } from 'node:child_process';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';

export const QEMU_IMG = 'qemu-img';

/** QEMU's `-o key=value,...` syntax doubles commas inside a value. */
export function escapeOptionValue(value: string): string {
  return value.replace(/,/g, ',,');
}

export function runQemuImg(args: string[], timeoutMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(QEMU_IMG, args, { maxBuffer: 16 * 1024 * 1024, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (!err) {
        resolve(stdout);
        return;
      }
      const detail = (stderr || err.message).trim().replace(/^qemu-img: /, '');
      reject(
        new VirError(ErrorCode.INTERNAL_ERROR, ErrorDomain.STORAGE, `qemu-img ${args[0]} failed: ${detail}`, {
          str1: detail,
        }),
      );
    });
  });
}

export type Preallocation = 'off' | 'metadata' | 'falloc' | 'full';

export interface QemuImgInfo {
  format: string;
  virtualSize: number;
  actualSize: number;
  backingFilename?: string | undefined;
  backingFormat?: string | undefined;
  /** qcow2's corrupt flag: the image must not be used as is. */
  corrupt: boolean;
}

/**
 * `qemu-img info --output=json`: with `format`, the file is read as that format and
 * nothing is probed. `-U` so a volume a running guest holds can still be described.
 */
export async function qemuImgInfo(path: string, format?: string): Promise<QemuImgInfo> {
  const args = ['info', '--output=json', '-U', ...(format ? ['-f', format] : []), path];
  const parsed = JSON.parse(await runQemuImg(args, 30_000)) as Record<string, unknown>;
  const specific = (parsed['format-specific'] as { data?: { corrupt?: boolean } } | undefined)?.data;
  return {
    format: String(parsed.format),
    virtualSize: Number(parsed['virtual-size'] ?? 0),
    actualSize: Number(parsed['actual-size'] ?? 0),
    backingFilename: typeof parsed['backing-filename'] === 'string' ? parsed['backing-filename'] : undefined,
    backingFormat:
      typeof parsed['backing-filename-format'] === 'string' ? parsed['backing-filename-format'] : undefined,
    corrupt: specific?.corrupt === true,
  };
}

export interface CreateImageOptions {
  format: string;
  /** Bytes; may be absent when a backing file gives the size. */
  size?: number | undefined;
  preallocation?: Preallocation | undefined;
  backing?: { path: string; format: string } | undefined;
}

/** `qemu-img create -f FMT [-o ...] PATH [SIZE]`. */
export async function qemuImgCreate(path: string, options: CreateImageOptions): Promise<void> {
  const opts: string[] = [];
  if (options.preallocation && options.preallocation !== 'off') opts.push(`preallocation=${options.preallocation}`);
  if (options.backing) {
    opts.push(`backing_file=${escapeOptionValue(options.backing.path)}`);
    opts.push(`backing_fmt=${escapeOptionValue(options.backing.format)}`);
  }
  if (options.format === 'qcow2') opts.push('compat=1.1');
  const args = ['create', '-q', '-f', options.format, ...(opts.length ? ['-o', opts.join(',')] : []), path];
  if (options.size !== undefined) args.push(String(options.size));
  await runQemuImg(args);
}

/** `qemu-img convert`: the source read as `sourceFormat`, written as `targetFormat` (sparse: zeros are skipped). */
export async function qemuImgConvert(
  source: { path: string; format: string },
  target: { path: string; format: string; preallocation?: Preallocation | undefined },
): Promise<void> {
  const opts: string[] = [];
  if (target.preallocation && target.preallocation !== 'off') opts.push(`preallocation=${target.preallocation}`);
  if (target.format === 'qcow2') opts.push('compat=1.1');
  await runQemuImg([
    'convert',
    '-q',
    '-U',
    '-f',
    source.format,
    '-O',
    target.format,
    ...(opts.length ? ['-o', opts.join(',')] : []),
    source.path,
    target.path,
  ]);
}

/** `qemu-img resize -f FMT [--shrink] [--preallocation=falloc] PATH SIZE`. */
export async function qemuImgResize(
  path: string,
  format: string,
  size: number,
  options: { shrink?: boolean; allocate?: boolean } = {},
): Promise<void> {
  await runQemuImg([
    'resize',
    '-q',
    '-f',
    format,
    ...(options.shrink ? ['--shrink'] : []),
    ...(options.allocate ? ['--preallocation=falloc'] : []),
    path,
    String(size),
  ]);
}

/** Whether qemu-img can be run at all. */
export async function qemuImgAvailable(): Promise<boolean> {
  try {
    await runQemuImg(['--version'], 10_000);
    return true;
  } catch {
    return false;
  }
}
