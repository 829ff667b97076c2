/** Typed model of a QEMU/KVM domain definition: what parse produces and format consumes. */

export type VirtType = 'kvm' | 'qemu';
export type LifecycleAction = 'destroy' | 'restart' | 'preserve';
export type CrashAction = LifecycleAction | 'coredump-destroy' | 'coredump-restart';
export type BootDev = 'hd' | 'cdrom' | 'fd' | 'network';

export interface PciAddress {
  type: 'pci';
  domain: number;
  bus: number;
  slot: number;
  function: number;
  multifunction?: 'on' | 'off';
}

export interface DriveAddress {
  type: 'drive';
  controller: number;
  bus: number;
  target: number;
  unit: number;
}

export type DeviceAddress = PciAddress | DriveAddress;

/** Fields every guest device may carry. */
export interface DeviceCommon {
  /** User alias (`ua-` prefix, as libvirt requires for user-set aliases). */
  alias?: string;
  address?: DeviceAddress;
}

export interface DiskDef extends DeviceCommon {
  type: 'file' | 'block' | 'volume';
  device: 'disk' | 'cdrom' | 'floppy';
  driver: { name?: string; type?: string; cache?: string; io?: string; discard?: string };
  /** file path (type file), device node (type block) or pool+volume; absent for an empty cdrom. */
  source?: { file?: string; dev?: string; pool?: string; volume?: string };
  target: { dev: string; bus?: string; tray?: 'open' | 'closed' };
  bootOrder?: number;
  readonly: boolean;
  shareable: boolean;
  serial?: string;
}

export interface ControllerDef extends DeviceCommon {
  type: 'pci' | 'usb' | 'ide' | 'fdc' | 'sata' | 'scsi' | 'virtio-serial';
  index: number;
  model?: string;
  ports?: number;
}

export interface NetDef extends DeviceCommon {
  type: 'network' | 'bridge' | 'user' | 'ethernet';
  mac?: string;
  source?: { network?: string; bridge?: string };
  targetDev?: string;
  model?: string;
  bootOrder?: number;
}

export type ChardevType = 'pty' | 'file' | 'unix' | 'tcp';

export interface ChardevSource {
  mode?: 'bind' | 'connect';
  path?: string;
  host?: string;
  service?: string;
  append?: 'on' | 'off';
}

export interface ChardevDef extends DeviceCommon {
  type: ChardevType;
  source?: ChardevSource;
  /** tcp only */
  protocol?: 'raw' | 'telnet';
  target: { type?: string; port?: number; model?: string };
}

export interface InputDef extends DeviceCommon {
  type: 'mouse' | 'tablet' | 'keyboard';
  bus?: string;
}

export interface GraphicsListen {
  type: 'address' | 'none';
  address?: string;
}

export interface GraphicsDef {
  type: 'vnc' | 'spice';
  port?: number;
  tlsPort?: number;
  autoport: boolean;
  /** Legacy listen attribute, kept in step with the first `<listen type='address'>`. */
  listen?: string;
  passwd?: string;
  keymap?: string;
  listens: GraphicsListen[];
}

export interface VideoDef extends DeviceCommon {
  model: { type: string; ram?: number; vram?: number; vgamem?: number; heads?: number; primary?: boolean };
}

export interface WatchdogDef extends DeviceCommon {
  model: string;
  action?: string;
}

export interface MemballoonDef extends DeviceCommon {
  model: string;
  autodeflate?: 'on' | 'off';
  statsPeriod?: number;
}

export interface RngDef extends DeviceCommon {
  model: string;
  rate?: { bytes: number; period?: number };
  backend: { model: 'random'; path: string };
}

export interface DevicesDef {
  emulator?: string;
  disks: DiskDef[];
  controllers: ControllerDef[];
  nets: NetDef[];
  serials: ChardevDef[];
  consoles: ChardevDef[];
  inputs: InputDef[];
  graphics: GraphicsDef[];
  videos: VideoDef[];
  watchdogs: WatchdogDef[];
  memballoon?: MemballoonDef;
  rngs: RngDef[];
}

export interface OsDef {
  type: 'hvm';
  arch?: string;
  machine?: string;
  loader?: { path: string; readonly?: boolean; secure?: boolean; type?: 'rom' | 'pflash' };
  nvram?: { path: string; template?: string };
  kernel?: string;
  initrd?: string;
  cmdline?: string;
  bootDevs: BootDev[];
  bootmenu?: { enable: boolean; timeout?: number };
}

export interface CpuDef {
  mode: 'custom' | 'host-model' | 'host-passthrough' | 'maximum';
  match?: 'minimum' | 'exact' | 'strict';
  check?: 'none' | 'partial' | 'full';
  migratable?: 'on' | 'off';
  model?: { name: string; fallback?: 'allow' | 'forbid' };
  topology?: { sockets: number; dies: number; cores: number; threads: number };
}

export interface DomainDef {
  type: VirtType;
  /** Runtime id: only meaningful for a running domain, formatted unless `inactive`. */
  id?: number;
  name: string;
  /** Lower-case, dashed RFC 4122 form once post-parsed. */
  uuid?: string;
  title?: string;
  description?: string;
  /** The `<metadata>` children, verbatim, one serialized element per entry. */
  metadata?: string[];
  /** All memory figures are KiB. */
  memory: number;
  currentMemory?: number;
  maxMemory?: { size: number; slots: number };
  vcpu: { max: number; current?: number; placement?: 'static'; cpuset?: string };
  os: OsDef;
  features: { acpi: boolean; apic: boolean; pae: boolean };
  cpu?: CpuDef;
  clock?: { offset: 'utc' | 'localtime' };
  onPoweroff?: LifecycleAction;
  onReboot?: LifecycleAction;
  onCrash?: CrashAction;
  devices: DevicesDef;
}
