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

/** The network protocols a `<disk type='network'>` source may name. */
export type DiskNetProtocol = 'nbd' | 'http' | 'https' | 'iscsi' | 'rbd' | 'gluster' | 'sheepdog';

/** One `<source><host>` of a network disk: a TCP server, or a unix socket (nbd, gluster). */
export interface DiskSourceHost {
  name?: string;
  port?: number;
  transport?: 'tcp' | 'unix';
  socket?: string;
}

export interface DiskDef extends DeviceCommon {
  type: 'file' | 'block' | 'volume' | 'network';
  device: 'disk' | 'cdrom' | 'floppy';
  driver: { name?: string; type?: string; cache?: string; io?: string; discard?: string };
  /** file path (type file), device node (type block) or pool+volume; absent for an empty cdrom. */
  source?: {
    file?: string;
    dev?: string;
    pool?: string;
    volume?: string;
    /** type network: the protocol, its export/path name and its servers. */
    protocol?: DiskNetProtocol;
    name?: string;
    hosts?: DiskSourceHost[];
  };
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
  /** PCI controllers: the QEMU device implementing the model (`<model name>`). */
  modelName?: string;
  /** PCI controllers: `<target>`; chassisNr for pci-bridge, chassis and port for pcie-root-port. */
  target?: { chassisNr?: number; chassis?: number; port?: number };
}

export interface NetDef extends DeviceCommon {
  type: 'network' | 'bridge' | 'user' | 'ethernet';
  mac?: string;
  /**
   * `network` for type='network' (with, while running, the `portid` virtnetworkd gave and the
   * `bridge` it plugged the port into), `bridge` for type='bridge'.
   */
  source?: { network?: string; bridge?: string; portid?: string };
  targetDev?: string;
  model?: string;
  /** `<mtu size>`: the host side (tap) MTU, and the guest's for virtio-net. */
  mtu?: number;
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

export interface TpmDef extends DeviceCommon {
  model: 'tpm-tis' | 'tpm-crb';
  /** emulator: a per-domain swtpm; passthrough: the host's TPM character device. */
  backend: { type: 'emulator'; version?: '2.0' } | { type: 'passthrough'; path: string };
}

/** A host PCI device given to the guest with VFIO (`<hostdev mode='subsystem' type='pci'>`). */
export interface HostdevDef extends DeviceCommon {
  managed: boolean;
  driver?: 'vfio';
  /** The host device's PCI address. */
  source: { domain: number; bus: number; slot: number; function: number };
  bootOrder?: number;
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
  channels: ChannelDef[];
  sounds: SoundDef[];
  audios: AudioDef[];
  tpms: TpmDef[];
  hostdevs: HostdevDef[];
}

export interface OsDef {
  type: 'hvm';
  /** `<os firmware>`: firmware autoselection; post-parse resolves efi to a loader and nvram. */
  firmware?: 'efi' | 'bios';
  /** `<firmware><feature name='secure-boot'>`: what autoselection must (true) or must not (false) pick. */
  secureBoot?: boolean;
  arch?: string;
  machine?: string;
  loader?: { path: string; readonly?: boolean; secure?: boolean; type?: 'rom' | 'pflash' };
  nvram?: { path: string; template?: string };
  kernel?: string;
  initrd?: string;
  cmdline?: string;
  bootDevs: BootDev[];
  bootmenu?: { enable: boolean; timeout?: number };
  /** `<smbios mode>`: where the guest's SMBIOS tables come from (`sysinfo`: the domain's `<sysinfo>`). */
  smbios?: 'emulate' | 'sysinfo';
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
  features: FeaturesDef;
  cpu?: CpuDef;
  clock?: ClockDef;
  /** `<pm>`: whether the guest may suspend to RAM (S3) or to disk (S4); absent leaves QEMU's default. */
  pm?: { suspendToMem?: boolean; suspendToDisk?: boolean };
  sysinfo?: SysinfoDef;
  onPoweroff?: LifecycleAction;
  onReboot?: LifecycleAction;
  onCrash?: CrashAction;
  devices: DevicesDef;
}

export type OnOff = 'on' | 'off';

/** The `<hyperv>` enlightenments, in libvirt's order (also the order of their `-cpu` properties). */
export type HypervSwitch =
  | 'relaxed'
  | 'vapic'
  | 'spinlocks'
  | 'vpindex'
  | 'runtime'
  | 'synic'
  | 'stimer'
  | 'reset'
  | 'vendor_id'
  | 'frequencies'
  | 'reenlightenment'
  | 'tlbflush'
  | 'ipi'
  | 'evmcs';

export interface HypervDef {
  mode: 'custom';
  /** Each listed enlightenment's `state`. */
  state: Partial<Record<HypervSwitch, OnOff>>;
  spinlockRetries?: number;
  /** `<stimer><direct state>` */
  stimerDirect?: OnOff;
  vendorId?: string;
}

export interface FeaturesDef {
  acpi: boolean;
  apic: boolean;
  pae: boolean;
  /** `<smm state>` */
  smm?: OnOff;
  hyperv?: HypervDef;
  /** `<kvm><hidden state>`: hide the KVM signature from the guest. */
  kvmHidden?: OnOff;
  vmport?: OnOff;
  pmu?: OnOff;
}

export type TimerName = 'rtc' | 'pit' | 'hpet' | 'kvmclock' | 'hypervclock';

export interface TimerDef {
  name: TimerName;
  present?: boolean;
  tickpolicy?: 'delay' | 'catchup' | 'merge' | 'discard';
  /** rtc only */
  track?: 'boot' | 'guest' | 'wall' | 'realtime';
}

export interface ClockDef {
  offset: 'utc' | 'localtime' | 'variable';
  /**
   * offset variable: seconds added to `basis` when the guest starts. utc/localtime: only
   * `reset` (start from the host clock each time), which is what this driver always does.
   */
  adjustment?: number | 'reset';
  basis?: 'utc' | 'localtime';
  timers: TimerDef[];
}

/** `<sysinfo type='smbios'>`: SMBIOS strings per table, entry name → value. */
export interface SysinfoDef {
  type: 'smbios';
  bios?: Record<string, string>;
  system?: Record<string, string>;
  baseBoard?: Record<string, string>;
  chassis?: Record<string, string>;
  oemStrings?: string[];
}

/** `<address type='virtio-serial'>`: port `port` of bus `bus` of virtio-serial controller `controller`. */
export interface VirtioSerialAddress {
  type: 'virtio-serial';
  controller: number;
  bus: number;
  port: number;
}

/** `<channel>`: a host↔guest stream; only virtio-serial ports (`<target type='virtio'>`) are supported. */
export interface ChannelDef {
  type: 'unix' | 'pty';
  source?: ChardevSource;
  target: { type: 'virtio'; name?: string };
  alias?: string;
  address?: VirtioSerialAddress;
}

export type SoundModel = 'ich6' | 'ich9' | 'ac97' | 'es1370' | 'sb16';

export interface SoundDef extends DeviceCommon {
  model: SoundModel;
  /** HDA codecs (ich6, ich9); none listed means one duplex codec. */
  codecs: Array<'duplex' | 'micro' | 'output'>;
  /** `<audio id>`: which `<audio>` backend it plays through; absent means the first. */
  audioId?: number;
}

/** `<audio>`: a host audio backend for the sound devices. */
export interface AudioDef {
  id: number;
  type: 'none' | 'spice';
}
