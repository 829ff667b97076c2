/**
 * ajv validators compiled from the declared schemas, once per schema. Errors name
 * the procedure and the failing path so a caller can see what to fix.
 */
import type { TSchema } from '@sinclair/typebox';
import { Ajv, type ValidateFunction } from 'ajv';
import { ErrorCode, ErrorDomain } from '../errors/error-codes.js';
import { VirError } from '../errors/vir-error.js';

const ajv = new Ajv({ allErrors: false, strict: true, coerceTypes: false, useDefaults: false });
const compiled = new WeakMap<TSchema, ValidateFunction>();

export function validatorFor(schema: TSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** Describes the first ajv error as `path message`, e.g. `/xml must be string`. */
export function describeValidationError(validate: ValidateFunction): string {
  const first = validate.errors?.[0];
  if (!first) return 'invalid value';
  const path = first.instancePath || '/';
  if (first.keyword === 'additionalProperties') {
    const extra = (first.params as { additionalProperty?: string }).additionalProperty;
    return `${path} has unknown property '${extra}'`;
  }
  return `${path} ${first.message ?? 'is invalid'}`;
}

/** Throws INVALID_ARG naming `what` and the failing path when `value` does not match `schema`. */
export function assertMatches(schema: TSchema, value: unknown, what: string, domain = ErrorDomain.RPC): void {
  const validate = validatorFor(schema);
  if (!validate(value)) {
    throw new VirError(
      ErrorCode.INVALID_ARG,
      domain,
      `invalid argument for ${what}: ${describeValidationError(validate)}`,
    );
  }
}
