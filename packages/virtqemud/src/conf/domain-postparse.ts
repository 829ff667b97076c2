/** postParseDomainDef: fills in the defaults libvirt's QEMU driver would (uuid, memory, MACs, implicit devices, addresses). */
import { randomBytes, randomUUID } from 'node:crypto';
import type { ChardevDef, DomainDef, GraphicsDef, VideoDef } from './domain-def.js';
import { postParseFirmware, type FirmwarePostParseOptions } from './firmware-postparse.js';
import { postParseClock } from './clock.js';
import { postParseSysinfo } from './sysinfo.js';
import { postParseChannels } from './devices/channel.js';
import { postParseAudio } from './devices/sound.js';
import { addImplicitControllers, assignDriveAddresses, assignPciAddresses } from './device-address.js';

export interface PostParseOptions extends FirmwarePostParseOptions {
  /** Injected for deterministic tests; default crypto.randomUUID. */
  generateUuid?: () => string;
  /** Three random bytes for a 52:54:00 MAC; default crypto.randomBytes. */
  generateMacTail?: () => Uint8Array;
}

/** QEMU's own OUI: MACs libvirt makes up for QEMU guests start with it. */
const QEMU_OUI = '52:54:00';

/** `3e3fce454f534fa7bb3211f34168b82b` and upper case → dashed lower case. */
export function normalizeUuid(uuid: string): string {
  const hex = uuid.replace(/-/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function generateMac(tail: Uint8Array): string {
  const bytes = [...tail.slice(0, 3)].map((b) => b.toString(16).padStart(2, '0'));
  return `${QEMU_OUI}:${bytes.join(':')}`;
}

/** Mutates and returns `def`, completing it the way libvirt does before it is stored. */
export function postParseDomainDef(def: DomainDef, options: PostParseOptions = {}): DomainDef {
  def.uuid = def.uuid === undefined ? (options.generateUuid ?? randomUUID)() : normalizeUuid(def.uuid);
  if (def.currentMemory === undefined) def.currentMemory = def.memory;
  def.vcpu.placement ??= 'static';
  if (def.vcpu.current !== undefined && def.vcpu.current === def.vcpu.max) delete def.vcpu.current;
  postParseOs(def);
  postParseFirmware(def, options);
  if (def.cpu) postParseCpu(def.cpu);
  def.clock ??= { offset: 'utc', timers: [] };
  postParseClock(def.clock);
  if (def.sysinfo) postParseSysinfo(def.sysinfo);
  def.onPoweroff ??= 'destroy';
  def.onReboot ??= 'restart';
  def.onCrash ??= 'destroy';
  postParseDevices(def, options.generateMacTail ?? (() => randomBytes(3)));
  return def;
}

function postParseOs(def: DomainDef): void {
  const os = def.os;
  os.arch ??= 'x86_64';
  os.machine ??= 'pc';
  const perDeviceBoot =
    def.devices.disks.some((d) => d.bootOrder !== undefined) ||
    def.devices.nets.some((n) => n.bootOrder !== undefined) ||
    def.devices.hostdevs.some((h) => h.bootOrder !== undefined);
  // Without any boot instruction the guest firmware would try nothing: libvirt picks the first disk.
  if (os.bootDevs.length === 0 && !perDeviceBoot && os.kernel === undefined) os.bootDevs.push('hd');
}

function postParseCpu(cpu: NonNullable<DomainDef['cpu']>): void {
  switch (cpu.mode) {
    case 'host-passthrough':
    case 'maximum':
      cpu.check ??= 'none';
      cpu.migratable ??= 'on';
      break;
    case 'host-model':
      cpu.check ??= 'partial';
      break;
    case 'custom':
      if (cpu.model) {
        cpu.match ??= 'exact';
        cpu.check ??= 'partial';
        cpu.model.fallback ??= 'allow';
      }
      break;
  }
}

const BUS_BY_PREFIX: Array<[RegExp, string]> = [
  [/^hd/, 'ide'],
  [/^sd/, 'scsi'],
  [/^vd/, 'virtio'],
  [/^fd/, 'fdc'],
  [/^xvd/, 'xen'],
];

function postParseDevices(def: DomainDef, macTail: () => Uint8Array): void {
  const d = def.devices;
  for (const disk of d.disks) {
    if (disk.target.bus === undefined) {
      const hit = BUS_BY_PREFIX.find(([re]) => re.test(disk.target.dev));
      disk.target.bus = hit ? hit[1] : disk.device === 'floppy' ? 'fdc' : 'ide';
    }
    if (disk.device === 'cdrom') disk.readonly = true; // a cdrom cannot be written
    disk.driver.name ??= 'qemu';
    // Format probing is a security hole (a guest could write a qcow2 header): assume raw.
    // A volume disk without one takes its volume's format at start, as in libvirt.
    if (disk.type !== 'volume') disk.driver.type ??= 'raw';
  }
  for (const net of d.nets) {
    net.mac ??= generateMac(macTail());
    net.model ??= 'rtl8139';
  }
  postParseChardevs(d.serials, d.consoles);
  for (const input of d.inputs) input.bus ??= input.type === 'tablet' ? 'usb' : 'ps2';
  if (d.graphics.length > 0) {
    // A graphical console needs a pointer and a keyboard; on x86 the PS/2 ones are always there.
    for (const type of ['mouse', 'keyboard'] as const) {
      if (!d.inputs.some((i) => i.type === type && i.bus === 'ps2')) d.inputs.push({ type, bus: 'ps2' });
    }
    if (d.videos.length === 0) d.videos.push({ model: { type: 'vga' } });
  }
  for (const g of d.graphics) postParseGraphics(g);
  d.videos.forEach((v, i) => postParseVideo(v, i === 0));
  for (const w of d.watchdogs) w.action ??= 'reset';
  d.memballoon ??= { model: 'virtio' };
  for (const t of d.tpms) if (t.backend.type === 'emulator') t.backend.version ??= '2.0';
  // VFIO is the only assignment QEMU still has: libvirt's QEMU driver fills it in.
  for (const h of d.hostdevs) h.driver ??= 'vfio';

  postParseAudio(def);
  assignDriveAddresses(d.disks);
  addImplicitControllers(def);
  // After the machine's own controllers, as libvirt adds them: the virtio-serial one follows the PCI root.
  postParseChannels(def);
  assignPciAddresses(def);
}

/**
 * The first serial port doubles as the primary console, as libvirt models it: a
 * console without a serial gets one, a serial without a console gets a console
 * sharing its backend.
 */
function postParseChardevs(serials: ChardevDef[], consoles: ChardevDef[]): void {
  const first = consoles[0];
  if (serials.length === 0 && first && (first.target.type ?? 'serial') === 'serial') {
    const serial: ChardevDef = { type: first.type, target: {} };
    if (first.source) serial.source = { ...first.source };
    if (first.protocol) serial.protocol = first.protocol;
    serials.push(serial);
  }
  const ports = new Set(serials.map((s) => s.target.port).filter((p) => p !== undefined));
  let next = 0;
  for (const s of serials) {
    s.target.type ??= 'isa-serial';
    if (s.target.port === undefined) {
      while (ports.has(next)) next++;
      s.target.port = next;
      ports.add(next);
    }
    if (s.target.type === 'isa-serial') s.target.model ??= 'isa-serial';
  }
  const serial0 = serials[0];
  if (consoles.length === 0 && serial0) {
    const console: ChardevDef = { type: serial0.type, target: { type: 'serial', port: serial0.target.port ?? 0 } };
    if (serial0.source) console.source = { ...serial0.source };
    if (serial0.protocol) console.protocol = serial0.protocol;
    consoles.push(console);
  }
  for (const c of consoles) {
    c.target.type ??= 'serial';
    c.target.port ??= 0;
  }
  for (const c of [...serials, ...consoles]) if (c.type === 'tcp') c.protocol ??= 'raw';
  for (const c of [...serials, ...consoles]) {
    if ((c.type === 'unix' || c.type === 'tcp') && c.source) c.source.mode ??= 'connect';
  }
}

function postParseGraphics(g: GraphicsDef): void {
  if (g.port === undefined || g.port === -1) g.autoport = true;
  if (g.autoport) {
    g.port = -1;
    if (g.type === 'spice') g.tlsPort = -1;
  }
  const firstAddress = g.listens.find((l) => l.type === 'address' && l.address !== undefined);
  if (g.listens.length === 0) {
    g.listens.push(g.listen !== undefined ? { type: 'address', address: g.listen } : { type: 'address' });
  } else if (g.listen === undefined && firstAddress?.address !== undefined) {
    g.listen = firstAddress.address;
  }
}

function postParseVideo(v: VideoDef, primary: boolean): void {
  const m = v.model;
  switch (m.type) {
    case 'vga':
    case 'cirrus':
    case 'bochs':
      m.vram ??= 16384;
      break;
    case 'qxl':
      m.ram ??= 65536;
      m.vram ??= 65536;
      m.vgamem ??= 16384;
      break;
    default:
      break;
  }
  if (m.type !== 'none') m.heads ??= 1;
  if (primary && m.type !== 'none') m.primary = true;
}
