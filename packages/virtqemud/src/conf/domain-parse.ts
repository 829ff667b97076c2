/** parseDomainDef: domain XML → DomainDef, after a safe parse and a schema check; refuses what the driver cannot honour. */
import type { BootDev, CpuDef, DevicesDef, DomainDef, OsDef } from './domain-def.js';
import { parseXmlSafe, validateRng, type XmlElement } from './xml-parse.js';
import { domainSchemaPath } from './schema-path.js';
import { attr, childElement, childElements, childText, onlyValues, optUint, optYesNo, refuse } from './xml-util.js';
import { toKiB } from './units.js';
import { parseDisk } from './devices/disk.js';
import { parseController } from './devices/controller.js';
import { parseNet } from './devices/net.js';
import { parseChardev } from './devices/chardev.js';
import { parseGraphics, parseInput, parseMemballoon, parseRng, parseVideo, parseWatchdog } from './devices/misc.js';
import { parseTpm } from './devices/tpm.js';
import { parseHostdev } from './devices/hostdev.js';
import { parseChannel } from './devices/channel.js';
import { parseAudio, parseSound } from './devices/sound.js';
import { parseFeatures } from './features.js';
import { parseClock } from './clock.js';
import { parseSysinfo } from './sysinfo.js';

/** Parses and schema-checks `xml`; no defaults are filled in (see postParseDomainDef). */
export function parseDomainDef(xml: string): DomainDef {
  const doc = parseXmlSafe(xml, 'domain definition');
  validateRng(doc, xml, domainSchemaPath(), 'domain definition');
  const root = doc.root();
  if (!root) throw new Error('unreachable: parseXmlSafe guarantees a root');
  return domainFromElement(root);
}

function memoryOf(el: XmlElement, what: string): number {
  return toKiB(el.text(), attr(el, 'unit'), what);
}

function domainFromElement(root: XmlElement): DomainDef {
  const type = onlyValues(attr(root, 'type') ?? '', ['kvm', 'qemu'] as const, '<domain type>');
  const memEl = childElement(root, 'memory');
  if (!memEl) throw new Error('unreachable: the schema requires <memory>');
  const dumpCore = attr(memEl, 'dumpCore');
  if (dumpCore !== undefined) refuse('<memory> attribute dumpCore', dumpCore);

  const def: DomainDef = {
    type,
    name: childText(root, 'name') ?? '',
    memory: memoryOf(memEl, 'memory'),
    vcpu: parseVcpu(root),
    os: parseOs(childElement(root, 'os')),
    features: parseFeatures(childElement(root, 'features')),
    devices: parseDevices(childElement(root, 'devices')),
  };
  const id = attr(root, 'id');
  if (id !== undefined) def.id = Number(id);
  for (const key of ['uuid', 'title', 'description'] as const) {
    const v = childText(root, key);
    if (v !== undefined) def[key] = v;
  }
  const metadata = childElement(root, 'metadata');
  // Serialized child by child: libxml keeps each element's own namespace declarations.
  if (metadata) def.metadata = childElements(metadata).map((c) => c.toString(false));

  const cur = childElement(root, 'currentMemory');
  if (cur) def.currentMemory = memoryOf(cur, 'currentMemory');
  const max = childElement(root, 'maxMemory');
  if (max) def.maxMemory = { size: memoryOf(max, 'maxMemory'), slots: optUint(max, 'slots', 'maxMemory slots') ?? 0 };

  const cpu = childElement(root, 'cpu');
  if (cpu) def.cpu = parseCpu(cpu);
  const clock = childElement(root, 'clock');
  if (clock) def.clock = parseClock(clock);
  const sysinfos = childElements(root, 'sysinfo');
  if (sysinfos.length > 1) refuse('<sysinfo> elements, count', String(sysinfos.length));
  if (sysinfos[0]) def.sysinfo = parseSysinfo(sysinfos[0]);
  // libvirt takes a domain's missing <uuid> from its SMBIOS system table.
  if (def.uuid === undefined && def.sysinfo?.system?.uuid !== undefined) def.uuid = def.sysinfo.system.uuid;
  const pm = childElement(root, 'pm');
  if (pm) {
    def.pm = {};
    const mem = optYesNo(childElement(pm, 'suspend-to-mem'), 'enabled');
    if (mem !== undefined) def.pm.suspendToMem = mem;
    const disk = optYesNo(childElement(pm, 'suspend-to-disk'), 'enabled');
    if (disk !== undefined) def.pm.suspendToDisk = disk;
  }
  const poweroff = childText(root, 'on_poweroff');
  if (poweroff !== undefined) def.onPoweroff = onlyValues(poweroff, ['destroy', 'restart'] as const, '<on_poweroff>');
  const reboot = childText(root, 'on_reboot');
  if (reboot !== undefined) def.onReboot = onlyValues(reboot, ['destroy', 'restart'] as const, '<on_reboot>');
  const crash = childText(root, 'on_crash');
  if (crash !== undefined) {
    def.onCrash = onlyValues(
      crash,
      ['destroy', 'restart', 'preserve', 'coredump-destroy', 'coredump-restart'] as const,
      '<on_crash>',
    );
  }
  return def;
}

