/** The config file settings every daemon shares (libvirt's key names), their defaults, and the loader. */
import { readFileSync } from 'node:fs';
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { ErrorCode, ErrorDomain } from '../errors/error-codes.js';
import { VirError } from '../errors/vir-error.js';
import { parseLogFilters, type LogLevelNumber } from '../logging/log-manager.js';
import { LogLevelSchema } from '../protocol/admin.js';
import { describeValidationError, validatorFor } from '../protocol/validation.js';
import { configFileError, parseConfigText, type ConfigValue } from './config-file.js';

// One parser for log_filters, whether it comes from the config file or the admin socket.
export { parseLogFilters, type LogFilter } from '../logging/log-manager.js';

const GIB = 1024 * 1024 * 1024;
const MIB = 1024 * 1024;

const SocketPerms = (which: string) =>
  Type.String({ pattern: '^[0-7]{3,4}$', description: `Octal mode of the ${which} socket, e.g. "0660".` });
const KeepaliveInterval = Type.Integer({
  minimum: -1,
  description: 'Seconds between keepalive probes of a silent client; -1 disables keepalive.',
});
const KeepaliveCount = Type.Integer({
  minimum: 0,
  description: 'Probes left unanswered before the client is dropped.',
});

/** @since 0.1.0 */
export const DaemonConfigSchema = Type.Object(
  {
    unix_sock_group: Type.Optional(
      Type.String({ minLength: 1, description: "Group owning the sockets; unset keeps the daemon's own group." }),
    ),
    unix_sock_ro_perms: SocketPerms('read-only'),
    unix_sock_rw_perms: SocketPerms('read-write'),
    unix_sock_admin_perms: SocketPerms('admin'),
    unix_sock_dir: Type.Optional(
      Type.String({ pattern: '^/', description: 'Absolute directory for the sockets, instead of the run directory.' }),
    ),
    max_clients: Type.Integer({ minimum: 1, description: 'Connections accepted at once, over all sockets.' }),
    max_anonymous_clients: Type.Integer({
      minimum: 0,
      description: 'Accepted for libvirt compatibility; not enforced.',
    }),
    keepalive_interval: KeepaliveInterval,
    keepalive_count: KeepaliveCount,
    admin_keepalive_interval: KeepaliveInterval,
    admin_keepalive_count: KeepaliveCount,
    max_frame_size: Type.Integer({
      minimum: MIB,
      maximum: GIB,
      description: 'Largest frame accepted, in bytes; at least 1 MiB so that a 256 KiB stream chunk always fits.',
    }),
    // Unsafe narrows the static type to the level union while ajv still checks an integer range.
    log_level: Type.Unsafe<LogLevelNumber>({ ...LogLevelSchema, description: '1 debug, 2 info, 3 warning, 4 error.' }),
    log_filters: Type.String({ description: 'Per-module levels, libvirt syntax: "1:rpc 3:qemu 4:config".' }),
    log_outputs: Type.String({ description: 'Accepted for libvirt compatibility; not used yet.' }),
    timeout: Type.Integer({
      minimum: 0,
      description: 'Seconds idle with no clients before the daemon exits; 0 never.',
    }),
  },
  { additionalProperties: false },
);

/** @since 0.1.0 */
export type DaemonConfig = Static<typeof DaemonConfigSchema>;

/** @since 0.1.0 */
export const DEFAULT_DAEMON_CONFIG: Readonly<DaemonConfig> = Object.freeze({
  unix_sock_ro_perms: '0666',
  unix_sock_rw_perms: '0600',
  unix_sock_admin_perms: '0600',
  max_clients: 5000,
  max_anonymous_clients: 20,
  keepalive_interval: 5,
  keepalive_count: 5,
  admin_keepalive_interval: 5,
  admin_keepalive_count: 5,
  max_frame_size: 32 * 1024 * 1024,
  log_level: 3,
  log_filters: '',
  log_outputs: '',
  timeout: 0,
});

/** @since 0.1.0 */
export interface LoadDaemonConfigOptions {
  /** A daemon's own keys, merged over the shared ones; a property's `default` applies when the file omits it. */
  extraSchema?: TObject;
  /** Fail with OPEN_FAILED instead of using the defaults when the file does not exist. */
  mustExist?: boolean;
}

/**
 * Reads and validates a daemon's config file; a missing file means all defaults.
 * @since 0.1.0
 */
export function loadDaemonConfig(
  file: string,
  options: LoadDaemonConfigOptions = {},
): { config: DaemonConfig & Record<string, unknown>; fileFound: boolean } {
  const text = readConfigFile(file);
  if (text === undefined && options.mustExist) {
    const message = `cannot open configuration file '${file}': no such file`;
    throw new VirError(ErrorCode.OPEN_FAILED, ErrorDomain.CONF, message, { str1: file });
  }
  return { config: parseDaemonConfig(text ?? '', file, options.extraSchema), fileFound: text !== undefined };
}

function readConfigFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new VirError(
      ErrorCode.OPEN_FAILED,
      ErrorDomain.CONF,
      `cannot open configuration file '${file}': ${code ?? (err as Error).message}`,
      { str1: file },
    );
  }
}

/**
 * Validates each setting on its own, so an error names its line and key: an unknown
 * key is CONFIG_UNSUPPORTED, a bad value CONF_SYNTAX.
 * @since 0.1.0
 */
export function parseDaemonConfig(
  text: string,
  fileName: string,
  extraSchema?: TObject,
): DaemonConfig & Record<string, unknown> {
  // A Map, not the properties object, so keys like `constructor` are not found on its prototype.
  const schemas = new Map<string, TSchema>(
    Object.entries({ ...DaemonConfigSchema.properties, ...extraSchema?.properties }),
  );
  const config: Record<string, unknown> = { ...DEFAULT_DAEMON_CONFIG, ...defaultsOf(extraSchema) };
  for (const { key, value, line } of parseConfigText(text, fileName)) {
    const schema = schemas.get(key);
    if (!schema) throw configFileError(ErrorCode.CONFIG_UNSUPPORTED, fileName, line, `unknown setting '${key}'`, key);
    const problem = checkValue(key, value, schema);
    if (problem !== undefined) {
      throw configFileError(ErrorCode.CONF_SYNTAX, fileName, line, `invalid value for '${key}': ${problem}`, key);
    }
    config[key] = value;
  }
  return config as DaemonConfig & Record<string, unknown>;
}

function checkValue(key: string, value: ConfigValue, schema: TSchema): string | undefined {
  const validate = validatorFor(schema);
  // A scalar's instance path is a bare '/', which would only clutter the message.
  if (!validate(value)) return describeValidationError(validate).replace(/^\/ /, '');
  if (key === 'log_filters' && typeof value === 'string') {
    try {
      parseLogFilters(value);
    } catch (err) {
      if (!(err instanceof VirError)) throw err;
      return err.message;
    }
  }
  return undefined;
}

function defaultsOf(schema: TObject | undefined): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(schema?.properties ?? {})) {
    // Cloned so that one load's config cannot alter the defaults of the next.
    if (property.default !== undefined) defaults[key] = structuredClone(property.default);
  }
  return defaults;
}
