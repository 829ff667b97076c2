/** Parsing and formatting of libvirt URIs: `driver[+transport]://[user@][host][:port]/path[?params]`. */
import { isIPv6 } from 'node:net';
import { ErrorCode, ErrorDomain } from '../errors/error-codes.js';
import { VirError } from '../errors/vir-error.js';

/** @since 0.1.0 */
export const URI_TRANSPORTS = ['unix', 'tls', 'tcp', 'ssh', 'libssh', 'libssh2', 'ext'] as const;
export type URITransport = (typeof URI_TRANSPORTS)[number];

/** A URI split into parts, every part already percent-decoded. @since 0.1.0 */
export interface ParsedURI {
  /** Scheme before any `+transport`, lower-cased; not checked against known drivers here. */
  driver: string;
  transport?: URITransport;
  user?: string;
  /** Without brackets, also for IPv6 literals. */
  host?: string;
  port?: number;
  /** `/system`, `/session`, ... or `''` when the URI has no path. */
  path: string;
  params: Record<string, string>;
}

// Control characters and spaces are never valid unencoded, and echoing them raw in
// an error message would garble terminals and logs.
const FORBIDDEN_RAW = /[\x00-\x20\x7f]/;
const CONTROL = /[\x00-\x1f\x7f]/;
const SCHEME = /^[a-z][a-z0-9.-]*$/;
const HOSTNAME = /^[A-Za-z0-9._~-]+$/;
const ZONE = /^[A-Za-z0-9._~-]+$/;

/** Quotes user input for a message, escaping what would otherwise be invisible. */
export function quoteURI(text: string): string {
  const escaped = text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `'${escaped}'`;
}

function invalid(text: string, reason: string): VirError {
  return new VirError(ErrorCode.INVALID_ARG, ErrorDomain.URI, `invalid URI ${quoteURI(text)}: ${reason}`, {
    str1: text,
  });
}

/** @since 0.1.0 */
export function isURITransport(value: string): value is URITransport {
  return (URI_TRANSPORTS as readonly string[]).includes(value);
}

/** @since 0.1.0 */
export function parseURI(text: string): ParsedURI {
  if (text === '') throw invalid(text, 'empty URI');
  const bad = FORBIDDEN_RAW.exec(text);
  if (bad) {
    const what = bad[0] === ' ' ? 'a space (percent-encode it as %20)' : 'a control character';
    throw invalid(text, `contains ${what} at offset ${bad.index}`);
  }
  const sep = text.indexOf('://');
  if (sep < 0) throw invalid(text, "missing '://'");
  if (text.includes('#')) throw invalid(text, 'fragments are not supported');

  const { driver, transport } = parseScheme(text, text.slice(0, sep));
  const rest = text.slice(sep + 3);
  const q = rest.indexOf('?');
  const beforeQuery = q < 0 ? rest : rest.slice(0, q);
  const slash = beforeQuery.indexOf('/');
  const authority = slash < 0 ? beforeQuery : beforeQuery.slice(0, slash);
  const rawPath = slash < 0 ? '' : beforeQuery.slice(slash);

  const uri: ParsedURI = { driver, path: decode(text, rawPath, 'path'), params: {} };
  if (transport !== undefined) uri.transport = transport;
  parseAuthority(text, authority, uri);
  if (q >= 0) uri.params = parseParams(text, rest.slice(q + 1));
  return uri;
}

function parseScheme(text: string, scheme: string): { driver: string; transport?: URITransport } {
  if (scheme === '') throw invalid(text, 'missing scheme');
  const plus = scheme.indexOf('+');
  // Schemes are case-insensitive (RFC 3986 §3.1); lower-casing keeps driver lookups simple.
  const driver = (plus < 0 ? scheme : scheme.slice(0, plus)).toLowerCase();
  if (driver === '') throw invalid(text, "missing driver name before '+'");
  if (!SCHEME.test(driver)) throw invalid(text, `bad driver name '${driver}'`);
  if (plus < 0) return { driver };
  const transport = scheme.slice(plus + 1).toLowerCase();
  if (transport === '') throw invalid(text, "missing transport after '+'");
  if (!isURITransport(transport)) {
    throw invalid(text, `unknown transport '${transport}' (use one of ${URI_TRANSPORTS.join(', ')})`);
  }
  return { driver, transport };
}

