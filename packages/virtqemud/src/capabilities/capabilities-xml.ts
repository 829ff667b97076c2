/** formatCapabilities: host and QEMU facts → libvirt's `<capabilities>` document (virsh capabilities). Pure. */
import type { QemuMachineInfo } from '../qemu/monitor/index.js';
import { XmlWriter } from '../conf/xml-util.js';
import type { HostInfo, HostNumaCell, QemuInfo } from './capabilities-types.js';
import { formatCpuList } from './cpu-list.js';

/** Guest arches one QEMU binary serves: qemu-system-x86_64 runs 32-bit guests too, as libvirt reports. */
const GUEST_ARCHES: Record<string, Array<{ arch: string; wordsize: number }>> = {
  x86_64: [
    { arch: 'i686', wordsize: 32 },
    { arch: 'x86_64', wordsize: 64 },
  ],
};

export function formatCapabilities(host: HostInfo, qemu: QemuInfo): string {
  const w = new XmlWriter();
  w.open('capabilities');
  formatHost(w, host);
  for (const guest of GUEST_ARCHES[qemu.arch] ?? [{ arch: qemu.arch, wordsize: 64 }]) {
    formatGuest(w, qemu, guest.arch, guest.wordsize);
  }
  w.close('capabilities');
  return w.toString();
}

function formatHost(w: XmlWriter, host: HostInfo): void {
  w.open('host');
  w.text('uuid', host.uuid);
  const cpu = host.cpu;
  w.open('cpu');
  w.text('arch', cpu.arch);
  w.text('model', cpu.model);
  if (cpu.vendor !== undefined) w.text('vendor', cpu.vendor);
  if (cpu.tsc !== undefined) {
    w.empty('counter', [
      ['name', 'tsc'],
      ['frequency', cpu.tsc.frequencyHz],
      ['scaling', cpu.tsc.scaling ? 'yes' : 'no'],
    ]);
  }
  const t = cpu.topology;
  w.empty('topology', [
    ['sockets', t.sockets],
    ['dies', t.dies],
    ['cores', t.cores],
    ['threads', t.threads],
  ]);
  // Kernel flag names: libvirt translates to its cpu_map names, which needs that map.
  for (const name of cpu.features) w.empty('feature', [['name', name]]);
  w.close('cpu');

  const pm = host.powerManagement;
  w.block('power_management', [], (inner) => {
    if (pm.suspendMem) inner.empty('suspend_mem');
    if (pm.suspendDisk) inner.empty('suspend_disk');
    if (pm.suspendHybrid) inner.empty('suspend_hybrid');
  });
  w.empty('iommu', [['support', host.iommu ? 'yes' : 'no']]);
  w.open('migration_features');
  w.empty('live');
  w.block('uri_transports', [], (inner) => {
    for (const transport of host.migrationTransports) inner.text('uri_transport', transport);
  });
  w.close('migration_features');

  w.open('topology');
  w.open('cells', [['num', host.cells.length]]);
  for (const cell of host.cells) formatCell(w, cell);
  w.close('cells');
  w.close('topology');

  for (const sec of host.secmodels) {
    w.open('secmodel');
    w.text('model', sec.model);
    w.text('doi', sec.doi);
    w.close('secmodel');
  }
  w.close('host');
}

function formatCell(w: XmlWriter, cell: HostNumaCell): void {
  w.open('cell', [['id', cell.id]]);
  w.text('memory', String(cell.memoryKiB), [['unit', 'KiB']]);
  if (cell.distances.length > 0) {
    w.open('distances');
    for (const d of cell.distances) {
      w.empty('sibling', [
        ['id', d.id],
        ['value', d.value],
      ]);
    }
    w.close('distances');
  }
  w.open('cpus', [['num', cell.cpus.length]]);
  for (const c of cell.cpus) {
    w.empty('cpu', [
      ['id', c.id],
      ['socket_id', c.socketId],
      ['die_id', c.dieId],
      ['core_id', c.coreId],
      ['siblings', formatCpuList(c.siblings)],
    ]);
  }
  w.close('cpus');
  w.close('cell');
}

function formatGuest(w: XmlWriter, qemu: QemuInfo, arch: string, wordsize: number): void {
  w.open('guest');
  w.text('os_type', 'hvm');
  w.open('arch', [['name', arch]]);
  w.text('wordsize', String(wordsize));
  w.text('emulator', qemu.binary);
  for (const m of guestMachines(qemu.machines)) {
    const attrs = [
      ['maxCpus', m.cpuMax],
      ['deprecated', m.deprecated ? 'yes' : undefined],
    ] as const;
    w.text('machine', m.name, attrs);
    // An alias is listed as its own machine naming the versioned one, so either spelling may go in <type machine>.
    if (m.alias !== undefined) w.text('machine', m.alias, [['canonical', m.name], ...attrs]);
  }
  w.empty('domain', [['type', 'qemu']]);
  if (qemu.kvm.usable) w.empty('domain', [['type', 'kvm']]);
  w.close('arch');
  w.open('features');
  if (wordsize === 32) {
    w.empty('pae');
    w.empty('nonpae');
  }
  w.empty('acpi', [
    ['default', 'on'],
    ['toggle', 'yes'],
  ]);
  w.empty('apic', [
    ['default', 'on'],
    ['toggle', 'no'],
  ]);
  w.empty('cpuselection');
  w.empty('deviceboot');
  w.empty('disksnapshot', [
    ['default', 'on'],
    ['toggle', 'no'],
  ]);
  w.close('features');
  w.close('guest');
}

/**
 * QEMU's machines minus 'none' (it runs no guest), with the default first as libvirt puts
 * it; otherwise QEMU's order, which is stable for a given binary.
 */
export function guestMachines(machines: readonly QemuMachineInfo[]): QemuMachineInfo[] {
  const usable = machines.filter((m) => m.name !== 'none');
  return [...usable.filter((m) => m.isDefault), ...usable.filter((m) => !m.isDefault)];
}
