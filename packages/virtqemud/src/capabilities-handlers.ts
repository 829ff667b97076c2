/**
 * connect.getCapabilities and connect.getDomainCapabilities: probe lazily (QEMU is
 * started only when someone asks, then remembered per binary), format the XML.
 */
import type { ProcedureTable } from '@tsvirt/common';
import { connectGetCapabilities, connectGetDomainCapabilities } from '@tsvirt/common/protocol';
import { formatCapabilities, formatDomainCapabilities, probeHost, probeQemu } from './capabilities/index.js';
import { loadFirmwareDescriptors } from './driver/firmware-files.js';

export function registerCapabilityProcedures(table: ProcedureTable, qemuBinary: string): void {
  table.register(connectGetCapabilities, async () => {
    const [host, qemu] = await Promise.all([probeHost(), probeQemu(qemuBinary)]);
    return { xml: formatCapabilities(host, qemu.info) };
  });
  table.register(connectGetDomainCapabilities, async (args) => {
    const qemu = await probeQemu(qemuBinary);
    return { xml: formatDomainCapabilities(qemu.info, args, await loadFirmwareDescriptors()) };
  });
}
