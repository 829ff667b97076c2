/** Parser for libvirt's `key = value` config file syntax (libvirtd.conf, virtqemud.conf); pure, no I/O. */
import { ErrorCode, ErrorDomain } from '../errors/error-codes.js';
import { VirError } from '../errors/vir-error.js';

/** @since 0.1.0 */
export type ConfigValue = string | number | ConfigValue[];

/** @since 0.1.0 */
export interface ConfigEntry {
  key: string;
  value: ConfigValue;
  /** 1-based line of the key, for error messages. */
  line: number;
}

const MESSAGE_PREFIX = {
  [ErrorCode.CONF_SYNTAX]: 'configuration file syntax error',
  [ErrorCode.CONFIG_UNSUPPORTED]: 'unsupported configuration',
} as const;

/**
 * An error located in a config file: `str1` is the file, `int1` the line and `str2`
 * the key when known, so callers need not parse the message.
 * @since 0.1.0
 */
export function configFileError(
  code: keyof typeof MESSAGE_PREFIX,
  fileName: string,
  line: number,
  detail: string,
  key?: string,
): VirError {
  return new VirError(code, ErrorDomain.CONF, `${MESSAGE_PREFIX[code]}: ${fileName}:${line}: ${detail}`, {
    str1: fileName,
    int1: line,
    str2: key,
  });
}

/**
 * Parses a whole config file. Throws CONF_SYNTAX naming file, line and key on the
 * first error; a key set twice is an error, as a silent override hides typos.
 * @since 0.1.0
 */
export function parseConfigText(text: string, fileName: string): ConfigEntry[] {
  return new Parser(text, fileName).parse();
}

const KEY = /[A-Za-z_][A-Za-z0-9_]*/y;
// Anything up to a separator: a bare word is read whole so the error can quote it.
const BARE_TOKEN = /[^\s#,[\]'"=]+/y;
const INTEGER = /^-?[0-9]+$/;
// What may follow a key; anything else means the name itself is malformed, e.g. `log-level`.
const KEY_END = /[\s=#]/;
const SPACE = new Set([' ', '\t', '\r']);

class Parser {
  private pos = 0;
  private line = 1;

  constructor(
    private readonly text: string,
    private readonly fileName: string,
  ) {}

  parse(): ConfigEntry[] {
    const entries: ConfigEntry[] = [];
    const firstLine = new Map<string, number>();
    for (;;) {
      this.skipBlankLines();
      if (this.atEnd()) return entries;
      const entry = this.parseEntry();
      const earlier = firstLine.get(entry.key);
      if (earlier !== undefined) {
        throw this.error(`duplicate setting '${entry.key}' (already set on line ${earlier})`, entry.key, entry.line);
      }
      firstLine.set(entry.key, entry.line);
      entries.push(entry);
    }
  }

  private parseEntry(): ConfigEntry {
    const line = this.line;
    const key = this.match(KEY);
    if (key === undefined) throw this.error(`expected a setting name, found '${this.nextToken()}'`);
    const next = this.peek();
    if (next !== undefined && !KEY_END.test(next)) {
      throw this.error(`invalid setting name '${key}${this.match(/[^\s=#]*/y) ?? ''}'`);
    }
    this.skipSpaces();
    if (this.peek() !== '=') throw this.error(`expected '=' after key '${key}'`, key);
    this.pos++;
    this.skipSpaces();
    const value = this.parseValue(key, "after '='");
    this.skipSpaces();
    this.skipComment();
    if (!this.atEnd() && this.peek() !== '\n') {
      throw this.error(`unexpected '${this.nextToken()}' after the value of key '${key}'`, key);
    }
    return { key, value, line };
  }

  private parseValue(key: string, where: string): ConfigValue {
    const c = this.peek();
    if (c === '"' || c === "'") return this.parseString(key, c);
    if (c === '[') return this.parseList(key);
    const token = this.match(BARE_TOKEN);
    if (token === undefined) throw this.error(`expected a value ${where} for key '${key}'`, key);
    if (!INTEGER.test(token)) {
      throw this.error(
        `invalid value '${token}' for key '${key}': expected an integer, a quoted string or a list`,
        key,
      );
    }
    const value = Number(token);
    if (!Number.isSafeInteger(value)) throw this.error(`integer '${token}' out of range for key '${key}'`, key);
    return value;
  }

  private parseString(key: string, quote: '"' | "'"): string {
    this.pos++;
    let value = '';
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '\n') throw this.error(`unterminated string for key '${key}'`, key);
      this.pos++;
      if (c === quote) return value;
      const escaped = this.peek();
      // Only \" and \\ are escapes; any other backslash stays literal, as libvirt has none at all.
      if (quote === '"' && c === '\\' && (escaped === '"' || escaped === '\\')) {
        value += escaped;
        this.pos++;
      } else {
        value += c;
      }
    }
  }

  private parseList(key: string): ConfigValue[] {
    const openLine = this.line;
    this.pos++;
    const items: ConfigValue[] = [];
    for (;;) {
      this.skipBlankLines();
      if (this.atEnd()) throw this.error(`unterminated list for key '${key}'`, key, openLine);
      if (this.peek() === ']') {
        this.pos++;
        return items;
      }
      items.push(this.parseValue(key, 'in the list'));
      this.skipBlankLines();
      if (this.atEnd()) throw this.error(`unterminated list for key '${key}'`, key, openLine);
      if (this.peek() === ',') this.pos++;
      else if (this.peek() !== ']') {
        throw this.error(`expected ',' or ']' in the list for key '${key}', found '${this.nextToken()}'`, key);
      }
    }
  }

  private match(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const found = re.exec(this.text)?.[0];
    if (found !== undefined) this.pos += found.length;
    return found;
  }

  private nextToken(): string {
    return /\S*/y.exec(this.text.slice(this.pos))?.[0] ?? '';
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  private skipSpaces(): void {
    while (SPACE.has(this.peek() ?? '')) this.pos++;
  }

  private skipComment(): void {
    if (this.peek() !== '#') return;
    const eol = this.text.indexOf('\n', this.pos);
    this.pos = eol === -1 ? this.text.length : eol;
  }

  /** Skips spaces, comments and newlines: between entries, and inside lists, which may span lines. */
  private skipBlankLines(): void {
    for (;;) {
      this.skipSpaces();
      this.skipComment();
      if (this.peek() !== '\n') return;
      this.pos++;
      this.line++;
    }
  }

  private error(detail: string, key?: string, line = this.line): VirError {
    return configFileError(ErrorCode.CONF_SYNTAX, this.fileName, line, detail, key);
  }
}
