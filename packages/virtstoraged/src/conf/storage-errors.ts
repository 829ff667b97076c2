/** Error constructors of the storage conf modules: every failure carries the STORAGE error domain. */
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';

/** A document libvirt reports as VIR_ERR_XML_ERROR (missing or malformed element). */
export function storageXmlError(message: string): VirError {
  return new VirError(ErrorCode.XML_ERROR, ErrorDomain.STORAGE, message);
}

/** A value libvirt knows of but does not accept here (unknown format, unsupported feature). */
export function storageUnsupported(message: string): VirError {
  return new VirError(ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.STORAGE, message);
}

export function storageInvalidArg(message: string): VirError {
  return new VirError(ErrorCode.INVALID_ARG, ErrorDomain.STORAGE, message);
}

export function storageNoSupport(message: string): VirError {
  return new VirError(ErrorCode.NO_SUPPORT, ErrorDomain.STORAGE, message);
}
