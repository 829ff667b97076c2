/** Test support for the storage tests: a real virtstoraged in a temp root, client connections, pool and volume XML, files. */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Connection } from '@tsvirt/client';
import { makeTempRoot, removeTempRoot, spawnNamedDaemon, type DaemonProcess } from '@tsvirt/common/testing';

export interface StorageTestEnv {
  root: string;
  /** A scratch directory under the root for pools and outside files. */
  scratch: string;
  daemons: DaemonProcess[];
  conns: Connection[];
  startDaemon(): Promise<DaemonProcess>;
  connect(options?: { readonly?: boolean }): Promise<Connection>;
  close(): Promise<void>;
}

export async function storageTestEnv(): Promise<StorageTestEnv> {
  const root = makeTempRoot();
  const scratch = join(root, 'scratch');
  mkdirSync(scratch);
  const env: StorageTestEnv = {
    root,
    scratch,
    daemons: [],
    conns: [],
    async startDaemon() {
      const daemon = await spawnNamedDaemon('virtstoraged', root);
      env.daemons.push(daemon);
      return daemon;
    },
    async connect(options = {}) {
      const conn = await open('storage:///session', {
        env: { ...process.env, TSVIRT_ROOT: root },
        autostart: false,
        readonly: options.readonly ?? false,
      });
      env.conns.push(conn);
      return conn;
    },
    async close() {
      for (const conn of env.conns) await conn.close().catch(() => undefined);
      for (const daemon of env.daemons) await daemon.stop(2000);
      removeTempRoot(root);
    },
  };
  return env;
}

/** A dir pool's XML. */
export function dirPoolXml(name: string, path: string, uuid?: string): string {
  return `<pool type='dir'>
  <name>${name}</name>${uuid ? `\n  <uuid>${uuid}</uuid>` : ''}
  <target><path>${path}</path></target>
</pool>`;
}

/** A volume's XML; sizes in bytes. */
export function volXml(
  name: string,
  capacity: number,
  options: { format?: string; allocation?: number; backing?: { path: string; format: string } } = {},
): string {
  return `<volume>
  <name>${name}</name>
  <capacity unit='bytes'>${capacity}</capacity>${
    options.allocation !== undefined ? `\n  <allocation unit='bytes'>${options.allocation}</allocation>` : ''
  }
  <target><format type='${options.format ?? 'raw'}'/></target>${
    options.backing
      ? `\n  <backingStore><path>${options.backing.path}</path><format type='${options.backing.format}'/></backingStore>`
      : ''
  }
</volume>`;
}

export interface ImageInfo {
  format: string;
  'virtual-size': number;
  'actual-size': number;
  'backing-filename'?: string;
  'format-specific'?: { data?: Record<string, unknown> };
}

export function qemuImgInfo(path: string): ImageInfo {
  return JSON.parse(execFileSync('qemu-img', ['info', '--output=json', '-U', path], { encoding: 'utf8' })) as ImageInfo;
}

/** Bytes allocated on disk (st_blocks * 512). */
export function allocatedBytes(path: string): number {
  return statSync(path).blocks * 512;
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export const MiB = 1024 * 1024;
