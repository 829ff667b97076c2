/** validateDomainDef: semantic checks on a post-parsed DomainDef that the schema cannot express. */
import type { DomainDef } from './domain-def.js';
import { unsupported, xmlDetail } from './conf-error.js';
import { isQ35 } from './device-address.js';
import { validateFeatures } from './features.js';
import { validateClock } from './clock.js';
import { validateSysinfo } from './sysinfo.js';
import { validateChannels } from './devices/channel.js';
import { validateSounds } from './devices/sound.js';
import { validateNetworkSource } from './devices/disk-network-source.js';
import { validateTpms } from './devices/tpm.js';
import { validateHostdevs } from './devices/hostdev.js';

/** What the QEMU driver can honour, per open-ended attribute the schema leaves as a token. */
const SUPPORTED = {
  '<disk> <target bus>': ['virtio', 'ide', 'sata', 'scsi', 'fdc'],
  '<disk> <driver name>': ['qemu'],
  '<disk> <driver type>': ['raw', 'qcow2'],
  '<disk> <driver cache>': ['default', 'none', 'writethrough', 'writeback', 'directsync', 'unsafe'],
  '<disk> <driver io>': ['threads', 'native', 'io_uring'],
  '<disk> <driver discard>': ['ignore', 'unmap'],
  '<interface> <model type>': ['virtio', 'e1000', 'e1000e', 'rtl8139'],
  '<input bus>': ['ps2', 'usb', 'virtio'],
  '<video> <model type>': ['vga', 'cirrus', 'qxl', 'virtio', 'bochs', 'none'],
  '<watchdog model>': ['i6300esb', 'ib700', 'itco'],
  '<watchdog action>': ['reset', 'shutdown', 'poweroff', 'pause', 'none', 'dump', 'inject-nmi'],
  '<memballoon model>': ['virtio', 'none'],
  '<rng model>': ['virtio'],
  '<rng> <backend>': ['/dev/random', '/dev/urandom', '/dev/hwrng'],
  '<serial> <target type>': ['isa-serial'],
  '<serial> <target> <model name>': ['isa-serial'],
  '<console> <target type>': ['serial'],
  '<controller type=usb model>': ['piix3-uhci', 'qemu-xhci', 'none'],
  '<controller type=scsi model>': ['lsilogic', 'virtio-scsi'],
  '<controller type=pci model>': [
    'pci-root',
    'pcie-root',
    'pcie-root-port',
    'pci-bridge',
    'pcie-to-pci-bridge',
    'dmi-to-pci-bridge',
  ],
} as const satisfies Record<string, readonly string[]>;

function check(what: keyof typeof SUPPORTED, value: string | undefined): void {
  if (value === undefined) return;
  if (!(SUPPORTED[what] as readonly string[]).includes(value)) {
    throw unsupported(`unsupported configuration: ${what} '${value}' is not supported by this driver`);
  }
}

/** Throws the first problem found; a def that passes can be handed to the driver. */
export function validateDomainDef(def: DomainDef): void {
  validateIdentity(def);
  validateResources(def);
  validateDevices(def);
  validateFeatures(def);
  if (def.clock) validateClock(def.clock);
  validateSysinfo(def);
  validateChannels(def);
  validateSounds(def);
}

function validateIdentity(def: DomainDef): void {
  // '/' would escape the per-domain directories and files named after the domain.
  if (def.name.trim() === '' || /[/\x00-\x1f\x7f]/.test(def.name)) {
    throw xmlDetail(`domain name '${def.name}' must not be empty or contain '/' or control characters`);
  }
  if (def.title !== undefined && /[\r\n]/.test(def.title)) throw xmlDetail('domain title must not contain newlines');
  if (def.uuid !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(def.uuid)) {
    throw xmlDetail(`malformed uuid '${def.uuid}'`);
  }
  if (def.uuid === '00000000-0000-0000-0000-000000000000') throw xmlDetail('uuid must not be all zeros');
}

