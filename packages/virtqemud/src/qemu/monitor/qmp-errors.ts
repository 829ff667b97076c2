/** The error a QMP command fails with when QEMU answers `{"error": {...}}`: a VirError that also keeps QEMU's error class. */
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';

export class QmpCommandError extends VirError {
  constructor(
    /** The QMP command that failed, e.g. 'cont'. */
    readonly command: string,
    /** QEMU's error class, e.g. 'GenericError', 'CommandNotFound', 'DeviceNotActive': callers branch on this, never on `desc`. */
    readonly errorClass: string,
    /** QEMU's human-readable description. */
    readonly desc: string,
  ) {
    super(ErrorCode.OPERATION_FAILED, ErrorDomain.QEMU, `QEMU command '${command}' failed: ${desc}`, {
      str1: command,
      str2: errorClass,
    });
  }
}

export function qemuError(code: ErrorCode, message: string): VirError {
  return new VirError(code, ErrorDomain.QEMU, message);
}
