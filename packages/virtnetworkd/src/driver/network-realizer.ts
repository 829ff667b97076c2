/**
 * Puts a network on the host and takes it off again: bridge, firewall chains, IP forwarding
 * and dnsmasq, all undone when a step fails, so a failed start leaves nothing behind. Also the daemon-restart check (is it still there?) and the
 * dnsmasq restart of a live update. Host commands go through a CommandRunner.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import type { NetworkDef } from '../conf/index.js';
import { createBridge, deleteBridge, findRouteCollision, type HostRoute } from '../host/bridge.js';
import type { CommandRunner } from '../host/command.js';
import { dnsmasqConfContents } from '../host/dnsmasq-config.js';
import { findDnsmasqPid, startDnsmasq, stopDnsmasq } from '../host/dnsmasq-process.js';
import { applyNetworkFirewall, removeNetworkFirewall } from '../host/nftables.js';
import { enableOwnIpForwarding, linkExists, listLinkNames, readIpv4Routes } from '../host/own-namespace.js';
import {
  bridgeNameOf,
  bridgeSpecOf,
  dnsmasqOf,
  firewallOf,
  forwardingOf,
  managesBridge,
  needsDnsmasq,
  subnetOf,
  type DnsmasqFiles,
} from './host-plan.js';

/** How long a stopped dnsmasq may take to let go of its sockets before a new one starts. */
const DNSMASQ_EXIT_MS = 5000;

/** What the realizer reads and sets in its own namespace without a tool (tests may stand in). */
export interface OwnNamespace {
  linkExists(name: string): boolean;
  linkNames(): Promise<Set<string>>;
  routes(): Promise<HostRoute[]>;
  enableForwarding(ipv6: boolean): Promise<void>;
}

export const daemonNamespace: OwnNamespace = {
  linkExists,
  linkNames: listLinkNames,
  routes: readIpv4Routes,
  enableForwarding: enableOwnIpForwarding,
};

export class NetworkRealizer {
  constructor(
    private readonly run: CommandRunner,
    private readonly log: Logger,
    private readonly own: OwnNamespace = daemonNamespace,
  ) {}

  /**
   * libvirt's networkCheckRouteCollision: a subnet already routed elsewhere (another
   * network's bridge, a host interface) would steal that traffic. Also refuses a bridge
   * name some other device already holds.
   */
  async checkHost(def: NetworkDef): Promise<void> {
    if (!managesBridge(def)) return;
    const bridge = bridgeNameOf(def);
    if (this.own.linkExists(bridge)) {
      throw new VirError(ErrorCode.SYSTEM_ERROR, ErrorDomain.NETWORK, `Unable to create bridge ${bridge}: File exists`);
    }
    const routes = await this.own.routes();
    for (const ip of def.ips.filter((i) => i.family === 'ipv4')) {
      const hit = findRouteCollision(subnetOf(ip), routes, bridge);
      if (hit) {
        throw new VirError(
          ErrorCode.INTERNAL_ERROR,
          ErrorDomain.NETWORK,
          `Network is already in use by interface ${hit.dev} (route ${hit.dst} overlaps ${subnetOf(ip)} of network '${def.name}')`,
        );
      }
    }
  }

  /** The bridge first; then firewall, forwarding and dnsmasq side by side (each spawn costs 5-25 ms). */
  async realize(def: NetworkDef, files: DnsmasqFiles): Promise<void> {
    if (!managesBridge(def)) return;
    await createBridge(this.run, bridgeSpecOf(def));
    const forwarding = forwardingOf(def);
    const steps = await Promise.allSettled([
      applyNetworkFirewall(this.run, firewallOf(def), { fresh: true }),
      forwarding.ipv4 ? this.own.enableForwarding(forwarding.ipv6) : undefined,
      needsDnsmasq(def) ? this.startDnsmasq(def, files) : undefined,
    ]);
    const failed = steps.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.unrealize(def, files);
      throw failed.reason;
    }
  }

  /** Takes everything off the host; each failure is logged and the rest still goes. */
  async unrealize(def: NetworkDef, files: DnsmasqFiles): Promise<void> {
    if (!managesBridge(def)) return;
    const bridge = bridgeNameOf(def);
    const attempt = (what: string, step: () => Promise<unknown>): Promise<unknown> =>
      step().catch((err: Error) => this.log.error({ network: def.name, err: err.message }, `cannot ${what}`));
    await attempt('stop dnsmasq', () => stopDnsmasq(files.pidFile, files.confFile));
    await Promise.all([
      attempt('remove firewall', () => removeNetworkFirewall(this.run, bridge)),
      attempt('delete bridge', () => deleteBridge(this.run, bridge)),
    ]);
  }

  /**
   * After a daemon restart: true when the network is still on the host (its bridge exists).
   * Its firewall is applied again (idempotent) and a dnsmasq that died is started again.
   */
  async recover(def: NetworkDef, files: DnsmasqFiles): Promise<boolean> {
    if (!managesBridge(def)) return true;
    if (!this.own.linkExists(bridgeNameOf(def))) return false;
    await applyNetworkFirewall(this.run, firewallOf(def));
    if (needsDnsmasq(def) && (await findDnsmasqPid(files.pidFile, files.confFile)) === undefined) {
      this.log.warn({ network: def.name }, 'dnsmasq was not running: starting it again');
      await this.startDnsmasq(def, files);
    }
    return true;
  }

  /** A live update: dnsmasq reads its hosts only from its conf, so it starts over (leases stay in its file). */
  async restartDnsmasq(def: NetworkDef, files: DnsmasqFiles): Promise<void> {
    if (!needsDnsmasq(def)) return;
    await this.stopDnsmasqAndWait(files);
    await this.startDnsmasq(def, files);
  }

  private async startDnsmasq(def: NetworkDef, files: DnsmasqFiles): Promise<void> {
    await writeFile(files.confFile, dnsmasqConfContents(dnsmasqOf(def, files)), { mode: 0o644 });
    await startDnsmasq(this.run, files.confFile, files.pidFile);
  }

  /**
   * Waits until the old dnsmasq is a zombie or gone: only then are its sockets closed. Its
   * cmdline empties earlier, while it is still exiting, so that is not enough.
   */
  private async stopDnsmasqAndWait(files: DnsmasqFiles): Promise<void> {
    const pid = await stopDnsmasq(files.pidFile, files.confFile);
    if (pid === undefined) return;
    const deadline = Date.now() + DNSMASQ_EXIT_MS;
    while (!(await hasExited(pid))) {
      if (Date.now() > deadline) {
        throw new VirError(ErrorCode.INTERNAL_ERROR, ErrorDomain.NETWORK, `dnsmasq '${files.confFile}' did not exit`);
      }
      await sleep(5);
    }
  }
}

/** Gone, or a zombie waiting for its reaper (field 3 of /proc/PID/stat is the state). */
async function hasExited(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return true;
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}
