/** The driver's error constructors: every refusal carries the STORAGE domain and libvirt's wording. */
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';

export function noPool(by: 'name' | 'uuid' | 'key', value: string): VirError {
  const message =
    by === 'key'
      ? `no storage pool with matching volume key '${value}'`
      : `no storage pool with matching ${by} '${value}'`;
  return new VirError(ErrorCode.NO_STORAGE_POOL, ErrorDomain.STORAGE, message, { str1: value });
}

export function noVolume(by: 'name' | 'key' | 'path', value: string): VirError {
  return new VirError(ErrorCode.NO_STORAGE_VOL, ErrorDomain.STORAGE, `no storage vol with matching ${by} '${value}'`, {
    str1: value,
  });
}

export function operationInvalid(message: string): VirError {
  return new VirError(ErrorCode.OPERATION_INVALID, ErrorDomain.STORAGE, message);
}

export function operationFailed(message: string): VirError {
  return new VirError(ErrorCode.OPERATION_FAILED, ErrorDomain.STORAGE, message);
}

export function invalidArg(message: string): VirError {
  return new VirError(ErrorCode.INVALID_ARG, ErrorDomain.STORAGE, message);
}

/** A failed system call, with its errno text, as libvirt's virReportSystemError words it. */
export function systemError(message: string, err: unknown): VirError {
  const detail = (err as NodeJS.ErrnoException).code ? (err as Error).message.replace(/^[A-Z]+: /, '') : String(err);
  return new VirError(ErrorCode.SYSTEM_ERROR, ErrorDomain.STORAGE, `${message}: ${detail}`);
}

export function poolNotActive(name: string): VirError {
  return operationInvalid(`storage pool '${name}' is not active`);
}

export function volumeExists(name: string): VirError {
  return new VirError(
    ErrorCode.STORAGE_VOL_EXIST,
    ErrorDomain.STORAGE,
    `storage volume name '${name}' already exists`,
    {
      str1: name,
    },
  );
}
