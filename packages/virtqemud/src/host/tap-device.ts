/**
 * Host network devices through iproute2, for the tap devices of guests: persistent taps
 * that QEMU then opens by name (`-netdev tap,ifname=...,script=no`), bridge ports, MTU,
 * link state. Everything acts in the daemon's own network namespace. Failures become
 * VirErrors worded as libvirt's virnetdev*.c words them, ending with the kernel's reason.
 */
import { execFile } from 'node:child_process';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';

/** What `ip -j link show` tells about one link, as far as the tap code needs it. */
export interface LinkInfo {
  ifname: string;
  mtu: number;
  /** The bridge (or bond) the link is a port of. */
  master?: string;
}

/** Linux's IFNAMSIZ is 16 with the NUL; '/', ':' and white space are refused by the kernel. */
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

/** True for a name the kernel accepts for a network device. */
export function isValidIfname(name: string): boolean {
  return IFNAME.test(name) && name !== '.' && name !== '..';
}

class IpCommandError extends Error {
  constructor(readonly stderr: string) {
    super(stderr);
  }

  /** The kernel's reason, without iproute2's prefix: `ioctl(TUNSETIFF): Device or resource busy` → the part after. */
  get reason(): string {
    const text = this.stderr.trim().split('\n').pop() ?? '';
    const colon = text.lastIndexOf(': ');
    return colon >= 0 ? text.slice(colon + 2) : text || 'unknown error';
  }
}

const IP_TIMEOUT_MS = 10_000;

function ip(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: IP_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err) reject(new IpCommandError(stderr || err.message));
      else resolve(stdout);
    });
  });
}

function systemError(message: string, err: unknown): VirError {
  const reason = err instanceof IpCommandError ? err.reason : (err as Error).message;
  return new VirError(ErrorCode.SYSTEM_ERROR, ErrorDomain.NONE, `${message}: ${reason}`);
}

function parseLinks(json: string): LinkInfo[] {
  const links = JSON.parse(json) as Array<{ ifname: string; mtu: number; master?: string }>;
  return links.map(({ ifname, mtu, master }) => ({ ifname, mtu, ...(master !== undefined ? { master } : {}) }));
}

/** Every link of the namespace. */
export async function listLinks(): Promise<LinkInfo[]> {
  try {
    return parseLinks(await ip(['-j', 'link', 'show']));
  } catch (err) {
    throw systemError('Cannot list network interfaces', err);
  }
}

/** One link, or undefined when no device has that name. */
export async function findLink(name: string): Promise<LinkInfo | undefined> {
  try {
    return parseLinks(await ip(['-j', 'link', 'show', 'dev', name]))[0];
  } catch (err) {
    if (err instanceof IpCommandError && /does not exist/.test(err.stderr)) return undefined;
    throw systemError(`Cannot get interface information on '${name}'`, err);
  }
}

/**
 * Creates a persistent tap `name`. Resolves false when a device of that name exists already
 * (the kernel answers EBUSY), so that a caller picking names can try the next one.
 */
export async function createTap(name: string): Promise<boolean> {
  try {
    await ip(['tuntap', 'add', 'dev', name, 'mode', 'tap']);
    return true;
  } catch (err) {
    if (err instanceof IpCommandError && err.reason === 'Device or resource busy') return false;
    throw systemError(`Unable to create tap device ${name}`, err);
  }
}

/** Sets the tap's own MAC address (not the guest's: see the caller). */
export async function setLinkAddress(name: string, mac: string): Promise<void> {
  await ip(['link', 'set', 'dev', name, 'address', mac]).catch((err: unknown) => {
    throw systemError(`Cannot set interface MAC to ${mac} on '${name}'`, err);
  });
}

export async function setLinkMtu(name: string, mtu: number): Promise<void> {
  await ip(['link', 'set', 'dev', name, 'mtu', String(mtu)]).catch((err: unknown) => {
    throw systemError(`Cannot set interface MTU on '${name}'`, err);
  });
}

export async function setLinkMaster(name: string, bridge: string): Promise<void> {
  await ip(['link', 'set', 'dev', name, 'master', bridge]).catch((err: unknown) => {
    throw systemError(`Unable to add bridge ${bridge} port ${name}`, err);
  });
}

export async function setLinkUp(name: string, up: boolean): Promise<void> {
  await ip(['link', 'set', 'dev', name, up ? 'up' : 'down']).catch((err: unknown) => {
    throw systemError(`Cannot set interface flags on '${name}'`, err);
  });
}

/** Deletes a link; a link already gone is not an error. */
export async function deleteLink(name: string): Promise<void> {
  try {
    await ip(['link', 'del', 'dev', name]);
  } catch (err) {
    if (err instanceof IpCommandError && /Cannot find device/.test(err.stderr)) return;
    throw systemError(`Unable to delete network device ${name}`, err);
  }
}
