/** The QEMU driver as plugged into the daemon skeleton: the QEMU version probe, capabilities and the domains. */
import { join } from 'node:path';
import type { AtomicWriteHooks, Driver } from '@tsvirt/common';
import { domainLifecycle } from '@tsvirt/common/protocol';
import { registerCapabilityProcedures } from './capabilities-handlers.js';
import { DomainDriver, type DomainDriverOptions } from './driver/domain-handlers.js';
import { DomainStore } from './driver/domain-store.js';
import { DomainNetworkPorts } from './driver/domain-network-ports.js';
import { DomainVolumes, storageConnectionOpener } from './driver/domain-volumes.js';
import { SiblingDaemonLink, siblingDaemonOpener } from './driver/sibling-daemon.js';
import { loadFirmwareDescriptors } from './driver/firmware-files.js';
import { buildQemuCommandLine } from './qemu/command-line/index.js';
import { probeQemuVersion } from './qemu-version.js';

export const QEMU_BINARY = 'qemu-system-x86_64';

export interface QemuDriverOptions {
  /** How long a job waits for another one on the same domain. */
  jobWaitMs?: number;
  /** Test hooks into the atomic writes of the domain store. */
  storeHooks?: AtomicWriteHooks;
}

export function createQemuDriver(options: QemuDriverOptions = {}): Driver & { domains(): DomainDriver | undefined } {
  let version: Promise<number> | undefined;
  let domains: DomainDriver | undefined;
  return {
    type: 'QEMU',
    features: [],
    events: [domainLifecycle],
    hypervisorVersion: () => (version ??= probeQemuVersion(QEMU_BINARY)),
    async start(context) {
      // Probe now so that the first `version` call does not pay for it.
      version ??= probeQemuVersion(QEMU_BINARY);
      const log = context.logs.module('qemu.domain');
      const driverOptions: DomainDriverOptions = {
        store: new DomainStore(context.paths.stateDir, log, options.storeHooks),
        events: context.events,
        log,
        runStateDir: context.paths.runStateDir,
        stateDir: context.paths.stateDir,
        logDir: context.paths.logDir,
        // Firmware autoselection and default vars files, as libvirt's QEMU driver does at define.
        postParse: {
          firmwares: await loadFirmwareDescriptors(undefined, log),
          nvramDir: join(context.paths.stateDir, 'nvram'),
        },
        buildCommandLine: buildQemuCommandLine,
        // virtstoraged of the same instance (mode and root), reached over RPC like any client.
        volumes: new DomainVolumes(storageConnectionOpener(context.mode, context.paths.root), log),
        // virtnetworkd of the same instance, for the ports of `<interface type='network'>`.
        ports: new DomainNetworkPorts(
          new SiblingDaemonLink(
            'network daemon',
            siblingDaemonOpener('network', context.mode, context.paths.root),
            log,
          ),
          log,
        ),
        ...(options.jobWaitMs !== undefined ? { jobWaitMs: options.jobWaitMs } : {}),
      };
      domains = new DomainDriver(driverOptions);
      await domains.load();
      domains.register(context.procedures);
      registerCapabilityProcedures(context.procedures, QEMU_BINARY);
    },
    // Lets go of the monitors and leaves the guests running, for the next daemon to find.
    stop: () => domains?.close(),
    // A running guest keeps the daemon from idling out.
    hasActiveWork: () => domains?.hasActiveWork() ?? false,
    domains: () => domains,
  };
}
