/**
 * systemd socket activation: the listening sockets systemd passed us, by kind.
 * Names come from LISTEN_FDNAMES (`FileDescriptorName=` in our .socket units); the
 * variables are removed afterwards so that children such as QEMU do not inherit them.
 */
import type { SocketKind } from '../server/server-client.js';

/** First fd systemd passes (SD_LISTEN_FDS_START). */
const FIRST_FD = 3;

export interface ActivatedSockets {
  fds: Partial<Record<SocketKind, number>>;
  /** Passed fds whose names we did not recognise; they are left alone. */
  unknown: string[];
}

export function kindFromFdName(name: string): SocketKind | undefined {
  if (name.endsWith('-admin-sock')) return 'admin';
  if (name.endsWith('-sock-ro')) return 'ro';
  if (name.endsWith('-sock')) return 'rw';
  return undefined;
}

/** Reads and clears the activation variables; undefined when we were not socket activated. */
export function takeActivatedSockets(env: NodeJS.ProcessEnv, pid: number): ActivatedSockets | undefined {
  const listenPid = Number(env.LISTEN_PID);
  const count = Number(env.LISTEN_FDS);
  const names = (env.LISTEN_FDNAMES ?? '').split(':');
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  if (listenPid !== pid || !Number.isInteger(count) || count <= 0) return undefined;
  const activated: ActivatedSockets = { fds: {}, unknown: [] };
  for (let i = 0; i < count; i++) {
    const name = names[i] ?? '';
    // A single unnamed fd is the read-write socket, as with `systemd-socket-activate -l PATH`.
    const kind = kindFromFdName(name) ?? (count === 1 && (name === '' || name === 'unknown') ? 'rw' : undefined);
    if (kind && activated.fds[kind] === undefined) activated.fds[kind] = FIRST_FD + i;
    else activated.unknown.push(name || `fd ${FIRST_FD + i}`);
  }
  return activated;
}
