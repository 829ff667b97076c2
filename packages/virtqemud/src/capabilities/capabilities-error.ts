/** Error constructors for capabilities, so every failure carries the CAPABILITIES error domain and a libvirt code. */
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';

/** A request the host or emulator cannot satisfy (unknown machine, KVM unusable, other arch). */
export function capsUnsupported(message: string): VirError {
  return new VirError(ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.CAPABILITIES, message);
}

export function capsInvalidArg(message: string): VirError {
  return new VirError(ErrorCode.INVALID_ARG, ErrorDomain.CAPABILITIES, message);
}

/** The host could not be read (a sysfs or procfs file missing or malformed). */
export function capsSystemError(message: string): VirError {
  return new VirError(ErrorCode.SYSTEM_ERROR, ErrorDomain.CAPABILITIES, message);
}

/** The emulator could not be probed (did not start, or answered oddly). */
export function capsProbeFailed(message: string): VirError {
  return new VirError(ErrorCode.OPERATION_FAILED, ErrorDomain.CAPABILITIES, message);
}
