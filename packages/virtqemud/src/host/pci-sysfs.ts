/**
 * Host PCI devices as sysfs shows them, for `<hostdev type='pci'>`: whether the device exists,
 * its IOMMU group (VFIO assigns whole groups) and the driver it is bound to. Read only: this
 * module never binds, unbinds or resets anything. The sysfs root is a parameter so that tests
 * can hand it a tree of their own.
 */
import { access, readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';

export const SYSFS_ROOT = '/sys';

/** `0000:00:04.0` */
const PCI_NAME = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

export interface HostPciDevice {
  name: string;
  /** The IOMMU group number, undefined when the device is in none (no IOMMU, or disabled). */
  iommuGroup: string | undefined;
  /** The bound driver's name (`vfio-pci`, `e1000e`, ...), undefined when unbound. */
  driver: string | undefined;
}

async function linkName(path: string): Promise<string | undefined> {
  try {
    return basename(await readlink(path));
  } catch {
    return undefined;
  }
}

/** What sysfs says about host PCI device `name`; NO_NODE_DEVICE when there is none. */
export async function readHostPciDevice(name: string, sysfsRoot = SYSFS_ROOT): Promise<HostPciDevice> {
  const dir = join(sysfsRoot, 'bus', 'pci', 'devices', name);
  let found = PCI_NAME.test(name);
  if (found) {
    try {
      await access(dir);
    } catch {
      found = false;
    }
  }
  if (!found) {
    throw new VirError(ErrorCode.NO_NODE_DEVICE, ErrorDomain.QEMU, `PCI device ${name} not found`, { str1: name });
  }
  return { name, iommuGroup: await linkName(join(dir, 'iommu_group')), driver: await linkName(join(dir, 'driver')) };
}

/**
 * Checks that VFIO can take host device `name` as it is, changing nothing: it exists, has
 * an IOMMU group, and is bound to vfio-pci. A managed device bound elsewhere would need a
 * detach from its driver, which belongs to virtnodedevd (not there yet), so it is refused.
 */
export async function checkAssignablePciDevice(
  name: string,
  managed: boolean,
  sysfsRoot = SYSFS_ROOT,
): Promise<HostPciDevice> {
  const dev = await readHostPciDevice(name, sysfsRoot);
  if (dev.iommuGroup === undefined) {
    throw new VirError(
      ErrorCode.OPERATION_INVALID,
      ErrorDomain.QEMU,
      `PCI device ${name} is in no IOMMU group: VFIO cannot assign it (is the IOMMU enabled?)`,
      { str1: name },
    );
  }
  if (dev.driver === 'vfio-pci') return dev;
  const bound = dev.driver === undefined ? 'no driver' : `driver '${dev.driver}'`;
  if (managed) {
    throw new VirError(
      ErrorCode.CONFIG_UNSUPPORTED,
      ErrorDomain.QEMU,
      `unsupported configuration: PCI device ${name} is bound to ${bound}, not 'vfio-pci': managed detach needs virtnodedevd (issue 6), which is not available yet; bind it to vfio-pci first`,
      { str1: name },
    );
  }
  throw new VirError(
    ErrorCode.OPERATION_INVALID,
    ErrorDomain.QEMU,
    `PCI device ${name} is bound to ${bound}, not 'vfio-pci', and is not managed`,
    { str1: name },
  );
}
