/**
 * The runtime state of active networks, kept so that a restarted daemon finds its networks
 * and ports again without disturbing them (libvirt's /run/libvirt/network):
 *
 *   <runStateDir>/networks/<name>.xml                    the live definition of an active network
 *   <runStateDir>/networks/<name>/dnsmasq.{conf,pid}     its dnsmasq
 *   <runStateDir>/networks/<name>/leases                 dnsmasq's leases (kept across net restarts)
 *   <runStateDir>/networks/<name>/ports/<uuid>.xml       the ports guests hold on it
 *
 * A status file without a persistent config is a transient network.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { atomicWriteFile, readXmlDefs, unlinkIfPresent } from '@tsvirt/common';
import {
  assertSafeNetworkName,
  formatNetworkDef,
  formatNetworkPortDef,
  networkPortDefFromXml,
  type NetworkDef,
  type NetworkPortDef,
} from '../conf/index.js';
import type { DnsmasqFiles } from './host-plan.js';
import { parseSavedNetworkDef } from './network-store.js';

export type LiveDef = NetworkDef & { uuid: string };

export class NetworkRuntime {
  readonly dir: string;

  constructor(
    runStateDir: string,
    private readonly log: Logger,
  ) {
    this.dir = join(runStateDir, 'networks');
  }

  private networkDir(name: string): string {
    assertSafeNetworkName(name);
    return join(this.dir, name);
  }

  private portsDir(name: string): string {
    return join(this.networkDir(name), 'ports');
  }

  dnsmasqFiles(name: string): DnsmasqFiles {
    const dir = this.networkDir(name);
    return {
      confFile: join(dir, 'dnsmasq.conf'),
      pidFile: join(dir, 'dnsmasq.pid'),
      leaseFile: join(dir, 'leases'),
    };
  }

  /** Makes the network's directories; dnsmasq's conf is written by the realizer. */
  async prepare(name: string): Promise<void> {
    await mkdir(this.portsDir(name), { recursive: true, mode: 0o755 });
  }

  async saveStatus(def: LiveDef): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o755 });
    await atomicWriteFile(join(this.dir, `${def.name}.xml`), this.dir, formatNetworkDef(def));
  }

  removeStatus(name: string): void {
    assertSafeNetworkName(name);
    unlinkIfPresent(join(this.dir, `${name}.xml`));
  }

  /** Everything of a network that is gone for good (a transient network destroyed). */
  async removeAll(name: string): Promise<void> {
    this.removeStatus(name);
    await rm(this.networkDir(name), { recursive: true, force: true });
  }

  /** The live definitions of every network that was active when the last daemon stopped. */
  async loadStatuses(): Promise<LiveDef[]> {
    await mkdir(this.dir, { recursive: true, mode: 0o755 });
    return readXmlDefs(this.dir, { kind: 'network status', parse: parseSavedNetworkDef }, this.log);
  }

  async savePort(network: string, port: NetworkPortDef): Promise<void> {
    const dir = this.portsDir(network);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await atomicWriteFile(join(dir, `${port.uuid}.xml`), dir, formatNetworkPortDef(port));
  }

  removePort(network: string, uuid: string): void {
    unlinkIfPresent(join(this.portsDir(network), `${uuid}.xml`));
  }

  async loadPorts(network: string): Promise<NetworkPortDef[]> {
    const dir = this.portsDir(network);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const named = await readXmlDefs(
      dir,
      {
        kind: 'network port',
        parse: (xml) => {
          const port = networkPortDefFromXml(xml);
          return { name: port.uuid, port };
        },
      },
      this.log,
    );
    return named.map((n) => n.port);
  }
}
