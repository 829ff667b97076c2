/**
 * One small typed function per QMP command the driver uses: build the arguments, execute,
 * check QEMU's return shape and hand back camelCase results. Shapes are QEMU 7.2's.
 */
import { ErrorCode } from '@tsvirt/common';
import type { QmpConnection } from './qmp-connection.js';
import { qemuError } from './qmp-errors.js';
import { QmpShape } from './qmp-shape.js';

/** QEMU's RunState; open-ended because newer QEMUs add states. */
export type QemuRunState =
  | 'debug'
  | 'inmigrate'
  | 'internal-error'
  | 'io-error'
  | 'paused'
  | 'postmigrate'
  | 'prelaunch'
  | 'finish-migrate'
  | 'restore-vm'
  | 'running'
  | 'save-vm'
  | 'shutdown'
  | 'suspended'
  | 'watchdog'
  | 'guest-panicked'
  | 'colo'
  | (string & {});

export interface QemuStatus {
  running: boolean;
  status: QemuRunState;
}

/** `query-status` → `{"status": "prelaunch", "singlestep": false, "running": false}` */
export async function queryStatus(qmp: QmpConnection): Promise<QemuStatus> {
  const shape = new QmpShape('query-status');
  const ret = shape.object(await qmp.execute('query-status'));
  return { running: shape.boolean(ret, 'running'), status: shape.string(ret, 'status') };
}

/** Starts or resumes the vCPUs (leaves 'prelaunch' or 'paused'). */
export async function cont(qmp: QmpConnection): Promise<void> {
  await qmp.execute('cont');
}

/** Pauses the vCPUs; QEMU sends STOP. */
export async function stop(qmp: QmpConnection): Promise<void> {
  await qmp.execute('stop');
}

/** Presses the ACPI power button; the guest decides whether to shut down. */
export async function systemPowerdown(qmp: QmpConnection): Promise<void> {
  await qmp.execute('system_powerdown');
}

/** Hard reset; QEMU sends RESET. */
export async function systemReset(qmp: QmpConnection): Promise<void> {
  await qmp.execute('system_reset');
}

/**
 * Makes QEMU exit. QEMU answers and then closes the monitor, but may close first, so a
 * connection ending by EOF while this runs counts as success: that end is what was asked for.
 */
export async function quit(qmp: QmpConnection): Promise<void> {
  try {
    await qmp.execute('quit');
  } catch (err) {
    if (qmp.closeInfo?.reason === 'eof') return;
    throw err;
  }
}

export interface QemuVersionInfo {
  major: number;
  minor: number;
  micro: number;
  package: string;
}

/** `query-version` → `{"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}` */
export async function queryVersion(qmp: QmpConnection): Promise<QemuVersionInfo> {
  const shape = new QmpShape('query-version');
  const ret = shape.object(await qmp.execute('query-version'));
  const qemu = shape.at('return.qemu');
  const numbers = qemu.object(ret.qemu);
  return {
    major: qemu.number(numbers, 'major'),
    minor: qemu.number(numbers, 'minor'),
    micro: qemu.number(numbers, 'micro'),
    package: (shape.optionalString(ret, 'package') ?? '').trim(),
  };
}

export interface QemuCpuInfo {
  cpuIndex: number;
  /** The host thread running this vCPU, for pinning and per-vCPU statistics. */
  threadId: number;
  qomPath: string | undefined;
}

/** `query-cpus-fast` → `[{"thread-id": 21285, "cpu-index": 0, "qom-path": "/machine/unattached/device[0]", "props": {...}, "target": "x86_64"}]` */
export async function queryCpusFast(qmp: QmpConnection): Promise<QemuCpuInfo[]> {
  const shape = new QmpShape('query-cpus-fast');
  return shape.array(await qmp.execute('query-cpus-fast')).map((item, i) => {
    const cpu = shape.at(`return[${i}]`);
    const obj = cpu.object(item);
    return {
      cpuIndex: cpu.number(obj, 'cpu-index'),
      threadId: cpu.number(obj, 'thread-id'),
      qomPath: cpu.optionalString(obj, 'qom-path'),
    };
  });
}

export interface QemuBalloonInfo {
  /** The guest's current memory, in bytes. */
  actual: number;
}

