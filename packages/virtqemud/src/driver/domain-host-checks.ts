/**
 * Start-time checks of what a definition needs from the host and the QEMU binary, made
 * before anything is created: network disks whose block driver this QEMU lacks, and host
 * PCI devices VFIO cannot take as they are. Each refusal names the device.
 */
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import type { DomainDef } from '../conf/domain-xml.js';
import { hostdevPciName } from '../conf/devices/hostdev.js';
import { DEFAULT_QEMU_BINARY } from '../qemu/command-line/index.js';
import { networkBlockDriver } from '../qemu/command-line/network-disk.js';
import { hasBlockdevDriver } from '../host/blockdev-drivers.js';
import { checkAssignablePciDevice, SYSFS_ROOT } from '../host/pci-sysfs.js';

/** The emulator the argv builder will pick for `def`. */
export function qemuBinaryOf(def: DomainDef): string {
  return def.devices.emulator ?? (def.os.arch === 'i686' ? 'qemu-system-i386' : DEFAULT_QEMU_BINARY);
}

export async function checkHostResources(def: DomainDef, sysfsRoot = SYSFS_ROOT): Promise<void> {
  const binary = qemuBinaryOf(def);
  for (const disk of def.devices.disks) {
    const driver = networkBlockDriver(disk);
    if (driver === undefined || (await hasBlockdevDriver(binary, driver))) continue;
    throw new VirError(
      ErrorCode.CONFIG_UNSUPPORTED,
      ErrorDomain.QEMU,
      `unsupported configuration: network disk '${disk.target.dev}' needs QEMU's '${driver}' block driver, which '${binary}' does not have`,
      { str1: driver },
    );
  }
  for (const h of def.devices.hostdevs) await checkAssignablePciDevice(hostdevPciName(h), h.managed, sysfsRoot);
}
