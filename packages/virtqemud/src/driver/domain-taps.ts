/**
 * The tap devices of a domain's `<interface type='bridge'|'network'|'ethernet'>` (libvirt's
 * qemuInterfaceBridgeConnect / qemuInterfaceEthernetConnect, in small; a network interface
 * joins the bridge its port's plug names, domain-network-ports.ts): created before
 * QEMU starts, named in the live definition, deleted when QEMU ends. Their names are
 * also written to `taps.json` in the runtime dir before any is created, so that a daemon
 * killed in the middle of a start still finds and removes them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ErrorCode, ErrorDomain, VirError, atomicWriteFile } from '@tsvirt/common';
import type { DomainDef, NetDef } from '../conf/domain-def.js';
import {
  createTap,
  deleteLink,
  findLink,
  isValidIfname,
  listLinks,
  setLinkAddress,
  setLinkMaster,
  setLinkMtu,
  setLinkUp,
} from '../host/tap-device.js';
import type { TapInfo } from '../qemu/command-line/runtime-info.js';

/** Prefixes of names the driver generates; libvirt ignores a user's target dev that starts with one. */
const GENERATED_PREFIXES = ['vnet', 'macvtap', 'macvlan'];
const TAP_PREFIX = 'vnet';
/** How many taken names a start skips over before it gives up. */
const MAX_NAME_TRIES = 1000;

const TAPS_FILE = 'taps.json';

export interface DomainTapSet {
  /** Per (lower-case) MAC, for the argv builder. */
  byMac: Record<string, TapInfo>;
  /** Every tap created, to delete at the end. */
  names: string[];
}

function unsupported(message: string): VirError {
  return new VirError(ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.QEMU, `unsupported configuration: ${message}`);
}

/** The name a user gave in `<target dev>`, unless it is absent or looks generated. */
function userName(net: NetDef): string | undefined {
  const dev = net.targetDev;
  if (dev === undefined || GENERATED_PREFIXES.some((p) => dev.startsWith(p))) return undefined;
  return dev;
}

/**
 * The tap's own MAC: the guest's with the first byte 0xFE (as libvirt does), so that a
 * bridge, which takes the lowest MAC among its ports, never takes the guest's.
 */
export function tapMac(guestMac: string): string {
  return `fe${guestMac.slice(2)}`;
}

/** The bridge the tap joins: a bridge interface's own, or the one a network's port was plugged into. */
function bridgeOf(net: NetDef): string | undefined {
  return net.type === 'bridge' || net.type === 'network' ? net.source?.bridge : undefined;
}

/** Refuses what no tap can serve, before anything is created. */
function checkNets(def: DomainDef): NetDef[] {
  const tapped: NetDef[] = [];
  for (const net of def.devices.nets) {
    if (net.type === 'network' && net.source?.bridge === undefined) {
      // The port, made before the taps, names the bridge; without virtnetworkd there is none.
      throw unsupported(
        `<interface type='network'> (network '${net.source?.network ?? ''}') has no network port to plug into`,
      );
    }
    if (net.type !== 'bridge' && net.type !== 'network' && net.type !== 'ethernet') continue;
    const name = userName(net);
    if (name !== undefined && !isValidIfname(name)) {
      throw unsupported(`<target dev> '${name}' is not a valid network interface name`);
    }
    if (net.type === 'bridge' && net.source?.bridge === undefined) {
      throw unsupported(`<interface type='bridge'> needs <source bridge>`);
    }
    tapped.push(net);
  }
  return tapped;
}