function validateResources(def: DomainDef): void {
  if (def.memory === 0) throw xmlDetail('memory size must be greater than zero');
  if (def.currentMemory !== undefined && def.currentMemory > def.memory) {
    throw xmlDetail(`currentMemory '${def.currentMemory}' KiB must not exceed memory '${def.memory}' KiB`);
  }
  if (def.maxMemory && def.maxMemory.size < def.memory) {
    throw xmlDetail(`maxMemory '${def.maxMemory.size}' KiB must not be less than memory '${def.memory}' KiB`);
  }
  if (def.vcpu.current !== undefined && def.vcpu.current > def.vcpu.max) {
    throw xmlDetail(`vcpu current '${def.vcpu.current}' must not exceed maximum '${def.vcpu.max}'`);
  }
  const t = def.cpu?.topology;
  if (t && t.sockets * t.dies * t.cores * t.threads !== def.vcpu.max) {
    throw xmlDetail(
      `CPU topology '${t.sockets}x${t.dies}x${t.cores}x${t.threads}' does not match the maximum vcpu count '${def.vcpu.max}'`,
    );
  }
  if (def.cpu?.mode === 'custom' && def.cpu.model === undefined && def.cpu.match !== undefined) {
    throw xmlDetail('<cpu match> needs a <model>');
  }
  if (def.os.loader?.secure && def.os.loader.type !== 'pflash') {
    throw unsupported("unsupported configuration: <loader secure='yes'> needs type='pflash'");
  }
  if (def.os.nvram && def.os.loader?.type !== 'pflash') {
    throw unsupported("unsupported configuration: <nvram> needs a <loader type='pflash'>");
  }
  if (def.os.loader?.secure) {
    // libvirt's own checks: the secure flash is only locked down by SMM, which i440fx lacks.
    if (!isQ35(def.os.machine)) {
      throw unsupported('unsupported configuration: Secure boot is supported with q35 machine types only');
    }
    if (def.features.smm !== 'on') {
      throw unsupported('unsupported configuration: Secure boot requires SMM feature enabled');
    }
  }
  if ((def.os.initrd !== undefined || def.os.cmdline !== undefined) && def.os.kernel === undefined) {
    throw xmlDetail('<initrd> and <cmdline> need a <kernel>');
  }
}

