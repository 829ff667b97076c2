/** The `-blockdev` protocol node of a `<disk type='network'>`, in the JSON shape libvirt 9 gives QEMU. */
import type { DiskDef, DiskNetProtocol, DiskSourceHost } from '../../conf/domain-def.js';
import { cannotExpress } from './runtime-info.js';

/** The ports libvirt fills in when `<host>` names none. */
const DEFAULT_PORT: Record<DiskNetProtocol, number> = {
  nbd: 10809,
  http: 80,
  https: 443,
  iscsi: 3260,
  // libvirt names none for rbd; QEMU needs one per monitor, and Ceph's is 6789.
  rbd: 6789,
  gluster: 24007,
  sheepdog: 7000,
};

type Source = NonNullable<DiskDef['source']>;

/** QEMU's block driver for a network disk: the protocol's own name in every case libvirt supports. */
export function networkBlockDriver(disk: DiskDef): DiskNetProtocol | undefined {
  return disk.type === 'network' ? disk.source?.protocol : undefined;
}

function firstHost(s: Source, dev: string): DiskSourceHost {
  const h = s.hosts?.[0];
  if (!h) throw cannotExpress(`network disk '${dev}' has no <host>`);
  return h;
}

/** QEMU's SocketAddress: `inet` with the port as a string, or `unix` with a path. */
function socketAddress(h: DiskSourceHost, protocol: DiskNetProtocol): Record<string, unknown> {
  if (h.transport === 'unix') return { type: 'unix', path: h.socket };
  return { type: 'inet', host: h.name, port: String(h.port ?? DEFAULT_PORT[protocol]) };
}

/** `pool/image`, `volume/path`: split at the first slash. */
function splitName(s: Source): [string, string] {
  const name = s.name ?? '';
  const at = name.indexOf('/');
  return [name.slice(0, at), name.slice(at + 1)];
}

function hostPort(h: DiskSourceHost, protocol: DiskNetProtocol): string {
  const host = h.name ?? '';
  // An IPv6 literal needs brackets in a URL or portal.
  return `${host.includes(':') ? `[${host}]` : host}:${h.port ?? DEFAULT_PORT[protocol]}`;
}

/**
 * The protocol-specific members of the storage node; the caller adds node-name and the
 * read-only and cache flags. Throws CONFIG_UNSUPPORTED for what QEMU has no way to say.
 */
export function networkStorageProps(disk: DiskDef): Record<string, unknown> {
  const s = disk.source;
  const dev = disk.target.dev;
  const protocol = s?.protocol;
  if (!s || protocol === undefined) throw cannotExpress(`network disk '${dev}' without a <source protocol>`);
  switch (protocol) {
    case 'nbd':
      return { driver: 'nbd', server: socketAddress(firstHost(s, dev), protocol), export: s.name };
    case 'http':
    case 'https': {
      const path = (s.name ?? '').startsWith('/') ? (s.name ?? '') : `/${s.name ?? ''}`;
      return { driver: protocol, url: `${protocol}://${hostPort(firstHost(s, dev), protocol)}${encodeURI(path)}` };
    }
    case 'iscsi': {
      // `<source name='iqn.2013-07.com.example:iscsi-pool/1'>`: the target, then the LUN (default 0).
      const name = s.name ?? '';
      const at = name.lastIndexOf('/');
      const lun = at > 0 && /^\d+$/.test(name.slice(at + 1)) ? Number(name.slice(at + 1)) : 0;
      const target = at > 0 && /^\d+$/.test(name.slice(at + 1)) ? name.slice(0, at) : name;
      return { driver: 'iscsi', portal: hostPort(firstHost(s, dev), protocol), target, lun, transport: 'tcp' };
    }
    case 'rbd': {
      const [pool, image] = splitName(s);
      const servers = (s.hosts ?? []).map((h) => ({ host: h.name, port: String(h.port ?? DEFAULT_PORT.rbd) }));
      return { driver: 'rbd', pool, image, server: servers.length > 0 ? servers : undefined };
    }
    case 'gluster': {
      const [volume, path] = splitName(s);
      return { driver: 'gluster', volume, path, server: (s.hosts ?? []).map((h) => socketAddress(h, protocol)) };
    }
    case 'sheepdog':
      return { driver: 'sheepdog', server: socketAddress(firstHost(s, dev), protocol), vdi: s.name };
  }
}