export async function readPendingTaps(runtimeDir: string): Promise<string[]> {
  try {
    const value: unknown = JSON.parse(await readFile(join(runtimeDir, TAPS_FILE), 'utf8'));
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

export class DomainTaps {
  /** Names picked by starts under way or held by a running domain: never handed out twice. */
  private readonly reserved = new Set<string>();

  constructor(private readonly log: Logger) {}

  /** Marks the taps of a recovered domain as taken. */
  adopt(names: readonly string[]): void {
    for (const name of names) this.reserved.add(name);
  }

  /**
   * Creates a tap for every bridge, network or ethernet interface of `liveDef` and records its name
   * there (`<target dev>`). On failure, deletes the taps it created and throws.
   */
  async create(liveDef: DomainDef, runtimeDir: string): Promise<DomainTapSet> {
    const nets = checkNets(liveDef);
    const set: DomainTapSet = { byMac: {}, names: [] };
    if (nets.length === 0) return set;
    const record = (): Promise<void> =>
      atomicWriteFile(join(runtimeDir, TAPS_FILE), runtimeDir, `${JSON.stringify(set.names)}\n`);
    try {
      for (const net of nets) {
        const name = await this.createOne(net, set, record);
        await this.configure(name, net);
        net.targetDev = name;
        set.byMac[net.mac ?? ''] = { ifname: name };
      }
      return set;
    } catch (err) {
      await this.remove(set.names);
      throw err;
    }
  }

  /** Creates the tap itself: the user's name, or the lowest free `vnetN`. */
  private async createOne(net: NetDef, set: DomainTapSet, record: () => Promise<void>): Promise<string> {
    const given = userName(net);
    // A bridge must exist before anything is created, as libvirt reads its MTU first.
    const bridge = bridgeOf(net);
    if (bridge !== undefined) await this.bridgeMtu(bridge);
    if (given !== undefined) {
      // libvirt creates a managed tap or fails: it never takes over a device that exists.
      if (!(await findLink(given)) && (await this.tryCreate(given, set, record))) return given;
      throw new VirError(ErrorCode.OPERATION_FAILED, ErrorDomain.QEMU, `The ${given} interface already exists`);
    }
    const taken = new Set((await listLinks()).map((l) => l.ifname));
    for (let n = 0, tries = 0; tries < MAX_NAME_TRIES; n++) {
      const name = `${TAP_PREFIX}${n}`;
      if (taken.has(name) || this.reserved.has(name)) continue;
      tries++;
      if (await this.tryCreate(name, set, record)) return name;
    }
    throw new VirError(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, `no free tap device name '${TAP_PREFIX}N'`);
  }

  /**
   * Reserves `name` and records it in taps.json, then creates it; false (released, and
   * struck from taps.json, so that no cleanup deletes a device not ours) when it is taken.
   */
  private async tryCreate(name: string, set: DomainTapSet, record: () => Promise<void>): Promise<boolean> {
    if (this.reserved.has(name)) return false;
    this.reserved.add(name);
    set.names.push(name);
    let created = false;
    try {
      await record();
      created = await createTap(name);
    } finally {
      if (!created) {
        set.names.pop();
        this.reserved.delete(name);
      }
    }
    if (!created) await record();
    return created;
  }

  private async bridgeMtu(bridge: string): Promise<number> {
    const link = await findLink(bridge);
    if (!link) {
      throw new VirError(
        ErrorCode.SYSTEM_ERROR,
        ErrorDomain.NONE,
        `Cannot get interface MTU on '${bridge}': No such device`,
      );
    }
    return link.mtu;
  }

  /** MAC, MTU (`<mtu size>`, else a bridge's own, as libvirt gives it), bridge port, up. */
  private async configure(name: string, net: NetDef): Promise<void> {
    if (net.mac !== undefined) await setLinkAddress(name, tapMac(net.mac));
    const bridge = bridgeOf(net);
    const mtu = net.mtu ?? (bridge !== undefined ? await this.bridgeMtu(bridge) : undefined);
    if (mtu !== undefined) await setLinkMtu(name, mtu);
    if (bridge !== undefined) await setLinkMaster(name, bridge);
    await setLinkUp(name, true);
  }

  /** Deletes `names` (already gone is fine) and frees them; failures are logged, never thrown. */
  async remove(names: readonly string[]): Promise<void> {
    for (const name of names) {
      try {
        await deleteLink(name);
      } catch (err) {
        this.log.error({ tap: name, err: (err as Error).message }, 'cannot delete tap device');
      }
      this.reserved.delete(name);
    }
  }
}
