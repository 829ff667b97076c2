/** The machine-wide arguments: identity, machine type and accelerator, CPU, memory, SMP, clock, lifecycle, firmware and kernel. */
import type { DomainDef } from '../../conf/domain-def.js';
import { isBareToken, keyval } from './option-value.js';
import { cannotExpress, type QemuRuntimeInfo } from './runtime-info.js';
import { hpetMachineProp } from './clock.js';
import { pflashMachineProps, secureBootArgs, usesPflash } from './firmware.js';

/** KiB rounded up to whole MiB: QEMU wants page-aligned RAM and libvirt aligns x86 guests to 1 MiB. */
export function alignMemoryKiB(kib: number): number {
  return Math.ceil(kib / 1024) * 1024;
}

export function nameArgs(def: DomainDef): string[] {
  // An explicit `guest=` key: a bare first value containing '=' would be read as a key.
  return [
    '-name',
    keyval(undefined, [
      ['guest', def.name],
      ['debug-threads', true],
    ]),
  ];
}

/** QEMU's default bus name for the PCI root; devices name it in `bus=`. */
export function pciRootBus(def: DomainDef): string {
  return /q35/.test(def.os.machine ?? '') ? 'pcie.0' : 'pci.0';
}

export function machineArgs(def: DomainDef, runtime: QemuRuntimeInfo): string[] {
  const machine = def.os.machine ?? 'pc';
  if (!isBareToken(machine)) throw cannotExpress(`machine type '${machine}'`);
  if (def.type === 'qemu' && runtime.accel === 'kvm') {
    // A type='qemu' domain asked for emulation; running it under KVM would change what the guest sees.
    throw cannotExpress("domain type 'qemu' run with accelerator 'kvm'");
  }
  return [
    '-machine',
    keyval(machine, [
      // USB comes from explicit <controller type='usb'> devices only, never from the machine.
      ['usb', false],
      ['vmport', def.features.vmport === undefined ? undefined : def.features.vmport === 'on'],
      ['smm', def.features.smm === undefined ? undefined : def.features.smm === 'on'],
      // Guest RAM in host core dumps would leak guest secrets into crash reports.
      ['dump-guest-core', false],
      ...pflashMachineProps(def),
      hpetMachineProp(def),
      ['acpi', def.features.acpi ? undefined : false],
    ]),
    '-accel',
    runtime.accel,
    ...secureBootArgs(def),
  ];
}

/** `-cpu` only where the XML picks a model; otherwise QEMU's default for the machine applies. */
export function cpuArgs(def: DomainDef, runtime: QemuRuntimeInfo): string[] {
  const cpu = def.cpu;
  if (!cpu) return [];
  switch (cpu.mode) {
    case 'host-passthrough':
      if (runtime.accel !== 'kvm') throw cannotExpress("<cpu mode='host-passthrough'> needs KVM");
      return ['-cpu', cpu.migratable === 'off' ? 'host,migratable=off' : 'host'];
    case 'maximum':
      return ['-cpu', cpu.migratable === 'off' ? 'max,migratable=off' : 'max'];
    case 'host-model':
      // libvirt expands host-model into a named model from the host's CPU; we have no CPU map to do that.
      throw cannotExpress("<cpu mode='host-model'> (no host CPU model expansion yet)");
    case 'custom': {
      if (!cpu.model) return [];
      // -cpu splits on every comma with no `,,` escape, so the model name is checked, not escaped.
      if (!isBareToken(cpu.model.name)) throw cannotExpress(`CPU model '${cpu.model.name}'`);
      return ['-cpu', cpu.model.name];
    }
  }
}

export function memoryArgs(def: DomainDef): string[] {
  const items: Array<[string, string | number | undefined]> = [['size', `${alignMemoryKiB(def.memory)}k`]];
  if (def.maxMemory) {
    items.push(['slots', def.maxMemory.slots], ['maxmem', `${alignMemoryKiB(def.maxMemory.size)}k`]);
  }
  // currentMemory below memory is reached by the driver through the balloon once QEMU runs.
  return ['-m', keyval(undefined, items), '-overcommit', 'mem-lock=off'];
}

export function smpArgs(def: DomainDef): string[] {
  const max = def.vcpu.max;
  // Without a <topology> libvirt gives one core per socket.
  const t = def.cpu?.topology ?? { sockets: max, dies: 1, cores: 1, threads: 1 };
  return [
    '-smp',
    keyval(String(def.vcpu.current ?? max), [
      ['maxcpus', max],
      ['sockets', t.sockets],
      ['dies', t.dies],
      ['cores', t.cores],
      ['threads', t.threads],
    ]),
  ];
}

export function uuidArgs(def: DomainDef): string[] {
  return def.uuid === undefined ? [] : ['-uuid', def.uuid];
}

/**
 * `-no-shutdown`: a guest power-off stops QEMU instead of ending it, so the driver sees
 * SHUTDOWN, reaps the domain its own way and then quits QEMU. `-no-reboot` turns a guest
 * reboot into that same shutdown when <on_reboot> is destroy.
 */
export function lifecycleArgs(def: DomainDef): string[] {
  return def.onReboot === 'destroy' ? ['-no-shutdown', '-no-reboot'] : ['-no-shutdown'];
}

/**
 * `strict=on`: boot only from devices that carry a bootindex, never fall back to whatever
 * else is attached (libvirt's rule, so a domain does not boot a stray disk or PXE).
 */
export function bootArgs(def: DomainDef): string[] {
  const menu = def.os.bootmenu;
  return [
    '-boot',
    keyval(undefined, [
      ['menu', menu ? menu.enable : undefined],
      ['splash-time', menu?.enable ? menu.timeout : undefined],
      ['strict', true],
    ]),
  ];
}

/** -bios (a ROM loader), -kernel, -initrd and -append take their argument whole: no option parsing, nothing to escape. */
export function firmwareArgs(def: DomainDef): string[] {
  const os = def.os;
  const args: string[] = [];
  // A flash loader went in as -blockdev nodes on -machine (firmware.ts).
  if (os.loader && !usesPflash(def)) args.push('-bios', os.loader.path);
  if (os.kernel !== undefined) args.push('-kernel', os.kernel);
  if (os.initrd !== undefined) args.push('-initrd', os.initrd);
  if (os.cmdline !== undefined) args.push('-append', os.cmdline);
  return args;
}