/** `query-balloon` → `{"actual": 67108864}`; fails with class DeviceNotActive when there is no balloon device. */
export async function queryBalloon(qmp: QmpConnection): Promise<QemuBalloonInfo> {
  const shape = new QmpShape('query-balloon');
  const ret = shape.object(await qmp.execute('query-balloon'));
  return { actual: shape.number(ret, 'actual') };
}

/** Asks the guest's balloon driver to bring its memory to `bytes`; the guest moves later (BALLOON_CHANGE). */
export async function balloon(qmp: QmpConnection, bytes: number): Promise<void> {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw qemuError(ErrorCode.INVALID_ARG, `balloon target must be a positive number of bytes, not ${bytes}`);
  }
  await qmp.execute('balloon', { value: bytes });
}

export interface QemuBlockStats {
  /** The -drive id; undefined for -blockdev disks, which QEMU reports with device "". */
  device: string | undefined;
  /** The guest device's QOM path, e.g. '/machine/peripheral/disk0/virtio-backend'. */
  qdev: string | undefined;
  nodeName: string | undefined;
  rdBytes: number;
  wrBytes: number;
  rdOperations: number;
  wrOperations: number;
  flushOperations: number;
  rdTotalTimeNs: number;
  wrTotalTimeNs: number;
  flushTotalTimeNs: number;
  /** The highest offset written through this node, in bytes. */
  wrHighestOffset: number | undefined;
  /** The same of the node below (the storage node under a format node): libvirt's `allocation`. */
  parentWrHighestOffset: number | undefined;
}

/** `query-blockstats` → `[{"device": "drive0", "qdev": "...", "node-name": "#block133", "stats": {"rd_bytes": 0, ...}, "parent": {...}}]` */
export async function queryBlockstats(qmp: QmpConnection): Promise<QemuBlockStats[]> {
  const shape = new QmpShape('query-blockstats');
  return shape.array(await qmp.execute('query-blockstats')).map((item, i) => {
    const entry = shape.at(`return[${i}]`);
    const obj = entry.object(item);
    const statsShape = shape.at(`return[${i}].stats`);
    const stats = statsShape.object(obj.stats);
    const device = entry.optionalString(obj, 'device');
    return {
      device: device === '' ? undefined : device,
      qdev: entry.optionalString(obj, 'qdev'),
      nodeName: entry.optionalString(obj, 'node-name'),
      rdBytes: statsShape.number(stats, 'rd_bytes'),
      wrBytes: statsShape.number(stats, 'wr_bytes'),
      rdOperations: statsShape.number(stats, 'rd_operations'),
      wrOperations: statsShape.number(stats, 'wr_operations'),
      flushOperations: statsShape.number(stats, 'flush_operations'),
      rdTotalTimeNs: statsShape.number(stats, 'rd_total_time_ns'),
      wrTotalTimeNs: statsShape.number(stats, 'wr_total_time_ns'),
      flushTotalTimeNs: statsShape.number(stats, 'flush_total_time_ns'),
      wrHighestOffset: statsShape.optionalNumber(stats, 'wr_highest_offset'),
      parentWrHighestOffset: parentWrHighestOffset(shape, `return[${i}].parent`, obj.parent),
    };
  });
}

function parentWrHighestOffset(shape: QmpShape, path: string, parent: unknown): number | undefined {
  if (parent === undefined) return undefined;
  const statsShape = shape.at(`${path}.stats`);
  const stats = statsShape.object(shape.at(path).object(parent).stats);
  return statsShape.optionalNumber(stats, 'wr_highest_offset');
}

export interface QemuBlockNodeInfo {
  nodeName: string;
  /** The size the guest sees, in bytes. */
  virtualSize: number;
  /** The bytes the image takes on the host; absent or 0 when QEMU cannot tell. */
  actualSize: number | undefined;
}

