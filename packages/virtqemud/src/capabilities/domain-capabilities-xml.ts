/**
 * formatDomainCapabilities: one (emulator, arch, machine, virttype) → libvirt's
 * `<domainCapabilities>` (virsh domcapabilities). Pure; lists only what conf/ accepts
 * and this QEMU build can do.
 */
import { isQ35 } from '../conf/device-address.js';
import { XmlWriter } from '../conf/xml-util.js';
import { machineGlobMatches, type FirmwareDescriptor } from '../conf/firmware-descriptor.js';
import type { QemuMachineInfo } from '../qemu/monitor/index.js';
import type { QemuCpuDefinition, QemuInfo } from './capabilities-types.js';
import { capsInvalidArg, capsUnsupported } from './capabilities-error.js';
import { guestMachines } from './capabilities-xml.js';
import { cpuModelVendor } from './host-cpu-model.js';
import {
  DISK_BUSES,
  DISK_DEVICES,
  GRAPHICS_TYPES,
  LOADER_TYPES,
  NON_CUSTOM_CPU_MODELS,
  RNG_BACKEND_MODELS,
  RNG_MODELS,
  VIDEO_MODELS,
  supportedValues,
} from './domain-support.js';

export interface DomainCapabilitiesRequest {
  /** Default: 'kvm' when KVM is usable, else 'qemu' (what libvirt picks). */
  virttype?: string;
  /** Default: the emulator's own arch. */
  arch?: string;
  /** A machine name or alias; default: QEMU's default machine. */
  machine?: string;
  /** When given, must be the probed binary: we probe only one. */
  emulator?: string;
}

/** Arches each emulator serves; matches the guests formatCapabilities lists. */
const EMULATOR_ARCHES: Record<string, readonly string[]> = { x86_64: ['x86_64', 'i686'] };

/** `firmwares`: the host's QEMU firmware descriptors, for the efi autoselection and loader paths offered. */
export function formatDomainCapabilities(
  qemu: QemuInfo,
  request: DomainCapabilitiesRequest = {},
  firmwares: readonly FirmwareDescriptor[] = [],
): string {
  const { virttype, arch, machine } = resolveRequest(qemu, request);
  const kvm = virttype === 'kvm';
  const available = new Set([...qemu.deviceTypes, ...qemu.commands]);
  const w = new XmlWriter();
  w.open('domainCapabilities');
  w.text('path', qemu.binary);
  w.text('domain', virttype);
  w.text('machine', machine.name);
  w.text('arch', arch);
  w.empty('vcpu', [['max', machine.cpuMax]]);
  // conf/ has no <iothreads>, so none may be asked for.
  w.empty('iothreads', supported(false));
  formatOs(w, machine, arch, firmwares);
  // Without a KVM probe the names are the same but TCG's verdicts say nothing about KVM: 'unknown'.
  const kvmKnown = !kvm || qemu.cpuDefinitionsKvm !== undefined;
  formatCpu(w, kvm, (kvm ? qemu.cpuDefinitionsKvm : undefined) ?? qemu.cpuDefinitionsTcg, kvmKnown);
  w.empty('memoryBacking', supported(false));

  w.open('devices');
  w.open('disk', supported(true));
  enumeration(w, 'diskDevice', supportedValues(DISK_DEVICES, available));
  // conf/ refuses IDE on q35, whose ICH9 has only AHCI.
  const buses = supportedValues(DISK_BUSES, available).filter((b) => !(b === 'ide' && isQ35(machine.name)));
  enumeration(w, 'bus', buses);
  enumeration(w, 'model', []);
  w.close('disk');
  w.open('graphics', supported(true));
  enumeration(w, 'type', supportedValues(GRAPHICS_TYPES, available));
  w.close('graphics');
  w.open('video', supported(true));
  enumeration(w, 'modelType', supportedValues(VIDEO_MODELS, available));
  w.close('video');
  w.empty('hostdev', supported(false));
  const rngModels = supportedValues(RNG_MODELS, available);
  w.block('rng', supported(rngModels.length > 0), (inner) => {
    if (rngModels.length === 0) return;
    enumeration(inner, 'model', rngModels);
    enumeration(inner, 'backendModel', RNG_BACKEND_MODELS);
  });
  // libvirt 9.0's schema ends the list here; later ones add crypto, interface and panic.
  for (const name of ['filesystem', 'tpm', 'redirdev', 'channel']) w.empty(name, supported(false));
  w.close('devices');

  w.open('features');
  for (const name of ['gic', 'vmcoreinfo', 'genid', 'backingStoreInput', 'backup', 'sev', 'sgx']) {
    w.empty(name, supported(false));
  }
  w.close('features');
  w.close('domainCapabilities');
  return w.toString();
}

