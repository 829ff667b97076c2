/**
 * VirError: the one error type that crosses the wire. Flat on the wire, rebuilt as
 * the same class on the client, so callers branch on `code` and never on text.
 */
import { ErrorCode, ErrorDomain, ErrorLevel, errorCodeName } from './error-codes.js';

/** The wire form of an error: plain data only. @since 0.1.0 */
export interface WireError {
  code: number;
  domain: number;
  level: number;
  message: string;
  str1?: string;
  str2?: string;
  str3?: string;
  int1?: number;
  int2?: number;
}

/** @since 0.1.0 */
export class VirError extends Error {
  override readonly name = 'VirError';
  readonly code: ErrorCode;
  readonly domain: ErrorDomain;
  readonly level: ErrorLevel;
  readonly str1: string | undefined;
  readonly str2: string | undefined;
  readonly str3: string | undefined;
  readonly int1: number | undefined;
  readonly int2: number | undefined;

  constructor(
    code: ErrorCode,
    domain: ErrorDomain,
    message: string,
    extra: Partial<Omit<WireError, 'code' | 'domain' | 'message'>> = {},
  ) {
    super(message);
    this.code = code;
    this.domain = domain;
    this.level = (extra.level ?? ErrorLevel.ERROR) as ErrorLevel;
    this.str1 = extra.str1;
    this.str2 = extra.str2;
    this.str3 = extra.str3;
    this.int1 = extra.int1;
    this.int2 = extra.int2;
  }

  /** Symbolic name of the code, e.g. `NO_DOMAIN`. */
  get codeName(): string {
    return errorCodeName(this.code);
  }

  toWire(): WireError {
    const wire: WireError = { code: this.code, domain: this.domain, level: this.level, message: this.message };
    for (const key of ['str1', 'str2', 'str3', 'int1', 'int2'] as const) {
      const value = this[key];
      if (value !== undefined) (wire as unknown as Record<string, unknown>)[key] = value;
    }
    return wire;
  }

  static fromWire(wire: WireError): VirError {
    const { code, domain, message, ...extra } = wire;
    return new VirError(code as ErrorCode, domain as ErrorDomain, message, extra);
  }

  /**
   * Wraps anything thrown by a driver: a VirError passes unchanged; anything else
   * becomes INTERNAL_ERROR so that no stack trace or host detail leaks by accident.
   */
  static from(err: unknown, domain: ErrorDomain = ErrorDomain.NONE): VirError {
    if (err instanceof VirError) return err;
    const detail = err instanceof Error ? err.message : String(err);
    return new VirError(ErrorCode.INTERNAL_ERROR, domain, `internal error: ${detail}`);
  }
}

export function isWireError(value: unknown): value is WireError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'number' && typeof v.domain === 'number' && typeof v.message === 'string';
}