/** `query-named-block-nodes` (flat) → `[{"node-name": "libvirt-1-format", "image": {"virtual-size": 16777216, "actual-size": 0, ...}, ...}]` */
export async function queryNamedBlockNodes(qmp: QmpConnection): Promise<QemuBlockNodeInfo[]> {
  const shape = new QmpShape('query-named-block-nodes');
  return shape.array(await qmp.execute('query-named-block-nodes', { flat: true })).map((item, i) => {
    const node = shape.at(`return[${i}]`);
    const obj = node.object(item);
    const imageShape = shape.at(`return[${i}].image`);
    const image = imageShape.object(obj.image);
    return {
      nodeName: node.string(obj, 'node-name'),
      virtualSize: imageShape.number(image, 'virtual-size'),
      actualSize: imageShape.optionalNumber(image, 'actual-size'),
    };
  });
}

export interface QemuChardevInfo {
  label: string;
  /** QEMU's description, e.g. 'pty:/dev/pts/0' or 'unix:/run/x.sock,server=on'. */
  filename: string;
  /** The pty's path when the chardev is a pty: where a console connects. */
  ptyPath: string | undefined;
  frontendOpen: boolean | undefined;
}

/** `query-chardev` → `[{"frontend-open": true, "filename": "pty:/dev/pts/0", "label": "charserial0"}]` */
export async function queryChardev(qmp: QmpConnection): Promise<QemuChardevInfo[]> {
  const shape = new QmpShape('query-chardev');
  return shape.array(await qmp.execute('query-chardev')).map((item, i) => {
    const chardev = shape.at(`return[${i}]`);
    const obj = chardev.object(item);
    const filename = chardev.string(obj, 'filename');
    return {
      label: chardev.string(obj, 'label'),
      filename,
      ptyPath: filename.startsWith('pty:') ? filename.slice('pty:'.length) : undefined,
      frontendOpen: chardev.optionalBoolean(obj, 'frontend-open'),
    };
  });
}

export interface QemuVncInfo {
  enabled: boolean;
  host: string | undefined;
  /** The port as QEMU reports it: a decimal string such as '5977'. */
  service: string | undefined;
  family: string | undefined;
  auth: string | undefined;
}

/** `query-vnc` → `{"enabled": true, "auth": "none", "family": "ipv4", "clients": [], "service": "5977", "host": "127.0.0.1"}` or `{"enabled": false}` */
export async function queryVnc(qmp: QmpConnection): Promise<QemuVncInfo> {
  const shape = new QmpShape('query-vnc');
  const ret = shape.object(await qmp.execute('query-vnc'));
  return {
    enabled: shape.boolean(ret, 'enabled'),
    host: shape.optionalString(ret, 'host'),
    service: shape.optionalString(ret, 'service'),
    family: shape.optionalString(ret, 'family'),
    auth: shape.optionalString(ret, 'auth'),
  };
}

export interface QemuMachineInfo {
  name: string;
  alias: string | undefined;
  isDefault: boolean;
  cpuMax: number;
  deprecated: boolean;
  defaultCpuType: string | undefined;
}

/** `query-machines` → `[{"name": "pc-i440fx-7.2", "alias": "pc", "is-default": true, "cpu-max": 255, "deprecated": false, ...}]`; "is-default" appears only when true. */
export async function queryMachines(qmp: QmpConnection): Promise<QemuMachineInfo[]> {
  const shape = new QmpShape('query-machines');
  return shape.array(await qmp.execute('query-machines')).map((item, i) => {
    const machine = shape.at(`return[${i}]`);
    const obj = machine.object(item);
    return {
      name: machine.string(obj, 'name'),
      alias: machine.optionalString(obj, 'alias'),
      isDefault: machine.optionalBoolean(obj, 'is-default') ?? false,
      cpuMax: machine.number(obj, 'cpu-max'),
      deprecated: machine.optionalBoolean(obj, 'deprecated') ?? false,
      defaultCpuType: machine.optionalString(obj, 'default-cpu-type'),
    };
  });
}

export interface QemuKvmInfo {
  /** KVM is in use by this QEMU. */
  enabled: boolean;
  /** KVM is available on this host (whether or not this QEMU uses it). */
  present: boolean;
}

/** `query-kvm` → `{"enabled": false, "present": true}` */
export async function queryKvm(qmp: QmpConnection): Promise<QemuKvmInfo> {
  const shape = new QmpShape('query-kvm');
  const ret = shape.object(await qmp.execute('query-kvm'));
  return { enabled: shape.boolean(ret, 'enabled'), present: shape.boolean(ret, 'present') };
}
