/** Error constructors of the network conf modules: every failure carries the NETWORK error domain. */
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';

/** A malformed or inconsistent document (libvirt's VIR_ERR_XML_ERROR). */
export function networkXmlError(message: string): VirError {
  return new VirError(ErrorCode.XML_ERROR, ErrorDomain.NETWORK, message);
}

/** A value libvirt knows of but refuses in this combination. */
export function networkUnsupported(message: string): VirError {
  return new VirError(ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.NETWORK, message);
}

export function networkInvalidArg(message: string): VirError {
  return new VirError(ErrorCode.INVALID_ARG, ErrorDomain.NETWORK, message);
}

/** A request that contradicts the current definition (net-update of something absent or duplicated). */
export function networkOperationInvalid(message: string): VirError {
  return new VirError(ErrorCode.OPERATION_INVALID, ErrorDomain.NETWORK, message);
}

/** libvirt reports some range checks as internal errors; kept so that scripts see the same code. */
export function networkInternalError(message: string): VirError {
  return new VirError(ErrorCode.INTERNAL_ERROR, ErrorDomain.NETWORK, message);
}
