/** `<tpm>`: the TPM backend (swtpm's control socket, or the host device) and the guest's TIS or CRB interface. */
import type { DomainDef } from '../../conf/domain-def.js';
import { keyval } from './option-value.js';
import { missingRuntime, type QemuRuntimeInfo } from './runtime-info.js';

/** libvirt's names: chardev `chrtpm`, backend `tpm-<alias>`, device alias `tpm0`. */
export function tpmArgs(def: DomainDef, runtime: QemuRuntimeInfo): string[] {
  const tpm = def.devices.tpms[0];
  if (!tpm) return [];
  const id = tpm.alias ?? 'tpm0';
  const backendId = `tpm-${id}`;
  const args: string[] = [];
  if (tpm.backend.type === 'emulator') {
    const socket = runtime.tpmSocket;
    if (socket === undefined) throw missingRuntime('no swtpm socket for the emulated <tpm>');
    args.push(
      '-chardev',
      keyval('socket', [
        ['id', 'chrtpm'],
        ['path', socket],
      ]),
    );
    args.push(
      '-tpmdev',
      keyval('emulator', [
        ['id', backendId],
        ['chardev', 'chrtpm'],
      ]),
    );
  } else {
    const path = tpm.backend.path;
    // The kernel's cancel file sits under the device's sysfs node, named after the device.
    const name = path.slice(path.lastIndexOf('/') + 1);
    args.push(
      '-tpmdev',
      keyval('passthrough', [
        ['id', backendId],
        ['path', path],
        ['cancel-path', `/sys/class/tpm/${name}/device/cancel`],
      ]),
    );
  }
  args.push(
    '-device',
    keyval(tpm.model, [
      ['tpmdev', backendId],
      ['id', id],
    ]),
  );
  return args;
}
