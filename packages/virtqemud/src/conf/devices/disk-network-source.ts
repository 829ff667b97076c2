/** `<disk type='network'>` sources: `<source protocol name>` with its `<host>` servers; `<auth>` is refused. */
import type { DiskDef, DiskNetProtocol, DiskSourceHost } from '../domain-def.js';
import type { XmlElement } from '../xml-parse.js';
import { unsupported, xmlDetail } from '../conf-error.js';
import { attr, childElement, childElements, onlyValues, optUint, refuse, type XmlWriter } from '../xml-util.js';

const PROTOCOLS = ['nbd', 'http', 'https', 'iscsi', 'rbd', 'gluster', 'sheepdog'] as const;

/** Only these protocols can reach their server over a unix socket (libvirt's rule). */
const UNIX_CAPABLE: readonly DiskNetProtocol[] = ['nbd', 'gluster'];

function parseHost(el: XmlElement, protocol: DiskNetProtocol): DiskSourceHost {
  const transport = onlyValues(attr(el, 'transport') ?? 'tcp', ['tcp', 'unix'] as const, '<disk> <host transport>');
  const host: DiskSourceHost = {};
  if (transport === 'unix') {
    if (!UNIX_CAPABLE.includes(protocol)) refuse(`<disk> <source protocol='${protocol}'> <host transport>`, 'unix');
    host.transport = 'unix';
    const socket = attr(el, 'socket');
    if (socket === undefined) throw unsupported("unsupported configuration: <host transport='unix'> needs a socket");
    host.socket = socket;
    return host;
  }
  if (attr(el, 'transport') !== undefined) host.transport = 'tcp';
  const name = attr(el, 'name');
  if (name === undefined) throw unsupported('unsupported configuration: a network disk <host> needs a name');
  host.name = name;
  const port = optUint(el, 'port', 'disk host port');
  if (port !== undefined) host.port = port;
  return host;
}

/**
 * `<auth>` (in `<disk>` or `<source>`) names a secret: those live in virtsecretd, which
 * this driver cannot ask yet, so a disk with one is refused rather than opened without it.
 */
export function refuseDiskAuth(disk: XmlElement, source: XmlElement | undefined): void {
  const auth = childElement(disk, 'auth') ?? (source ? childElement(source, 'auth') : undefined);
  if (!auth) return;
  throw unsupported(
    `unsupported configuration: <disk> <auth username='${attr(auth, 'username') ?? ''}'> needs a secret from virtsecretd, which this driver cannot use yet`,
  );
}

/** Fills `disk.source` from a network `<source>`; the disk must be `type='network'`. */
export function parseNetworkSource(src: XmlElement | undefined, disk: DiskDef): void {
  if (src === undefined)
    throw unsupported("unsupported configuration: <disk type='network'> needs a <source protocol>");
  const protocol = onlyValues(attr(src, 'protocol') ?? '', PROTOCOLS, '<disk> <source protocol>');
  const source: NonNullable<DiskDef['source']> = { protocol };
  const name = attr(src, 'name');
  if (name !== undefined) source.name = name;
  const hosts = childElements(src, 'host').map((h) => parseHost(h, protocol));
  if (hosts.length > 0) source.hosts = hosts;
  disk.source = source;
}

export function formatNetworkSource(w: XmlWriter, s: NonNullable<DiskDef['source']>): void {
  const attrs = [
    ['protocol', s.protocol],
    ['name', s.name],
  ] as const;
  w.block('source', attrs, (inner) => {
    for (const h of s.hosts ?? []) {
      inner.empty('host', [
        ['name', h.name],
        ['port', h.port],
        ['transport', h.transport],
        ['socket', h.socket],
      ]);
    }
  });
}

/** How many `<host>`s each protocol takes, and whether it needs a `name` (export, path, volume/image). */
const RULES: Record<DiskNetProtocol, { hosts: 'one' | 'any' | 'some'; name: 'optional' | 'required' | 'pair' }> = {
  nbd: { hosts: 'one', name: 'optional' },
  http: { hosts: 'one', name: 'required' },
  https: { hosts: 'one', name: 'required' },
  iscsi: { hosts: 'one', name: 'required' },
  rbd: { hosts: 'any', name: 'pair' },
  gluster: { hosts: 'some', name: 'pair' },
  sheepdog: { hosts: 'one', name: 'required' },
};

/** The checks libvirt makes on a network source, before anything tries to open it. */
export function validateNetworkSource(disk: DiskDef): void {
  const s = disk.source;
  if (disk.type !== 'network' || s?.protocol === undefined) return;
  const rule = RULES[s.protocol];
  const count = s.hosts?.length ?? 0;
  const what = `disk '${disk.target.dev}' with protocol '${s.protocol}'`;
  if (rule.hosts === 'one' && count !== 1) throw xmlDetail(`${what} needs exactly one <host>, not ${count}`);
  if (rule.hosts === 'some' && count === 0) throw xmlDetail(`${what} needs at least one <host>`);
  if (rule.name !== 'optional' && (s.name === undefined || s.name === '')) {
    throw xmlDetail(`${what} needs a <source name>`);
  }
  if ((s.protocol === 'http' || s.protocol === 'https') && !disk.readonly) {
    // QEMU's curl driver cannot write: the guest would get a device it cannot use.
    throw unsupported(`unsupported configuration: ${what} must be <readonly/>: QEMU cannot write over HTTP`);
  }
  if (rule.name === 'pair' && !/^[^/]+\/.+$/.test(s.name ?? '')) {
    throw xmlDetail(`${what}: <source name> '${s.name ?? ''}' must be 'volume/path' (or 'pool/image')`);
  }
}
