/** buildQemuCommandLine: DomainDef + the driver's runtime decisions → QEMU binary and argv. Pure: no I/O. */
import type { DomainDef } from '../../conf/domain-def.js';
import {
  bootArgs,
  cpuArgs,
  firmwareArgs,
  lifecycleArgs,
  machineArgs,
  memoryArgs,
  nameArgs,
  smpArgs,
  uuidArgs,
} from './machine.js';
import { monitorArgs, serialArgs } from './chardevs.js';
import { pflashBlockdevArgs } from './firmware.js';
import { controllerArgs } from './controllers.js';
import { diskArgs } from './disks.js';
import { netArgs } from './network.js';
import { graphicsArgs, videoArgs } from './graphics.js';
import { inputArgs, memballoonArgs, rngArgs, watchdogArgs } from './devices.js';
import type { QemuRuntimeInfo } from './runtime-info.js';
import { tpmArgs } from './tpm.js';
import { hostdevArgs } from './hostdev.js';
import { withCpuFeatures } from './cpu-features.js';
import { pitArgs, rtcArgs } from './clock.js';
import { smbiosArgs } from './sysinfo.js';
import { pmArgs } from './power-management.js';
import { channelArgs } from './channels.js';
import { audioArgs, soundArgs } from './sound.js';

export interface QemuCommandLine {
  binary: string;
  args: string[];
}

/** Used when the XML names no <emulator>: the system emulator for the guest's architecture. */
export const DEFAULT_QEMU_BINARY = 'qemu-system-x86_64';
const I686_QEMU_BINARY = 'qemu-system-i386';

/**
 * The argv for one start of `def`, in libvirt's order. QEMU starts paused (`-S`) so the
 * driver can finish setup over QMP before `cont`. Throws VirError CONFIG_UNSUPPORTED (domain
 * QEMU) for what the model holds but this builder cannot express, and INTERNAL_ERROR when
 * `runtime` lacks something the definition needs (a tap, a volume path, a VNC port).
 */
export function buildQemuCommandLine(def: DomainDef, runtime: QemuRuntimeInfo): QemuCommandLine {
  const args = [
    ...nameArgs(def),
    '-S',
    ...pflashBlockdevArgs(def),
    ...machineArgs(def, runtime),
    ...withCpuFeatures(def, cpuArgs(def, runtime)),
    ...memoryArgs(def),
    ...smpArgs(def),
    ...uuidArgs(def),
    ...smbiosArgs(def),
    // No host config files and no default devices: the guest gets exactly what the XML lists.
    '-no-user-config',
    '-nodefaults',
    ...monitorArgs(runtime),
    '-pidfile',
    runtime.pidFile,
    ...rtcArgs(def, runtime.now ?? Date.now()),
    ...pitArgs(def),
    ...lifecycleArgs(def),
    ...pmArgs(def),
    ...bootArgs(def),
    ...firmwareArgs(def),
    ...controllerArgs(def),
    ...diskArgs(def, runtime),
    ...netArgs(def, runtime),
    ...serialArgs(def),
    ...channelArgs(def),
    ...tpmArgs(def, runtime),
    ...inputArgs(def),
    ...audioArgs(def),
    ...graphicsArgs(def, runtime),
    ...videoArgs(def),
    ...soundArgs(def),
    ...watchdogArgs(def),
    ...hostdevArgs(def),
    ...memballoonArgs(def),
    ...rngArgs(def),
    // A compromised QEMU may not spawn processes, gain privileges or use obsolete system calls.
    '-sandbox',
    'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny',
    '-msg',
    'timestamp=on',
  ];
  const binary = def.devices.emulator ?? (def.os.arch === 'i686' ? I686_QEMU_BINARY : DEFAULT_QEMU_BINARY);
  return { binary, args };
}