function resolveRequest(
  qemu: QemuInfo,
  request: DomainCapabilitiesRequest,
): { virttype: 'kvm' | 'qemu'; arch: string; machine: QemuMachineInfo } {
  if (request.emulator !== undefined && request.emulator !== qemu.binary) {
    throw capsUnsupported(`emulator '${request.emulator}' is not supported; use '${qemu.binary}'`);
  }
  const virttype = request.virttype ?? (qemu.kvm.usable ? 'kvm' : 'qemu');
  if (virttype !== 'kvm' && virttype !== 'qemu') throw capsInvalidArg(`unknown virttype '${virttype}'`);
  if (virttype === 'kvm' && !qemu.kvm.usable) {
    const why = qemu.kvm.present ? '/dev/kvm cannot be opened read-write' : 'the host has no KVM';
    throw capsUnsupported(`virttype 'kvm' is not available on this host: ${why}`);
  }
  const arch = request.arch ?? qemu.arch;
  const arches = EMULATOR_ARCHES[qemu.arch] ?? [qemu.arch];
  if (!arches.includes(arch)) {
    throw capsUnsupported(`emulator '${qemu.binary}' does not support arch '${arch}'`);
  }
  const machines = guestMachines(qemu.machines);
  const machine =
    request.machine === undefined
      ? (machines.find((m) => m.isDefault) ?? machines[0])
      : machines.find((m) => m.name === request.machine || m.alias === request.machine);
  if (!machine) {
    throw capsUnsupported(
      `the machine '${request.machine ?? '(default)'}' is not supported by emulator '${qemu.binary}'`,
    );
  }
  return { virttype, arch, machine };
}

function formatOs(
  w: XmlWriter,
  machine: QemuMachineInfo,
  arch: string,
  firmwares: readonly FirmwareDescriptor[],
): void {
  w.open('os', supported(true));
  // What post-parse can resolve <os firmware='efi'> to for this arch and machine, in selection order.
  const loaders = firmwares.filter(
    (d) =>
      d.device === 'flash' &&
      d.executable !== undefined &&
      d.nvramTemplate !== undefined &&
      d.interfaceTypes.includes('uefi') &&
      d.targets.some((t) => t.architecture === arch && t.machines.some((m) => machineGlobMatches(m, machine.name))),
  );
  enumeration(w, 'firmware', loaders.length > 0 ? ['efi'] : []);
  w.open('loader', supported(true));
  for (const path of new Set(loaders.map((d) => d.executable ?? ''))) w.text('value', path);
  enumeration(w, 'type', LOADER_TYPES);
  enumeration(w, 'readonly', ['yes', 'no']);
  // Secure boot needs SMM, which only q35 has.
  enumeration(w, 'secure', isQ35(machine.name) ? ['yes', 'no'] : ['no']);
  w.close('loader');
  w.close('os');
}

function formatCpu(w: XmlWriter, kvm: boolean, definitions: readonly QemuCpuDefinition[], known: boolean): void {
  w.open('cpu');
  // host-passthrough is KVM's -cpu host; TCG has no host CPU to pass through.
  w.block('mode', [['name', 'host-passthrough'], ...supported(kvm)], (inner) => {
    if (kvm) enumeration(inner, 'hostPassthroughMigratable', ['on', 'off']);
  });
  w.open('mode', [['name', 'maximum'], ...supported(true)]);
  enumeration(w, 'maximumMigratable', ['on', 'off']);
  w.close('mode');
  // host-model needs libvirt's CPU map to name the host CPU as a model plus features; not done.
  w.empty('mode', [['name', 'host-model'], ...supported(false)]);
  const models = definitions
    .filter((d) => !NON_CUSTOM_CPU_MODELS.has(d.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  w.block('mode', [['name', 'custom'], ...supported(models.length > 0)], (inner) => {
    for (const d of models) {
      inner.text('model', d.name, [
        ['usable', !known ? 'unknown' : d.unavailableFeatures.length === 0 ? 'yes' : 'no'],
        ['deprecated', d.deprecated ? 'yes' : undefined],
        // libvirt 10 adds canonical='EPYC-v1' to aliases; 9.0's schema (Debian 12) refuses it.
        ['vendor', cpuModelVendor(d.name)],
      ]);
    }
  });
  w.close('cpu');
}

function supported(yes: boolean): Array<readonly [string, string]> {
  return [['supported', yes ? 'yes' : 'no']];
}

/** `<enum name='…'><value>…</value>…</enum>`, or `<enum name='…'/>` when nothing is possible. */
function enumeration(w: XmlWriter, name: string, values: readonly string[]): void {
  w.block('enum', [['name', name]], (inner) => {
    for (const v of values) inner.text('value', v);
  });
}
