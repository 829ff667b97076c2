/** parseDomainDef: domain XML → DomainDef, after a safe parse and a schema check; refuses what the driver cannot honour. */
import type { BootDev, CpuDef, DevicesDef, DomainDef, OsDef } from './domain-def.js';
import { parseXmlSafe, validateRng, type XmlElement } from './xml-parse.js';
import { domainSchemaPath } from './schema-path.js';
import { attr, childElement, childElements, childText, onlyValues, optUint, refuse } from './xml-util.js';
import { toKiB } from './units.js';
import { parseDisk } from './devices/disk.js';
import { parseController } from './devices/controller.js';
import { parseNet } from './devices/net.js';
import { parseChardev } from './devices/chardev.js';
import { parseGraphics, parseInput, parseMemballoon, parseRng, parseVideo, parseWatchdog } from './devices/misc.js';

/** Parses and schema-checks `xml`; no defaults are filled in (see postParseDomainDef). */
export function parseDomainDef(xml: string): DomainDef {
  const doc = parseXmlSafe(xml, 'domain definition');
  validateRng(doc, domainSchemaPath(), 'domain definition');
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
    features: { acpi: false, apic: false, pae: false },
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

  const features = childElement(root, 'features');
  if (features) {
    for (const f of childElements(features)) {
      const name = f.name();
      if (name === 'acpi' || name === 'apic' || name === 'pae') def.features[name] = true;
      else refuse('<features> element', name);
    }
  }
  const cpu = childElement(root, 'cpu');
  if (cpu) def.cpu = parseCpu(cpu);
  const clock = childElement(root, 'clock');
  if (clock) {
    for (const a of ['timezone', 'adjustment', 'basis']) {
      const v = attr(clock, a);
      if (v !== undefined) refuse(`<clock> attribute ${a}`, v);
    }
    const timer = childElement(clock, 'timer');
    if (timer) refuse('<clock> element', 'timer');
    def.clock = { offset: onlyValues(attr(clock, 'offset') ?? '', ['utc', 'localtime'] as const, '<clock offset>') };
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
  const firmware = attr(el, 'firmware');
  if (firmware !== undefined) refuse('<os> attribute firmware', firmware);
  const typeEl = childElement(el, 'type');
  const os: OsDef = {
    type: onlyValues(typeEl?.text().trim() ?? '', ['hvm'] as const, '<os> <type>'),
    bootDevs: childElements(el, 'boot').map((b) => attr(b, 'dev') as BootDev),
  };
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
  const menu = childElement(el, 'bootmenu');
  if (menu) {
    os.bootmenu = { enable: attr(menu, 'enable') === 'yes' };
    const timeout = optUint(menu, 'timeout', 'bootmenu timeout');
    if (timeout !== undefined) os.bootmenu.timeout = timeout;
  }
  return os;
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
      case 'emulator':
        break;
      default:
        // The schema lists every device element; reaching here means the two disagree.
        refuse('<devices> element', child.name());
    }
  }
  return devices;
}