function validateDevices(def: DomainDef): void {
  const d = def.devices;
  const perDeviceBoot: number[] = [];
  const targets = new Set<string>();
  for (const disk of d.disks) {
    if (targets.has(disk.target.dev)) throw xmlDetail(`target '${disk.target.dev}' duplicated for disk sources`);
    targets.add(disk.target.dev);
    check('<disk> <target bus>', disk.target.bus);
    check('<disk> <driver name>', disk.driver.name);
    check('<disk> <driver type>', disk.driver.type);
    check('<disk> <driver cache>', disk.driver.cache);
    check('<disk> <driver io>', disk.driver.io);
    check('<disk> <driver discard>', disk.driver.discard);
    if (disk.device === 'disk' && !disk.source) throw xmlDetail(`disk '${disk.target.dev}' needs a <source>`);
    if (disk.device === 'floppy' && disk.target.bus !== 'fdc') {
      throw unsupported(`unsupported configuration: floppy '${disk.target.dev}' must be on bus 'fdc'`);
    }
    if (disk.target.bus === 'ide' && isQ35(def.os.machine)) {
      throw unsupported(
        `unsupported configuration: IDE disk '${disk.target.dev}': machine '${def.os.machine}' has no IDE controller`,
      );
    }
    if (disk.target.tray !== undefined && disk.device === 'disk') {
      throw unsupported(
        `unsupported configuration: <target tray> is only for cdrom and floppy, not disk '${disk.target.dev}'`,
      );
    }
    if (disk.bootOrder !== undefined) perDeviceBoot.push(disk.bootOrder);
    validateNetworkSource(disk);
  }
  validateTpms(d.tpms);
  validateHostdevs(d.hostdevs);
  for (const h of d.hostdevs) if (h.bootOrder !== undefined) perDeviceBoot.push(h.bootOrder);
  const macs = new Set<string>();
  for (const net of d.nets) {
    check('<interface> <model type>', net.model);
    if (net.mac !== undefined) {
      // The low bit of the first octet marks a group address, which no NIC may own.
      if ((Number.parseInt(net.mac.slice(0, 2), 16) & 1) === 1)
        throw xmlDetail(`MAC address '${net.mac}' is a multicast address`);
      if (macs.has(net.mac)) throw xmlDetail(`MAC address '${net.mac}' is used by two interfaces`);
      macs.add(net.mac);
    }
    if ((net.type === 'network' || net.type === 'bridge') && !net.source) {
      throw xmlDetail(`<interface type='${net.type}'> needs a <source ${net.type}=...>`);
    }
    if (net.bootOrder !== undefined) perDeviceBoot.push(net.bootOrder);
  }
  if (perDeviceBoot.length > 0 && def.os.bootDevs.length > 0) {
    throw unsupported(
      'unsupported configuration: per-device boot elements cannot be used together with os/boot elements',
    );
  }
  const seen = new Set<number>();
  for (const order of perDeviceBoot) {
    if (seen.has(order)) throw xmlDetail(`boot order '${order}' used for more than one device`);
    seen.add(order);
  }
  for (const c of d.controllers) {
    if (c.type === 'usb') check('<controller type=usb model>', c.model);
    else if (c.type === 'scsi') check('<controller type=scsi model>', c.model);
    else if (c.type === 'pci') check('<controller type=pci model>', c.model);
    else if (c.model !== undefined)
      throw unsupported(
        `unsupported configuration: <controller type='${c.type}' model> '${c.model}' is not supported by this driver`,
      );
    if (c.type === 'ide' && c.index !== 0)
      throw unsupported(`unsupported configuration: IDE controller index '${c.index}': the machine has only one`);
  }
  for (const s of d.serials) {
    check('<serial> <target type>', s.target.type);
    check('<serial> <target> <model name>', s.target.model);
  }
  for (const c of d.consoles) check('<console> <target type>', c.target.type);
  for (const c of [...d.serials, ...d.consoles]) {
    if ((c.type === 'file' || c.type === 'unix') && c.source?.path === undefined) {
      throw xmlDetail(`character device of type '${c.type}' needs <source path=...>`);
    }
    if (c.type === 'tcp' && (c.source?.host === undefined || c.source.service === undefined)) {
      throw xmlDetail("<serial type='tcp'> needs <source host=... service=...>");
    }
  }
  const hasUsb = d.controllers.some((c) => c.type === 'usb' && c.model !== 'none');
  for (const i of d.inputs) {
    check('<input bus>', i.bus);
    if (i.bus === 'usb' && !hasUsb)
      throw unsupported(`unsupported configuration: USB ${i.type} needs a <controller type='usb'>`);
    if (i.type === 'tablet' && i.bus === 'ps2')
      throw unsupported("unsupported configuration: <input type='tablet' bus='ps2'> does not exist");
  }
  const graphicsTypes = new Set<string>();
  for (const g of d.graphics) {
    if (graphicsTypes.has(g.type))
      throw unsupported(`unsupported configuration: only one <graphics type='${g.type}'> is supported`);
    graphicsTypes.add(g.type);
  }
  for (const v of d.videos) check('<video> <model type>', v.model.type);
  if (d.watchdogs.length > 1) throw unsupported('unsupported configuration: only one <watchdog> is supported');
  for (const w of d.watchdogs) {
    check('<watchdog model>', w.model);
    check('<watchdog action>', w.action);
    if (w.model === 'itco' && !isQ35(def.os.machine))
      throw unsupported("unsupported configuration: watchdog model 'itco' needs a q35 machine");
  }
  check('<memballoon model>', d.memballoon?.model);
  for (const r of d.rngs) {
    check('<rng model>', r.model);
    check('<rng> <backend>', r.backend.path);
  }
}
