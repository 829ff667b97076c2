/**
 * A network's Linux bridge with iproute2: the argv lists are pure (bridgeCreateCommands),
 * running them takes a CommandRunner. Also the subnet overlap check libvirt does before
 * starting a network (networkCheckRouteCollision): a route or address on another device
 * covering the network's subnet means the network would hijack existing traffic.
 */
import type { CommandRunner } from './command.js';

export interface BridgeAddress {
  address: string;
  prefix: number;
}

export interface BridgeSpec {
  name: string;
  stp?: boolean;
  /** Seconds, as <bridge delay='N'/>. */
  forwardDelay?: number;
  mtu?: number;
  mac?: string;
  addresses?: readonly BridgeAddress[];
}

export function bridgeCreateCommands(spec: BridgeSpec): string[][] {
  // iproute2 takes forward_delay in centiseconds; libvirt's delay is in seconds.
  const cmds: string[][] = [
    [
      'ip',
      'link',
      'add',
      spec.name,
      'type',
      'bridge',
      'stp_state',
      spec.stp === false ? '0' : '1',
      'forward_delay',
      String(Math.round((spec.forwardDelay ?? 0) * 100)),
    ],
  ];
  if (spec.mtu !== undefined) cmds.push(['ip', 'link', 'set', 'dev', spec.name, 'mtu', String(spec.mtu)]);
  if (spec.mac !== undefined) cmds.push(['ip', 'link', 'set', 'dev', spec.name, 'address', spec.mac]);
  for (const a of spec.addresses ?? []) {
    cmds.push(['ip', 'addr', 'add', `${a.address}/${a.prefix}`, 'dev', spec.name]);
  }
  cmds.push(['ip', 'link', 'set', 'dev', spec.name, 'up']);
  return cmds;
}

export function bridgeDeleteCommand(name: string): string[] {
  return ['ip', 'link', 'del', 'dev', name];
}

/** One `ip -batch -` for all of it: a network start spawns one process, not five. */
export async function createBridge(run: CommandRunner, spec: BridgeSpec): Promise<void> {
  const batch = bridgeCreateCommands(spec).map((argv) => argv.slice(1).join(' '));
  try {
    await run(['ip', '-batch', '-'], { input: batch.join('\n') + '\n' });
  } catch (err) {
    // A half-made bridge would block the next attempt with "File exists".
    await run(bridgeDeleteCommand(spec.name), { okExitCodes: [1, 2] }).catch(() => undefined);
    throw err;
  }
}

export async function deleteBridge(run: CommandRunner, name: string): Promise<void> {
  await run(bridgeDeleteCommand(name));
}

/** True when no link of that name exists (`ip link show` exits 1 for an unknown device). */
export async function linkNameIsFree(run: CommandRunner, name: string): Promise<boolean> {
  const r = await run(['ip', '-j', 'link', 'show', 'dev', name], { okExitCodes: [1, 255] });
  return r.exitCode !== 0;
}

export interface HostRoute {
  /** Destination as `A.B.C.D/N` ("default" becomes 0.0.0.0/0). */
  dst: string;
  dev: string;
}

/** `ip -j -4 route` output to routes; host routes without /N get /32. */
export function parseIpRouteJson(json: string): HostRoute[] {
  const rows = JSON.parse(json || '[]') as { dst?: string; dev?: string }[];
  return rows
    .filter((r) => r.dst !== undefined && r.dev !== undefined)
    .map((r) => {
      const dst = r.dst === 'default' ? '0.0.0.0/0' : r.dst!.includes('/') ? r.dst! : `${r.dst}/32`;
      return { dst, dev: r.dev! };
    });
}

/** `ip -j -4 addr` output to the subnets of each device's IPv4 addresses. */
export function parseIpAddrJson(json: string): HostRoute[] {
  const rows = JSON.parse(json || '[]') as {
    ifname: string;
    addr_info?: { family: string; local: string; prefixlen: number }[];
  }[];
  const out: HostRoute[] = [];
  for (const link of rows) {
    for (const a of link.addr_info ?? []) {
      if (a.family !== 'inet') continue;
      out.push({ dst: `${networkOf(a.local, a.prefixlen)}/${a.prefixlen}`, dev: link.ifname });
    }
  }
  return out;
}

function ipv4ToInt(ip: string): number {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) throw new Error(`bad IPv4 '${ip}'`);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function networkOf(ip: string, prefix: number): string {
  return intToIpv4((ipv4ToInt(ip) & maskOf(prefix)) >>> 0);
}

/** Two CIDRs overlap when the shorter prefix's network contains the other's. */
export function subnetsOverlap(a: string, b: string): boolean {
  const [aIp, aLen] = a.split('/') as [string, string];
  const [bIp, bLen] = b.split('/') as [string, string];
  const prefix = Math.min(Number(aLen), Number(bLen));
  const m = maskOf(prefix);
  return (ipv4ToInt(aIp) & m) >>> 0 === (ipv4ToInt(bIp) & m) >>> 0;
}

/**
 * The first existing route that collides with the subnet, as libvirt checks it: the
 * default route does not count (it covers everything), nor routes on our own bridge.
 */
export function findRouteCollision(
  subnet: string,
  routes: readonly HostRoute[],
  ownBridge?: string,
): HostRoute | undefined {
  return routes.find((r) => r.dst !== '0.0.0.0/0' && r.dev !== ownBridge && subnetsOverlap(subnet, r.dst));
}

export async function listHostRoutes(run: CommandRunner): Promise<HostRoute[]> {
  const routes = parseIpRouteJson((await run(['ip', '-j', '-4', 'route', 'show', 'table', 'all'])).stdout);
  const addrs = parseIpAddrJson((await run(['ip', '-j', '-4', 'addr', 'show'])).stdout);
  return [...routes, ...addrs];
}
