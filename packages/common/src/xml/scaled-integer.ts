/** libvirt's scaled integers (`<capacity unit='G'>10</capacity>`): a count and a unit, brought to bytes. */
import type { ErrorDomain } from '../errors/error-codes.js';
import { xmlDetail } from './xml-errors.js';

const POWERS = 'kmgtpe';

/**
 * The byte multiplier of `unit`, as libvirt's virScaleInteger reads it, case-insensitively:
 * b/byte/bytes = 1; k, KiB (and M, G, T, P, E alike) = powers of 1024; KB, MB, ... = powers of 1000.
 * undefined for anything else.
 */
export function unitScale(unit: string): bigint | undefined {
  const u = unit.toLowerCase();
  if (u === 'b' || u === 'byte' || u === 'bytes') return 1n;
  const power = POWERS.indexOf(u.charAt(0)) + 1;
  if (power === 0) return undefined;
  const suffix = u.slice(1);
  if (suffix === '' || suffix === 'ib') return 1024n ** BigInt(power);
  if (suffix === 'b') return 1000n ** BigInt(power);
  return undefined;
}

/**
 * `value` in `unit` (`defaultUnit` when absent) as a byte count. BigInt so that an
 * EiB-scaled value is checked exactly; a result beyond a double's exact range (8 PiB)
 * is refused rather than rounded.
 */
export function scaledToBytes(
  value: string,
  unit: string | undefined,
  what: string,
  domain: ErrorDomain,
  defaultUnit = 'bytes',
): number {
  const scale = unitScale(unit ?? defaultUnit);
  if (scale === undefined) throw xmlDetail(domain, `unknown scale '${unit}' for ${what}`);
  const digits = value.trim();
  if (!/^\d+$/.test(digits)) throw xmlDetail(domain, `invalid value '${value}' for ${what}`);
  const bytes = BigInt(digits) * scale;
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    const shown = unit === undefined ? digits : `${digits} ${unit}`;
    throw xmlDetail(domain, `${what} '${shown}' is too large (at most ${Number.MAX_SAFE_INTEGER} bytes)`);
  }
  return Number(bytes);
}
