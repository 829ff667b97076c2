/**
 * Error numbering, mirroring libvirt's virErrorNumber and virErrorDomain so that
 * callers who know libvirt's codes can branch on the same numbers.
 * Append-only: a number is never reused or renumbered (test/wire-table.test.ts).
 */

/** @since 0.1.0 */
export const ErrorCode = {
  OK: 0,
  INTERNAL_ERROR: 1,
  NO_MEMORY: 2,
  NO_SUPPORT: 3,
  UNKNOWN_HOST: 4,
  NO_CONNECT: 5,
  INVALID_CONN: 6,
  INVALID_DOMAIN: 7,
  INVALID_ARG: 8,
  OPERATION_FAILED: 9,
  OS_TYPE: 16,
  NO_KERNEL: 17,
  NO_SOURCE: 19,
  NO_TARGET: 20,
  NO_NAME: 21,
  NO_OS: 22,
  NO_DEVICE: 23,
  XML_ERROR: 27,
  DOM_EXIST: 28,
  OPERATION_DENIED: 29,
  OPEN_FAILED: 30,
  READ_FAILED: 31,
  PARSE_FAILED: 32,
  CONF_SYNTAX: 33,
  WRITE_FAILED: 34,
  XML_DETAIL: 35,
  INVALID_NETWORK: 36,
  NETWORK_EXIST: 37,
  SYSTEM_ERROR: 38,
  RPC: 39,
  GNUTLS_ERROR: 40,
  NO_DOMAIN: 42,
  NO_NETWORK: 43,
  INVALID_MAC: 44,
  AUTH_FAILED: 45,
  INVALID_STORAGE_POOL: 46,
  INVALID_STORAGE_VOL: 47,
  NO_STORAGE_POOL: 49,
  NO_STORAGE_VOL: 50,
  INVALID_NODE_DEVICE: 52,
  NO_NODE_DEVICE: 53,
  OPERATION_INVALID: 55,
  BUILD_FIREWALL: 63,
  INVALID_SECRET: 65,
  NO_SECRET: 66,
  CONFIG_UNSUPPORTED: 67,
  OPERATION_TIMEOUT: 68,
  INVALID_STREAM: 73,
  ARGUMENT_UNSUPPORTED: 74,
  STORAGE_PROBE_FAILED: 75,
  STORAGE_POOL_BUILT: 76,
  OPERATION_ABORTED: 78,
  AUTH_CANCELLED: 79,
  NO_DOMAIN_METADATA: 80,
  OVERFLOW: 82,
  OPERATION_UNSUPPORTED: 84,
  AGENT_UNRESPONSIVE: 86,
  RESOURCE_BUSY: 87,
  ACCESS_DENIED: 88,
  STORAGE_VOL_EXIST: 90,
  CPU_INCOMPATIBLE: 91,
  XML_INVALID_SCHEMA: 92,
  AUTH_UNAVAILABLE: 94,
  NO_SERVER: 95,
  NO_CLIENT: 96,
  DEVICE_MISSING: 99,
  INVALID_NETWORK_PORT: 105,
  NETWORK_PORT_EXIST: 106,
  NO_NETWORK_PORT: 107,
  NO_HOSTNAME: 108,
  MULTIPLE_DOMAINS: 110,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Which part of the system raised an error. @since 0.1.0 */
export const ErrorDomain = {
  NONE: 0,
  XML: 5,
  DOM: 6,
  RPC: 7,
  CONF: 9,
  QEMU: 10,
  NET: 11,
  REMOTE: 13,
  STORAGE: 18,
  NETWORK: 19,
  DOMAIN: 20,
  NODEDEV: 22,
  SECURITY: 24,
  SECRET: 30,
  CPU: 31,
  STREAMS: 38,
  EVENT: 40,
  CAPABILITIES: 44,
  URI: 45,
  AUTH: 46,
  DEVICE: 49,
  ACCESS: 55,
  SYSTEMD: 56,
  FIREWALL: 59,
  ADMIN: 62,
  LOGGING: 63,
  TPM: 70,
} as const;
export type ErrorDomain = (typeof ErrorDomain)[keyof typeof ErrorDomain];

/** @since 0.1.0 */
export const ErrorLevel = { NONE: 0, WARNING: 1, ERROR: 2 } as const;
export type ErrorLevel = (typeof ErrorLevel)[keyof typeof ErrorLevel];

const codeNames = new Map<number, string>(Object.entries(ErrorCode).map(([k, v]) => [v, k]));
const domainNames = new Map<number, string>(Object.entries(ErrorDomain).map(([k, v]) => [v, k]));

export function errorCodeName(code: number): string {
  return codeNames.get(code) ?? `ERROR_${code}`;
}

export function errorDomainName(domain: number): string {
  return domainNames.get(domain) ?? `DOMAIN_${domain}`;
}
