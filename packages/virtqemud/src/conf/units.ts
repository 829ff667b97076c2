/** Memory size units: libvirt's scaled integers, normalised to KiB. */
import { xmlDetail } from './conf-error.js';

const SCALE: Record<string, number> = {
  b: 1,
  bytes: 1,
  k: 1024,
  K: 1024,
  KiB: 1024,
  KB: 1000,
  M: 1024 ** 2,
  MiB: 1024 ** 2,
  MB: 1000 ** 2,
  G: 1024 ** 3,
  GiB: 1024 ** 3,
  GB: 1000 ** 3,
  T: 1024 ** 4,
  TiB: 1024 ** 4,
  TB: 1000 ** 4,
};

/**
 * `value` in `unit` (KiB when absent) as KiB, rounded up as libvirt does so that
 * a byte count never shrinks the guest. BigInt because TiB × a large count
 * overflows a double's exact range before the KiB division brings it back.
 */
export function toKiB(value: string, unit: string | undefined, what: string): number {
  const scale = SCALE[unit ?? 'KiB'];
  if (scale === undefined) throw xmlDetail(`unknown unit '${unit}' for ${what}`);
  if (!/^\d+$/.test(value.trim())) throw xmlDetail(`invalid value '${value}' for ${what}`);
  const bytes = BigInt(value.trim()) * BigInt(scale);
  const kib = (bytes + 1023n) / 1024n;
  if (kib > BigInt(Number.MAX_SAFE_INTEGER)) throw xmlDetail(`value '${value}' for ${what} is too large`);
  return Number(kib);
}
