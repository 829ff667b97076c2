/**
 * QEMU firmware descriptors (docs/interop/firmware.json: the JSON files under
 * /usr/share/qemu/firmware) and libvirt's autoselection over them for `<os firmware='efi'>`.
 * Pure: the driver reads the files and hands their text here.
 */

/** The part of one descriptor that autoselection needs. */
export interface FirmwareDescriptor {
  /** File name: descriptors are tried in file-name order, as QEMU's spec says. */
  name: string;
  interfaceTypes: string[];
  /** `flash` (split code + vars), `memory` or `kernel`; only split flash is used here. */
  device: string;
  executable?: string;
  nvramTemplate?: string;
  targets: Array<{ architecture: string; machines: string[] }>;
  features: string[];
}

/** What the domain asks of its firmware. */
export interface FirmwareRequest {
  kind: 'efi' | 'bios';
  arch: string;
  machine: string;
  /** true: only secure-boot firmware; false or absent: never secure-boot firmware. */
  secureBoot?: boolean;
  /** false when the domain turned SMM off: firmware that requires it cannot run. */
  smm?: boolean;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Parses one descriptor file; undefined for a file that is not one (an empty mask file, bad JSON). */
export function parseFirmwareDescriptor(name: string, text: string): FirmwareDescriptor | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const root = record(json);
  const mapping = record(root.mapping);
  if (typeof mapping.device !== 'string') return undefined;
  const desc: FirmwareDescriptor = {
    name,
    interfaceTypes: strings(root['interface-types']),
    device: mapping.device,
    targets: (Array.isArray(root.targets) ? root.targets : []).map((t) => ({
      architecture: String(record(t).architecture ?? ''),
      machines: strings(record(t).machines),
    })),
    features: strings(root.features),
  };
  const executable = record(mapping.executable).filename;
  if (typeof executable === 'string') desc.executable = executable;
  const template = record(mapping['nvram-template']).filename;
  if (typeof template === 'string') desc.nvramTemplate = template;
  return desc;
}

/** QEMU's machine aliases, as the versioned names the descriptors' globs are written against. */
function canonicalMachine(machine: string): string {
  if (machine === 'pc') return 'pc-i440fx-latest';
  if (machine === 'q35') return 'pc-q35-latest';
  return machine;
}

/** fnmatch with `*` and `?`, the only wildcards the descriptors use. */
export function machineGlobMatches(glob: string, machine: string): boolean {
  const re = new RegExp(
    '^' +
      glob
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('') +
      '$',
  );
  return re.test(canonicalMachine(machine));
}

function matches(d: FirmwareDescriptor, req: FirmwareRequest): boolean {
  if (!d.interfaceTypes.includes(req.kind === 'efi' ? 'uefi' : 'bios')) return false;
  // Split flash only: a code file plus a vars template the driver copies per domain.
  if (d.device !== 'flash' || d.executable === undefined || d.nvramTemplate === undefined) return false;
  const target = d.targets.some(
    (t) => t.architecture === req.arch && t.machines.some((m) => machineGlobMatches(m, req.machine)),
  );
  if (!target) return false;
  const secure = d.features.includes('secure-boot');
  if (secure !== (req.secureBoot ?? false)) return false;
  if (req.smm === false && d.features.includes('requires-smm')) return false;
  return true;
}

/** The first descriptor (in file-name order) that fits the request, else undefined. */
export function selectFirmware(
  descriptors: readonly FirmwareDescriptor[],
  req: FirmwareRequest,
): FirmwareDescriptor | undefined {
  return [...descriptors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).find((d) => matches(d, req));
}

/** The descriptor whose code file is `loader`: where a hand-written loader finds its vars template. */
export function descriptorForLoader(
  descriptors: readonly FirmwareDescriptor[],
  loader: string,
): FirmwareDescriptor | undefined {
  return descriptors.find((d) => d.device === 'flash' && d.executable === loader && d.nvramTemplate !== undefined);
}
