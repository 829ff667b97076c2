/**
 * The `netfs` pool: a network share (NFS, CIFS, GlusterFS) mounted on the target
 * directory; otherwise an fs pool. The mount command is libvirt's
 * (virStorageBackendFileSystemMountCmd): `auto` lets mount pick the type, NFS takes the
 * protocol version as nfsvers=, CIFS mounts as guest, GlusterFS with direct I/O.
 */
import type { PoolDef } from '../conf/index.js';
import { invalidArg } from '../driver/storage-errors.js';
import { MountedPoolBackend, poolTarget } from './mounted-pool.js';

function sourceHost(pool: PoolDef): string {
  const host = pool.source.host?.[0]?.name;
  if (!host) throw invalidArg(`storage pool '${pool.name}' is missing source host`);
  return host;
}

function sourceDir(pool: PoolDef): string {
  const dir = pool.source.dir?.path;
  if (!dir) throw invalidArg(`storage pool '${pool.name}' is missing source dir`);
  return dir;
}

/** An IPv6 address goes in brackets before the `:dir` of an NFS source. */
function hostForPath(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export class NetfsBackend extends MountedPoolBackend {
  readonly type = 'netfs' as const;
  protected readonly tools = { mount: 'mount', umount: 'mount' };

  mountSource(pool: PoolDef): string {
    const host = sourceHost(pool);
    const dir = sourceDir(pool);
    if (pool.source.format?.type === 'cifs') return `//${host}/${dir.replace(/^\/+/, '')}`;
    return `${hostForPath(host)}:${dir}`;
  }

  mountArgs(pool: PoolDef): string[] {
    const source = this.mountSource(pool);
    const target = poolTarget(pool);
    const format = pool.source.format?.type ?? 'auto';
    switch (format) {
      case 'auto':
        return [source, target];
      case 'glusterfs':
        return ['-t', format, source, target, '-o', 'direct-io-mode=1'];
      case 'cifs':
        return ['-t', format, source, target, '-o', 'guest'];
      default: {
        const version = pool.source.protocolVer;
        return ['-t', format, source, target, ...(version !== undefined ? ['-o', `nfsvers=${version}`] : [])];
      }
    }
  }

  /** A network share is made on its server: build only makes the mount point. */
  protected async buildStorage(): Promise<void> {}
}