function parseVcpu(root: XmlElement): DomainDef['vcpu'] {
  const el = childElement(root, 'vcpu');
  if (!el) throw new Error('unreachable: the schema requires <vcpu>');
  const vcpu: DomainDef['vcpu'] = { max: Number(el.text().trim()) };
  const placement = attr(el, 'placement');
  if (placement !== undefined) vcpu.placement = onlyValues(placement, ['static'] as const, '<vcpu placement>');
  const current = optUint(el, 'current', 'vcpu current');
  if (current !== undefined) vcpu.current = current;
  const cpuset = attr(el, 'cpuset');
  if (cpuset !== undefined) vcpu.cpuset = cpuset;
  return vcpu;
}

function parseOs(el: XmlElement | undefined): OsDef {
  if (!el) throw new Error('unreachable: the schema requires <os>');
  const typeEl = childElement(el, 'type');
  const os: OsDef = {
    type: onlyValues(typeEl?.text().trim() ?? '', ['hvm'] as const, '<os> <type>'),
    bootDevs: childElements(el, 'boot').map((b) => attr(b, 'dev') as BootDev),
  };
  parseOsFirmware(el, os);
  const arch = attr(typeEl, 'arch');
  if (arch !== undefined) os.arch = onlyValues(arch, ['x86_64', 'i686'] as const, '<os> <type arch>');
  const machine = attr(typeEl, 'machine');
  if (machine !== undefined) os.machine = machine;
  const loader = childElement(el, 'loader');
  if (loader) {
    os.loader = { path: loader.text().trim() };
    const readonly = attr(loader, 'readonly');
    if (readonly !== undefined) os.loader.readonly = readonly === 'yes';
    const secure = attr(loader, 'secure');
    if (secure !== undefined) os.loader.secure = secure === 'yes';
    const ltype = attr(loader, 'type') as 'rom' | 'pflash' | undefined;
    if (ltype !== undefined) os.loader.type = ltype;
  }
  const nvram = childElement(el, 'nvram');
  if (nvram) {
    os.nvram = { path: nvram.text().trim() };
    const template = attr(nvram, 'template');
    if (template !== undefined) os.nvram.template = template;
  }
  for (const key of ['kernel', 'initrd', 'cmdline'] as const) {
    const v = childText(el, key);
    if (v !== undefined) os[key] = key === 'cmdline' ? v : v.trim();
  }
  const smbios = attr(childElement(el, 'smbios'), 'mode');
  // host would copy this machine's own SMBIOS strings (serial numbers...) into the guest.
  if (smbios !== undefined) os.smbios = onlyValues(smbios, ['emulate', 'sysinfo'] as const, '<smbios mode>');
  const menu = childElement(el, 'bootmenu');
  if (menu) {
    os.bootmenu = { enable: attr(menu, 'enable') === 'yes' };
    const timeout = optUint(menu, 'timeout', 'bootmenu timeout');
    if (timeout !== undefined) os.bootmenu.timeout = timeout;
  }
  return os;
}

