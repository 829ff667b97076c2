/** formatDomainDef: DomainDef → canonical domain XML, 2-space indented, in libvirt's element order. */
import type { CpuDef, DomainDef, OsDef } from './domain-def.js';
import { invalidArg } from './conf-error.js';
import { XmlWriter, yesNo } from './xml-util.js';
import { formatDisk } from './devices/disk.js';
import { formatController } from './devices/controller.js';
import { formatNet } from './devices/net.js';
import { formatChardev } from './devices/chardev.js';
import { formatTpm } from './devices/tpm.js';
import { formatHostdev } from './devices/hostdev.js';
import { formatChannel } from './devices/channel.js';
import { formatAudio, formatSound } from './devices/sound.js';
import { formatFeatures } from './features.js';
import { formatClock } from './clock.js';
import { formatSysinfo } from './sysinfo.js';
import {
  formatGraphics,
  formatInput,
  formatMemballoon,
  formatRng,
  formatVideo,
  formatWatchdog,
} from './devices/misc.js';

export interface FormatOptions {
  /** Leave out runtime-only state (the domain id, automatic tap names, pty paths). */
  inactive?: boolean;
}

export function formatDomainDef(def: DomainDef, options: FormatOptions = {}): string {
  if (typeof def !== 'object' || def === null) throw invalidArg('domain definition must be an object');
  const inactive = options.inactive ?? false;
  const w = new XmlWriter();
  w.open('domain', [
    ['type', def.type],
    ['id', inactive ? undefined : def.id],
  ]);
  w.text('name', def.name);
  if (def.uuid !== undefined) w.text('uuid', def.uuid);
  if (def.title !== undefined) w.text('title', def.title);
  if (def.description !== undefined) w.text('description', def.description);
  if (def.metadata !== undefined) {
    w.block('metadata', [], (inner) => {
      for (const fragment of def.metadata ?? []) inner.raw(fragment);
    });
  }
  if (def.maxMemory) {
    w.text('maxMemory', String(def.maxMemory.size), [
      ['slots', def.maxMemory.slots],
      ['unit', 'KiB'],
    ]);
  }
  w.text('memory', String(def.memory), [['unit', 'KiB']]);
  if (def.currentMemory !== undefined) w.text('currentMemory', String(def.currentMemory), [['unit', 'KiB']]);
  w.text('vcpu', String(def.vcpu.max), [
    ['placement', def.vcpu.placement],
    ['cpuset', def.vcpu.cpuset],
    ['current', def.vcpu.current !== undefined && def.vcpu.current < def.vcpu.max ? def.vcpu.current : undefined],
  ]);
  if (def.sysinfo) formatSysinfo(w, def.sysinfo);
  formatOs(w, def.os);
  formatFeatures(w, def.features);
  if (def.cpu) formatCpu(w, def.cpu);
  if (def.clock) formatClock(w, def.clock);
  if (def.onPoweroff) w.text('on_poweroff', def.onPoweroff);
  if (def.onReboot) w.text('on_reboot', def.onReboot);
  if (def.onCrash) w.text('on_crash', def.onCrash);
  if (def.pm) {
    const pm = def.pm;
    w.block('pm', [], (inner) => {
      if (pm.suspendToMem !== undefined) inner.empty('suspend-to-mem', [['enabled', yesNo(pm.suspendToMem)]]);
      if (pm.suspendToDisk !== undefined) inner.empty('suspend-to-disk', [['enabled', yesNo(pm.suspendToDisk)]]);
    });
  }
  formatDevices(w, def, inactive);
  w.close('domain');
  return w.toString();
}

function formatOs(w: XmlWriter, os: OsDef): void {
  w.open('os', [['firmware', os.firmware]]);
  w.text('type', os.type, [
    ['arch', os.arch],
    ['machine', os.machine],
  ]);
  if (os.secureBoot !== undefined) {
    w.block('firmware', [], (inner) =>
      inner.empty('feature', [
        ['enabled', yesNo(os.secureBoot)],
        ['name', 'secure-boot'],
      ]),
    );
  }
  if (os.loader) {
    w.text('loader', os.loader.path, [
      ['readonly', yesNo(os.loader.readonly)],
      ['secure', yesNo(os.loader.secure)],
      ['type', os.loader.type],
    ]);
  }
  if (os.nvram) w.text('nvram', os.nvram.path, [['template', os.nvram.template]]);
  if (os.kernel !== undefined) w.text('kernel', os.kernel);
  if (os.initrd !== undefined) w.text('initrd', os.initrd);
  if (os.cmdline !== undefined) w.text('cmdline', os.cmdline);
  for (const dev of os.bootDevs) w.empty('boot', [['dev', dev]]);
  if (os.bootmenu) {
    w.empty('bootmenu', [
      ['enable', yesNo(os.bootmenu.enable)],
      ['timeout', os.bootmenu.timeout],
    ]);
  }
  if (os.smbios !== undefined) w.empty('smbios', [['mode', os.smbios]]);
  w.close('os');
}

function formatCpu(w: XmlWriter, cpu: CpuDef): void {
  const attrs = [
    ['mode', cpu.mode],
    ['match', cpu.match],
    ['check', cpu.check],
    ['migratable', cpu.migratable],
  ] as const;
  w.block('cpu', attrs, (inner) => {
    if (cpu.model) inner.text('model', cpu.model.name, [['fallback', cpu.model.fallback]]);
    const t = cpu.topology;
    if (t) {
      inner.empty('topology', [
        ['sockets', t.sockets],
        ['dies', t.dies],
        ['cores', t.cores],
        ['threads', t.threads],
      ]);
    }
  });
}

function formatDevices(w: XmlWriter, def: DomainDef, inactive: boolean): void {
  const d = def.devices;
  w.block('devices', [], (inner) => {
    if (d.emulator !== undefined) inner.text('emulator', d.emulator);
    for (const disk of d.disks) formatDisk(inner, disk);
    for (const c of d.controllers) formatController(inner, c);
    for (const n of d.nets) formatNet(inner, n, inactive);
    for (const s of d.serials) formatChardev(inner, 'serial', s, inactive);
    for (const c of d.consoles) formatChardev(inner, 'console', c, inactive);
    for (const ch of d.channels) formatChannel(inner, ch, inactive);
    for (const i of d.inputs) formatInput(inner, i);
    for (const t of d.tpms) formatTpm(inner, t);
    for (const g of d.graphics) formatGraphics(inner, g);
    for (const s of d.sounds) formatSound(inner, s);
    for (const a of d.audios) formatAudio(inner, a);
    for (const v of d.videos) formatVideo(inner, v);
    for (const h of d.hostdevs) formatHostdev(inner, h);
    for (const wd of d.watchdogs) formatWatchdog(inner, wd);
    if (d.memballoon) formatMemballoon(inner, d.memballoon);
    for (const r of d.rngs) formatRng(inner, r);
  });
}
