/** The daemons of tsvirt and the URI drivers each one serves. */

/** @since 0.1.0 */
export const DAEMON_NAMES = [
  'virtqemud',
  'virtnetworkd',
  'virtstoraged',
  'virtnodedevd',
  'virtsecretd',
  'virtproxyd',
] as const;
export type DaemonName = (typeof DAEMON_NAMES)[number];

/** The subsystem a daemon owns, as named in user-facing messages. */
export const DAEMON_SUBSYSTEM: Record<DaemonName, string> = {
  virtqemud: 'QEMU',
  virtnetworkd: 'network',
  virtstoraged: 'storage',
  virtnodedevd: 'node device',
  virtsecretd: 'secret',
  virtproxyd: 'proxy',
};

/** URI driver name (the scheme before any `+transport`) → the daemon that serves it. */
export const DRIVER_DAEMON: Record<string, DaemonName> = {
  qemu: 'virtqemud',
  kvm: 'virtqemud',
  network: 'virtnetworkd',
  storage: 'virtstoraged',
  nodedev: 'virtnodedevd',
  secret: 'virtsecretd',
};

/** The canonical driver name a daemon reports in its URI. */
export const DAEMON_DRIVER: Record<DaemonName, string> = {
  virtqemud: 'qemu',
  virtnetworkd: 'network',
  virtstoraged: 'storage',
  virtnodedevd: 'nodedev',
  virtsecretd: 'secret',
  virtproxyd: 'remote',
};

export function isDaemonName(value: string): value is DaemonName {
  return (DAEMON_NAMES as readonly string[]).includes(value);
}

/** The three sockets of a daemon: read-write, read-only, admin. */
export type SocketKind = 'rw' | 'ro' | 'admin';
