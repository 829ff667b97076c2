/** IPv4/IPv6 address arithmetic for the subnet checks: addresses as bigints, canonical text as libvirt prints it. */
import { isIPv4, isIPv6 } from 'node:net';
import type { IpFamily } from './network-def.js';

export const FAMILY_BITS: Record<IpFamily, number> = { ipv4: 32, ipv6: 128 };

export function familyOf(address: string): IpFamily | undefined {
  if (isIPv4(address)) return 'ipv4';
  if (isIPv6(address)) return 'ipv6';
  return undefined;
}

/** libvirt formats addresses through getnameinfo(NI_NUMERICHOST): IPv6 lower-case and compressed. */
export function canonicalAddress(address: string): string {
  if (!isIPv6(address)) return address;
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

export function addressToBigInt(address: string): bigint {
  if (isIPv4(address)) {
    return address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
  }
  // The URL parser expands nothing, so expand '::' here; an embedded IPv4 tail is converted first.
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const n = addressToBigInt(v4[1]);
    text = `${text.slice(0, -v4[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? [] : new Array<string>(8 - headParts.length - tailParts.length).fill('0');
  return [...headParts, ...fill, ...tailParts].reduce((acc, part) => (acc << 16n) | BigInt(`0x${part}`), 0n);
}

/** Whether `address` lies in `network`/`prefix` (both of the same family). */
export function inSubnet(address: string, network: string, prefix: number, family: IpFamily): boolean {
  const shift = BigInt(FAMILY_BITS[family] - prefix);
  return addressToBigInt(address) >> shift === addressToBigInt(network) >> shift;
}

/** 255.255.255.0 → 24; undefined for a mask whose ones are not contiguous. */
export function netmaskToPrefix(netmask: string): number | undefined {
  if (!isIPv4(netmask)) return undefined;
  const bits = addressToBigInt(netmask).toString(2).padStart(32, '0');
  return /^1*0*$/.test(bits) ? (bits.indexOf('0') === -1 ? 32 : bits.indexOf('0')) : undefined;
}

/** The classful prefix libvirt assumes for an IPv4 address given without prefix or netmask. */
export function classfulPrefix(address: string): number {
  const first = Number(address.split('.')[0]);
  if (first < 128) return 8;
  if (first < 192) return 16;
  return 24;
}
