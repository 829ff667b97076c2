/** tsvirt's own version, and libvirt's integer encoding of versions. */

/** Kept equal to the packages' version by test/version.test.ts. */
export const TSVIRT_VERSION = '0.1.0';

/** libvirt's encoding: major * 1,000,000 + minor * 1,000 + micro. */
export function encodeVersion(text: string): number {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) return 0;
  return Number(match[1]) * 1_000_000 + Number(match[2]) * 1_000 + Number(match[3] ?? 0);
}

export function decodeVersion(encoded: number): string {
  const major = Math.floor(encoded / 1_000_000);
  const minor = Math.floor((encoded % 1_000_000) / 1_000);
  return `${major}.${minor}.${encoded % 1_000}`;
}
