/**
 * The daemon's own network namespace seen through /proc and /sys, without spawning a tool:
 * link names, IPv4 routes (as libvirt reads them, from /proc/net/route) and IP forwarding.
 * Each spawn costs 5-25 ms here, so a network start reads these directly. `ip netns exec`
 * mounts a /sys of the namespace, so a daemon started that way sees its own devices.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import type { HostRoute } from './bridge.js';

export async function listLinkNames(): Promise<Set<string>> {
  return new Set(await readdir('/sys/class/net'));
}

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/** /proc/net/route stores addresses as little-endian hex words. */
function hexToIpv4(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
}

function maskBits(hex: string): number {
  let n = parseInt(hex, 16) >>> 0;
  let bits = 0;
  while (n) {
    bits += n & 1;
    n >>>= 1;
  }
  return bits;
}

export function parseProcNetRoute(text: string): HostRoute[] {
  return text
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 8)
    .map((f) => ({ dev: f[0]!, dst: `${hexToIpv4(f[1]!)}/${maskBits(f[7]!)}` }));
}

export async function readIpv4Routes(): Promise<HostRoute[]> {
  return parseProcNetRoute(await readFile('/proc/net/route', 'utf8'));
}

export async function enableOwnIpForwarding(ipv6: boolean): Promise<void> {
  await writeFile('/proc/sys/net/ipv4/ip_forward', '1\n');
  if (ipv6) await writeFile('/proc/sys/net/ipv6/conf/all/forwarding', '1\n');
}