function parseAuthority(text: string, authority: string, uri: ParsedURI): void {
  if (authority === '') return;
  let hostPort = authority;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const user = decode(text, authority.slice(0, at), 'user name');
    if (user === '') throw invalid(text, "empty user name before '@'");
    uri.user = user;
    hostPort = authority.slice(at + 1);
  }

  let host: string;
  let portText: string | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) throw invalid(text, "unterminated '[' in host");
    host = parseIPv6(text, hostPort.slice(1, close));
    const after = hostPort.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw invalid(text, `unexpected '${after}' after ']'`);
    if (after !== '') portText = after.slice(1);
  } else {
    const colon = hostPort.indexOf(':');
    host = colon < 0 ? hostPort : hostPort.slice(0, colon);
    if (colon >= 0) portText = hostPort.slice(colon + 1);
    if (portText?.includes(':')) throw invalid(text, 'an IPv6 address must be in brackets, as in [::1]');
    if (host !== '' && !HOSTNAME.test(host)) throw invalid(text, `bad host name '${host}'`);
  }

  if (host === '') {
    // `user@` or `:port` alone would be silently ignored by a local connection; refuse.
    if (uri.user !== undefined) throw invalid(text, 'user name given without a host');
    if (portText !== undefined) throw invalid(text, 'port given without a host');
    return;
  }
  uri.host = host;
  if (portText !== undefined) uri.port = parsePort(text, portText);
}

function parseIPv6(text: string, inside: string): string {
  // A zone id is written `%25zone` inside brackets (RFC 6874).
  const pct = inside.indexOf('%25');
  const addr = pct < 0 ? inside : inside.slice(0, pct);
  const zone = pct < 0 ? undefined : inside.slice(pct + 3);
  if (!isIPv6(addr)) throw invalid(text, `bad IPv6 address '${addr}'`);
  if (zone === undefined) return addr;
  if (!ZONE.test(zone)) throw invalid(text, `bad IPv6 zone '${zone}'`);
  return `${addr}%${zone}`;
}

function parsePort(text: string, portText: string): number {
  if (!/^[0-9]{1,5}$/.test(portText)) throw invalid(text, `bad port '${portText}'`);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw invalid(text, `bad port '${portText}': must be 1-65535`);
  return port;
}

function parseParams(text: string, query: string): Record<string, string> {
  // A null-prototype object so that keys like `__proto__` are plain data.
  const params = Object.create(null) as Record<string, string>;
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decode(text, eq < 0 ? pair : pair.slice(0, eq), 'parameter name');
    const value = eq < 0 ? '' : decode(text, pair.slice(eq + 1), `parameter '${key}'`);
    if (key === '') throw invalid(text, "empty parameter name before '='");
    // Last-wins would let an appended `&socket=` silently redirect a connection.
    if (Object.hasOwn(params, key)) throw invalid(text, `duplicate parameter '${key}'`);
    params[key] = value;
  }
  return { ...params };
}

function decode(text: string, raw: string, what: string): string {
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch {
    throw invalid(text, `bad percent-encoding in ${what}`);
  }
  if (CONTROL.test(value)) throw invalid(text, `${what} contains a control character`);
  return value;
}

// Characters left as-is per component (RFC 3986 unreserved plus the sub-delims each
// component allows); everything else is percent-encoded so the text parses back.
const KEEP_USER = /[A-Za-z0-9\-._~!$&'()*+,;=:]/;
const KEEP_PATH = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/;
const KEEP_QUERY = /[A-Za-z0-9\-._~!$'()*,;:@/]/;

function encode(value: string, keep: RegExp): string {
  let out = '';
  for (const ch of value) {
    if (keep.test(ch)) out += ch;
    else {
      try {
        out += encodeURIComponent(ch);
      } catch {
        throw new VirError(
          ErrorCode.INVALID_ARG,
          ErrorDomain.URI,
          `cannot format URI: lone surrogate in ${quoteURI(value)}`,
        );
      }
    }
  }
  return out;
}

/**
 * Inverse of parseURI: `parseURI(formatURI(u))` equals `u`, and canonical text
 * (lower-case scheme, no empty or valueless params) comes back byte-identical.
 * @since 0.1.0
 */
export function formatURI(uri: ParsedURI): string {
  let out = uri.driver + (uri.transport === undefined ? '' : `+${uri.transport}`) + '://';
  if (uri.user !== undefined) out += `${encode(uri.user, KEEP_USER)}@`;
  if (uri.host !== undefined) out += uri.host.includes(':') ? `[${uri.host.replace('%', '%25')}]` : uri.host;
  if (uri.port !== undefined) out += `:${uri.port}`;
  out += encode(uri.path, KEEP_PATH);
  const query = Object.entries(uri.params)
    .map(([k, v]) => `${encode(k, KEEP_QUERY)}=${encode(v, KEEP_QUERY)}`)
    .join('&');
  if (query !== '') out += `?${query}`;
  return out;
}

/** True when the URI names this machine over a Unix socket. @since 0.1.0 */
export function isLocalURI(uri: ParsedURI): boolean {
  return uri.host === undefined && (uri.transport === undefined || uri.transport === 'unix');
}
