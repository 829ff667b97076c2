/** Error constructors for XML parse/validate failures; the caller names its error domain (DOMAIN, STORAGE, ...). */
import { ErrorCode, type ErrorDomain } from '../errors/error-codes.js';
import { VirError } from '../errors/vir-error.js';

/** Malformed XML, or XML we refuse to read (a DTD). */
export function xmlError(domain: ErrorDomain, message: string): VirError {
  return new VirError(ErrorCode.XML_ERROR, domain, message);
}

/** Well-formed and schema-valid, but a value is wrong (bad UUID, duplicate target, ...). */
export function xmlDetail(domain: ErrorDomain, message: string): VirError {
  return new VirError(ErrorCode.XML_DETAIL, domain, message);
}

/** The schema rejected the document. */
export function schemaError(domain: ErrorDomain, message: string): VirError {
  return new VirError(ErrorCode.XML_INVALID_SCHEMA, domain, message);
}

/** Valid libvirt XML that this driver cannot honour: refused rather than silently dropped. */
export function unsupported(domain: ErrorDomain, message: string): VirError {
  return new VirError(ErrorCode.CONFIG_UNSUPPORTED, domain, message);
}

export function invalidArg(domain: ErrorDomain, message: string): VirError {
  return new VirError(ErrorCode.INVALID_ARG, domain, message);
}
