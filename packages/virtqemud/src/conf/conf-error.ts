/** Error constructors for the domain XML modules, so every failure carries the DOMAIN error domain. */
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';

/** Malformed XML, or XML we refuse to read (a DTD). */
export function xmlError(message: string): VirError {
  return new VirError(ErrorCode.XML_ERROR, ErrorDomain.DOMAIN, message);
}

/** Well-formed and schema-valid, but a value is wrong (bad UUID, duplicate target, ...). */
export function xmlDetail(message: string): VirError {
  return new VirError(ErrorCode.XML_DETAIL, ErrorDomain.DOMAIN, message);
}

/** The schema rejected the document. */
export function schemaError(message: string): VirError {
  return new VirError(ErrorCode.XML_INVALID_SCHEMA, ErrorDomain.DOMAIN, message);
}

/** Valid libvirt XML that this driver cannot honour: refused rather than silently dropped. */
export function unsupported(message: string): VirError {
  return new VirError(ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.DOMAIN, message);
}

export function invalidArg(message: string): VirError {
  return new VirError(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN, message);
}
