/**
 * Pool and volume names become file names (`<pool>.xml` configs, `<target>/<volume>`), so a
 * name that could leave its directory, hide, or break a listing is refused before any I/O.
 */
import { storageInvalidArg } from './storage-errors.js';

/** Linux NAME_MAX: longer names cannot be created as files anyway. */
const NAME_MAX = 255;
/** A pool's config file is `<name>.xml`, so its name leaves room for the suffix. */
const POOL_NAME_MAX = NAME_MAX - '.xml'.length;

/** Control characters shown as \xNN so that the message itself stays printable. */
function printable(name: string): string {
  return name.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function assertSafeName(kind: 'volume' | 'pool', name: string, maxBytes: number): void {
  if (typeof name !== 'string' || name === '') throw storageInvalidArg(`${kind} name must not be empty`);
  const shown = printable(name);
  if (name === '.' || name === '..') throw storageInvalidArg(`${kind} name '${name}' is not allowed`);
  if (name.includes('/')) throw storageInvalidArg(`${kind} name '${shown}' cannot contain '/'`);
  if (/[\x00-\x1f\x7f]/.test(name)) {
    throw storageInvalidArg(`${kind} name '${shown}' cannot contain control characters`);
  }
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > maxBytes) {
    throw storageInvalidArg(`${kind} name '${shown}' is ${bytes} bytes long, more than ${maxBytes}`);
  }
}

/** Refuses '', '.', '..', '/', NUL and other control characters, and names over 255 bytes (INVALID_ARG). */
export function assertSafeVolumeName(name: string): void {
  assertSafeName('volume', name, NAME_MAX);
}

/** The same rules for pool names, which name the config file `<name>.xml` (so at most 251 bytes). */
export function assertSafePoolName(name: string): void {
  assertSafeName('pool', name, POOL_NAME_MAX);
}
