/**
 * A network's name becomes a file name (`<name>.xml` config, dnsmasq files) and its bridge a
 * kernel interface name, so both are refused before any I/O when they could escape a directory,
 * hide, or not fit the kernel's limits.
 */
import { networkInvalidArg, networkXmlError } from './network-errors.js';

/** Linux NAME_MAX less '.xml'. */
const NETWORK_NAME_MAX = 255 - '.xml'.length;
/** IFNAMSIZ is 16 including the terminating NUL. */
const IFNAME_MAX = 15;

/** Control characters shown as \xNN so that the message itself stays printable. */
function printable(name: string): string {
  return name.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Refuses '', names starting with '.', containing '/' or control characters, and names over 251 bytes. */
export function assertSafeNetworkName(name: string): void {
  if (typeof name !== 'string' || name === '') throw networkInvalidArg('network name must not be empty');
  const shown = printable(name);
  if (name.startsWith('.')) throw networkInvalidArg(`network name '${shown}' cannot start with '.'`);
  if (name.includes('/')) throw networkInvalidArg(`network name '${shown}' cannot contain '/'`);
  if (/[\x00-\x1f\x7f]/.test(name))
    throw networkInvalidArg(`network name '${shown}' cannot contain control characters`);
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > NETWORK_NAME_MAX) {
    throw networkInvalidArg(`network name '${shown}' is ${bytes} bytes long, more than ${NETWORK_NAME_MAX}`);
  }
}

/** A kernel interface name: at most 15 bytes, no '/', ':' or whitespace, not '.' or '..'. */
export function assertValidBridgeName(name: string): void {
  const shown = printable(name);
  // Quotes and backslashes too: the kernel takes them, but `ip -batch` would split the line on them.
  if (name === '' || name === '.' || name === '..' || /[/:\s\x00-\x1f\x7f"'\\]/.test(name)) {
    throw networkXmlError(`invalid bridge name '${shown}'`);
  }
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > IFNAME_MAX) {
    throw networkXmlError(`bridge name '${shown}' is ${bytes} bytes long, more than ${IFNAME_MAX}`);
  }
}