/** `<os firmware>` and its `<firmware><feature>` wishes (secure-boot only). */
function parseOsFirmware(el: XmlElement, os: OsDef): void {
  const firmware = attr(el, 'firmware');
  if (firmware !== undefined) os.firmware = firmware as 'efi' | 'bios';
  const fwEl = childElement(el, 'firmware');
  for (const f of fwEl ? childElements(fwEl, 'feature') : []) {
    const name = onlyValues(attr(f, 'name') ?? '', ['secure-boot'] as const, '<firmware> <feature name>');
    if (name === 'secure-boot') os.secureBoot = attr(f, 'enabled') === 'yes';
  }
}

function parseCpu(el: XmlElement): CpuDef {
  const features = childElements(el, 'feature');
  if (features[0]) refuse('<cpu> <feature>', attr(features[0], 'name') ?? '');
  const mode = onlyValues(
    attr(el, 'mode') ?? 'custom',
    ['custom', 'host-model', 'host-passthrough', 'maximum'] as const,
    '<cpu mode>',
  );
  const cpu: CpuDef = { mode };
  const match = attr(el, 'match') as CpuDef['match'];
  if (match !== undefined) cpu.match = match;
  const check = attr(el, 'check') as CpuDef['check'];
  if (check !== undefined) cpu.check = check;
  const migratable = attr(el, 'migratable') as CpuDef['migratable'];
  if (migratable !== undefined) cpu.migratable = migratable;
  const model = childElement(el, 'model');
  if (model) {
    cpu.model = { name: model.text().trim() };
    const fallback = attr(model, 'fallback') as 'allow' | 'forbid' | undefined;
    if (fallback !== undefined) cpu.model.fallback = fallback;
  }
  const topo = childElement(el, 'topology');
  if (topo) {
    cpu.topology = {
      sockets: optUint(topo, 'sockets', 'cpu topology sockets') ?? 1,
      dies: optUint(topo, 'dies', 'cpu topology dies') ?? 1,
      cores: optUint(topo, 'cores', 'cpu topology cores') ?? 1,
      threads: optUint(topo, 'threads', 'cpu topology threads') ?? 1,
    };
  }
  return cpu;
}

function parseDevices(el: XmlElement | undefined): DevicesDef {
  const devices: DevicesDef = {
    disks: [],
    controllers: [],
    nets: [],
    serials: [],
    consoles: [],
    inputs: [],
    graphics: [],
    videos: [],
    watchdogs: [],
    rngs: [],
    tpms: [],
    hostdevs: [],
    channels: [],
    sounds: [],
    audios: [],
  };
  if (!el) return devices;
  const emulator = childText(el, 'emulator');
  if (emulator !== undefined) devices.emulator = emulator.trim();
  for (const child of childElements(el)) {
    switch (child.name()) {
      case 'disk':
        devices.disks.push(parseDisk(child));
        break;
      case 'controller':
        devices.controllers.push(parseController(child));
        break;
      case 'interface':
        devices.nets.push(parseNet(child));
        break;
      case 'serial':
        devices.serials.push(parseChardev(child));
        break;
      case 'console':
        devices.consoles.push(parseChardev(child));
        break;
      case 'input':
        devices.inputs.push(parseInput(child));
        break;
      case 'graphics':
        devices.graphics.push(parseGraphics(child));
        break;
      case 'video':
        devices.videos.push(parseVideo(child));
        break;
      case 'watchdog':
        devices.watchdogs.push(parseWatchdog(child));
        break;
      case 'memballoon':
        devices.memballoon = parseMemballoon(child);
        break;
      case 'rng':
        devices.rngs.push(parseRng(child));
        break;
      case 'tpm':
        devices.tpms.push(parseTpm(child));
        break;
      case 'hostdev':
        devices.hostdevs.push(parseHostdev(child));
        break;
      case 'channel':
        devices.channels.push(parseChannel(child));
        break;
      case 'sound':
        devices.sounds.push(parseSound(child));
        break;
      case 'audio':
        devices.audios.push(parseAudio(child));
        break;
      case 'emulator':
        break;
      default:
        // The schema lists every device element; reaching here means the two disagree.
        refuse('<devices> element', child.name());
    }
  }
  return devices;
}
