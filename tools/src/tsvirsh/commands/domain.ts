/**
 * Domain commands with virsh's options, output and error lines: define, undefine,
 * list, dominfo, domstate, domid, domuuid, domname, dumpxml, autostart, event, and the
 * lifecycle ones: start, create, destroy, shutdown, reboot, reset, suspend, resume; setmem and
 * vncdisplay.
 * A DOMAIN argument is an id, a uuid or a name, tried in that order as virsh does.
 */
import { readFileSync } from 'node:fs';
import {
  DomainEventType,
  DomainState,
  ErrorCode,
  VirError,
  defineDomain,
  domainLifecycle,
  getDomainAutostart,
  getDomainInfo,
  getDomainOSType,
  getDomainState,
  getDomainXML,
  isDomainPersistent,
  listAllDomains,
  listAllDomainsWithTitles,
  lookupDomain,
  rebootDomain,
  setDomainMemory,
  isDomainActive,
  setDomainAutostart,
  undefineDomain,
  startDomain,
  createDomainXML,
  destroyDomain,
  shutdownDomain,
  resetDomain,
  suspendDomain,
  resumeDomain,
  type Connection,
  type DomainListFlags,
  type DomainRef,
} from '@tsvirt/client';
import type { CommandDecl, OptionDecl } from '../command.js';
import { CommandError, messageOf } from '../errors.js';

/** virshDomainStateToString. */
const STATE_NAMES: Record<number, string> = {
  [DomainState.NOSTATE]: 'no state',
  [DomainState.RUNNING]: 'running',
  [DomainState.BLOCKED]: 'idle',
  [DomainState.PAUSED]: 'paused',
  [DomainState.SHUTDOWN]: 'in shutdown',
  [DomainState.SHUTOFF]: 'shut off',
  [DomainState.CRASHED]: 'crashed',
  [DomainState.PMSUSPENDED]: 'pmsuspended',
};

/** virshDomainStateReasonToString, for the states that have reasons so far. */
const REASON_NAMES: Record<number, readonly string[]> = {
  [DomainState.RUNNING]: [
    'unknown',
    'booted',
    'migrated',
    'restored',
    'from snapshot',
    'unpaused',
    'migration canceled',
    'save canceled',
    'event wakeup',
    'crashed',
    'post-copy',
    'post-copy failed',
  ],
  [DomainState.PAUSED]: [
    'unknown',
    'user',
    'migrating',
    'saving',
    'dumping',
    'I/O error',
    'watchdog',
    'from snapshot',
    'shutting down',
    'creating snapshot',
    'crashed',
    'starting up',
    'post-copy',
    'post-copy failed',
    'api error',
  ],
  [DomainState.SHUTDOWN]: ['unknown', 'user'],
  [DomainState.SHUTOFF]: [
    'unknown',
    'shutdown',
    'destroyed',
    'crashed',
    'migrated',
    'saved',
    'failed',
    'from snapshot',
    'daemon',
  ],
};

/** virshDomainEventToString and virshDomainEventDetailToString. */
const EVENT_NAMES = [
  'Defined',
  'Undefined',
  'Started',
  'Suspended',
  'Resumed',
  'Stopped',
  'Shutdown',
  'PMSuspended',
  'Crashed',
];
const EVENT_DETAILS: Record<number, readonly string[]> = {
  [DomainEventType.DEFINED]: ['Added', 'Updated', 'Renamed', 'Snapshot'],
  [DomainEventType.UNDEFINED]: ['Removed', 'Renamed'],
  [DomainEventType.STARTED]: ['Booted', 'Migrated', 'Restored', 'Snapshot', 'Event wakeup'],
  [DomainEventType.SUSPENDED]: [
    'Paused',
    'Migrated',
    'I/O Error',
    'Watchdog',
    'Restored',
    'Snapshot',
    'API error',
    'Post-copy',
    'Post-copy Error',
  ],
  [DomainEventType.RESUMED]: ['Unpaused', 'Migrated', 'Snapshot', 'Post-copy', 'Post-copy Error'],
  [DomainEventType.STOPPED]: ['Shutdown', 'Destroyed', 'Crashed', 'Migrated', 'Saved', 'Failed', 'Snapshot'],
  [DomainEventType.SHUTDOWN]: ['Finished', 'Finished after guest request', 'Finished after host request'],
  [DomainEventType.PMSUSPENDED]: ['Memory', 'Disk'],
  [DomainEventType.CRASHED]: ['Core Dumped'],
};

export const stateName = (state: number): string => STATE_NAMES[state] ?? 'no state';
export const reasonName = (state: number, reason: number): string => REASON_NAMES[state]?.[reason] ?? 'unknown';
export const eventName = (event: number): string => EVENT_NAMES[event] ?? 'unknown';
export const eventDetailName = (event: number, detail: number): string => EVENT_DETAILS[event]?.[detail] ?? 'unknown';

/** The text libvirt puts before a message of this code, as virsh shows it. */
const CODE_PREFIX: Partial<Record<number, string>> = {
  [ErrorCode.NO_DOMAIN]: 'Domain not found: ',
  [ErrorCode.INVALID_ARG]: 'invalid argument: ',
  [ErrorCode.OPERATION_INVALID]: 'Requested operation is not valid: ',
  [ErrorCode.OPERATION_FAILED]: 'operation failed: ',
  [ErrorCode.CONFIG_UNSUPPORTED]: 'unsupported configuration: ',
  [ErrorCode.ARGUMENT_UNSUPPORTED]: 'argument unsupported: ',
};

/** An error as virsh prints libvirt's: with the prefix of its code. */
export function describeError(err: unknown): string {
  if (err instanceof VirError) return `${CODE_PREFIX[err.code] ?? ''}${err.message}`;
  return messageOf(err);
}

/** `error: <first>` then `error: <the reason>`. */
function failure(first: string, err: unknown): CommandError {
  return new CommandError(first, describeError(err));
}

const DOMAIN_OPTION: OptionDecl = {
  name: 'domain',
  type: 'string',
  required: true,
  positional: true,
  help: 'domain name, id or uuid',
};

/**
 * virsh's virshCommandOptDomain: the DOMAIN argument, or `failed to get domain 'x'`. virsh 9
 * prints that line alone when the domain does not exist; any other failure (a lost
 * connection, a denied call) follows it with its own line.
 */
export async function domainArg(conn: Connection, text: string): Promise<DomainRef> {
  try {
    return await lookupDomain(conn, text);
  } catch (err) {
    const first = `failed to get domain '${text}'`;
    if (err instanceof VirError && err.code === ErrorCode.NO_DOMAIN) throw new CommandError(first);
    throw failure(first, err);
  }
}

async function resolve(ctx: Parameters<CommandDecl['run']>[0]): Promise<{ conn: Connection; dom: DomainRef }> {
  const conn = await ctx.connection();
  return { conn, dom: await domainArg(conn, ctx.args.string('domain') ?? '') };
}

const define: CommandDecl = {
  name: 'define',
  group: 'domain',
  summary: "define (but don't start) a domain from an XML file",
  description: 'Define a domain.',
  options: [
    {
      name: 'file',
      type: 'string',
      required: true,
      positional: true,
      help: 'file containing an XML domain description',
    },
  ],
  async run({ args, out, connection }) {
    const file = args.string('file') ?? '';
    let xml: string;
    try {
      xml = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CommandError(`Failed to open file '${file}': ${(err as NodeJS.ErrnoException).code ?? messageOf(err)}`);
    }
    const conn = await connection();
    try {
      const { name } = await defineDomain(conn, xml);
      out.print(`Domain '${name}' defined from ${file}\n`);
    } catch (err) {
      throw failure(`Failed to define domain from ${file}`, err);
    }
  },
};

const undefine: CommandDecl = {
  name: 'undefine',
  group: 'domain',
  summary: 'undefine a domain',
  description: 'Undefine an inactive domain, or convert persistent to transient.',
  options: [
    DOMAIN_OPTION,
    { name: 'nvram', type: 'bool', help: 'remove nvram file' },
    { name: 'keep-nvram', type: 'bool', help: 'keep nvram file' },
  ],
  async run(ctx) {
    const { conn, dom } = await resolve(ctx);
    try {
      await undefineDomain(conn, dom.uuid, { nvram: ctx.args.bool('nvram'), keepNvram: ctx.args.bool('keep-nvram') });
    } catch (err) {
      throw failure(`Failed to undefine domain '${dom.name}'`, err);
    }
    ctx.out.print(`Domain '${dom.name}' has been undefined\n`);
  },
};

/** virsh's vshTable: a leading space per cell, columns padded to width + 2, dashes of width + 3. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): { head: string; body: string } {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `${cells.map((c, i) => (i < cells.length - 1 ? ` ${c}${' '.repeat((widths[i] ?? 0) - c.length + 2)}` : ` ${c}`)).join('')}\n`;
  const dashes = `${'-'.repeat(widths.reduce((sum, w) => sum + w + 3, 0))}\n`;
  return { head: line(header) + dashes, body: rows.map(line).join('') };
}

const list: CommandDecl = {
  name: 'list',
  group: 'monitor',
  summary: 'list domains',
  description: 'Returns list of domains.',
  options: [
    { name: 'inactive', type: 'bool', help: 'list inactive domains' },
    { name: 'all', type: 'bool', help: 'list inactive & active domains' },
    { name: 'transient', type: 'bool', help: 'list transient domains' },
    { name: 'persistent', type: 'bool', help: 'list persistent domains' },
    { name: 'autostart', type: 'bool', help: 'list domains with autostart enabled' },
    { name: 'no-autostart', type: 'bool', help: 'list domains with autostart disabled' },
    { name: 'uuid', type: 'bool', help: "list uuid's only" },
    { name: 'name', type: 'bool', help: 'list domain names only' },
    { name: 'title', type: 'bool', help: 'show domain title' },
  ],
  async run({ args, out, connection }) {
    const conn = await connection();
    const all = args.bool('all');
    const flags: DomainListFlags = {};
    if (!all) {
      if (args.bool('inactive')) flags.inactive = true;
      else flags.active = true;
    }
    if (args.bool('persistent')) flags.persistent = true;
    if (args.bool('transient')) flags.transient = true;
    if (args.bool('autostart')) flags.autostart = true;
    if (args.bool('no-autostart')) flags.noAutostart = true;
    const withTitle = args.bool('title');
    let domains: Array<DomainRef & { title?: string }>;
    try {
      domains = withTitle ? await listAllDomainsWithTitles(conn, flags) : await listAllDomains(conn, flags);
    } catch (err) {
      throw failure('Failed to list domains', err);
    }
    // virsh lists running domains by id first, then the inactive ones by name
    domains.sort((a, b) => (a.id < 0 ? Infinity : a.id) - (b.id < 0 ? Infinity : b.id) || (a.name < b.name ? -1 : 1));
    const byName = args.bool('name');
    const byUuid = args.bool('uuid');
    if (byName || byUuid) {
      for (const dom of domains) {
        if (byName && byUuid) out.print(`${dom.uuid}  ${dom.name}\n`);
        else out.print(`${byName ? dom.name : dom.uuid}\n`);
      }
      return;
    }
    const rows: string[][] = [];
    for (const dom of domains) {
      const { state } = await getDomainState(conn, dom.uuid);
      const row = [dom.id < 0 ? '-' : String(dom.id), dom.name, stateName(state)];
      // virsh shows only the first line of a title
      if (withTitle) row.push((dom.title ?? '').split('\n')[0] ?? '');
      rows.push(row);
    }
    const table = formatTable(withTitle ? ['Id', 'Name', 'State', 'Title'] : ['Id', 'Name', 'State'], rows);
    out.extra(table.head);
    out.print(table.body);
  },
};

const dominfo: CommandDecl = {
  name: 'dominfo',
  group: 'monitor',
  summary: 'domain information',
  description: 'Returns basic information about the domain.',
  options: [DOMAIN_OPTION],
  async run(ctx) {
    const { conn, dom } = await resolve(ctx);
    const row = (key: string, value: string): void => ctx.out.print(`${key.padEnd(15)} ${value}\n`);
    const [info, osType, persistent, autostart] = await Promise.all([
      getDomainInfo(conn, dom.uuid),
      getDomainOSType(conn, dom.uuid),
      isDomainPersistent(conn, dom.uuid),
      getDomainAutostart(conn, dom.uuid),
    ]);
    row('Id:', dom.id < 0 ? '-' : String(dom.id));
    row('Name:', dom.name);
    row('UUID:', dom.uuid);
    row('OS Type:', osType);
    row('State:', stateName(info.state));
    row('CPU(s):', String(info.nrVirtCpu));
    if (info.cpuTimeNs !== 0) row('CPU time:', `${(info.cpuTimeNs / 1e9).toFixed(1)}s`);
    row('Max memory:', `${info.maxMemKiB} KiB`);
    row('Used memory:', `${info.memKiB} KiB`);
    row('Persistent:', persistent ? 'yes' : 'no');
    row('Autostart:', autostart ? 'enable' : 'disable');
    row('Managed save:', 'no');
    row('Security model:', 'none');
    row('Security DOI:', '0');
  },
};

const domstate: CommandDecl = {
  name: 'domstate',
  group: 'monitor',
  summary: 'domain state',
  description: 'Returns state about a domain.',
  options: [DOMAIN_OPTION, { name: 'reason', type: 'bool', help: 'also print reason for the state' }],
  async run(ctx) {
    const { conn, dom } = await resolve(ctx);
    const { state, reason } = await getDomainState(conn, dom.uuid);
    const text = ctx.args.bool('reason') ? `${stateName(state)} (${reasonName(state, reason)})` : stateName(state);
    ctx.out.print(`${text}\n`);
  },
};

const domid: CommandDecl = {
  name: 'domid',
  group: 'domain',
  summary: 'convert a domain name or UUID to domain id',
  options: [{ ...DOMAIN_OPTION, help: 'domain name or uuid' }],
  async run(ctx) {
    const { dom } = await resolve(ctx);
    ctx.out.print(`${dom.id < 0 ? '-' : dom.id}\n`);
  },
};

const domuuid: CommandDecl = {
  name: 'domuuid',
  group: 'domain',
  summary: 'convert a domain name or id to domain UUID',
  options: [{ ...DOMAIN_OPTION, help: 'domain id or name' }],
  async run(ctx) {
    ctx.out.print(`${(await resolve(ctx)).dom.uuid}\n`);
  },
};

const domname: CommandDecl = {
  name: 'domname',
  group: 'domain',
  summary: 'convert a domain id or UUID to domain name',
  options: [{ ...DOMAIN_OPTION, help: 'domain id or uuid' }],
  async run(ctx) {
    ctx.out.print(`${(await resolve(ctx)).dom.name}\n`);
  },
};

const dumpxml: CommandDecl = {
  name: 'dumpxml',
  group: 'domain',
  summary: 'domain information in XML',
  description: 'Output the domain information as an XML dump to stdout.',
  options: [DOMAIN_OPTION, { name: 'inactive', type: 'bool', help: 'show inactive defined XML' }],
  async run(ctx) {
    const { conn, dom } = await resolve(ctx);
    const xml = await getDomainXML(conn, dom.uuid, { inactive: ctx.args.bool('inactive') });
    ctx.out.print(xml.endsWith('\n') ? xml : `${xml}\n`);
  },
};

const autostart: CommandDecl = {
  name: 'autostart',
  group: 'domain',
  summary: 'autostart a domain',
  description: 'Configure a domain to be automatically started at boot.',
  options: [DOMAIN_OPTION, { name: 'disable', type: 'bool', help: 'disable autostarting' }],
  async run(ctx) {
    const { conn, dom } = await resolve(ctx);
    const enable = !ctx.args.bool('disable');
    try {
      await setDomainAutostart(conn, dom.uuid, enable);
    } catch (err) {
      throw failure(`Failed to ${enable ? 'mark' : 'unmark'} domain '${dom.name}' as autostarted`, err);
    }
    ctx.out.print(`Domain '${dom.name}' ${enable ? 'marked' : 'unmarked'} as autostarted\n`);
  },
};

/** `2026-11-23 15:04:05.123+0000`, virsh's --timestamp format. */
function timestamp(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}+0000`;
}

const event: CommandDecl = {
  name: 'event',
  group: 'events',
  summary: 'Domain Events',
  description: 'List event types, or wait for domain events to occur',
  options: [
    { name: 'domain', type: 'string', help: 'filter by domain name, id or uuid' },
    { name: 'event', type: 'string', help: 'which event type to wait for' },
    { name: 'all', type: 'bool', help: 'wait for all events instead of just one type' },
    { name: 'loop', type: 'bool', help: 'loop until timeout or interrupt, rather than one-shot' },
    { name: 'timeout', type: 'number', help: 'timeout seconds' },
    { name: 'list', type: 'bool', help: 'list valid event types' },
    { name: 'timestamp', type: 'bool', help: 'show timestamp for each printed event' },
  ],
  async run({ args, out, connection }) {
    if (args.bool('list')) {
      out.print('lifecycle\n');
      return;
    }
    const kind = args.string('event');
    if (kind === undefined && !args.bool('all')) {
      throw new CommandError('one of --list, --all, or --event <type> is required');
    }
    if (kind !== undefined && kind !== 'lifecycle') throw new CommandError(`unknown event type ${kind}`);
    const timeoutSeconds = args.number('timeout');
    if (timeoutSeconds !== undefined && timeoutSeconds <= 0) {
      throw new CommandError('timeout must be a positive integer');
    }
    const conn = await connection();
    const domainText = args.string('domain');
    const filter = domainText !== undefined ? { uuid: (await domainArg(conn, domainText)).uuid } : undefined;
    const loop = args.bool('loop');
    const stamp = args.bool('timestamp');
    let count = 0;
    let finish!: (how: 'done' | 'timeout' | 'interrupt') => void;
    const finished = new Promise<'done' | 'timeout' | 'interrupt'>((r) => (finish = r));
    const subscription = await conn.subscribe(
      domainLifecycle,
      (data) => {
        count++;
        const line = `event 'lifecycle' for domain '${data.name}': ${eventName(data.event)} ${eventDetailName(data.event, data.detail)}\n`;
        out.print(stamp ? `${timestamp(new Date())}: ${line}` : line);
        if (!loop) finish('done');
      },
      filter,
    );
    const timer = timeoutSeconds !== undefined ? setTimeout(() => finish('timeout'), timeoutSeconds * 1000) : undefined;
    const onInterrupt = (): void => finish('interrupt');
    process.once('SIGINT', onInterrupt);
    try {
      const how = await finished;
      if (how === 'timeout') out.print('event loop timed out\n');
      if (how === 'interrupt') out.print('event loop interrupted\n');
      out.print(`events received: ${count}\n`);
    } finally {
      if (timer) clearTimeout(timer);
      process.off('SIGINT', onInterrupt);
      await subscription.close().catch(() => undefined);
    }
  },
};

/** Reads a domain XML file as virsh does, or fails with its message. */
function readXmlFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CommandError(`Failed to open file '${file}': ${(err as NodeJS.ErrnoException).code ?? messageOf(err)}`);
  }
}

const PAUSED_OPTION: OptionDecl = { name: 'paused', type: 'bool', help: 'leave the guest paused after creation' };

const start: CommandDecl = {
  name: 'start',
  group: 'domain',
  summary: 'start a (previously defined) inactive domain',
  description:
    'Start a domain, either from the last managedsave state, or via a fresh boot if no managedsave state is present.',
  options: [{ ...DOMAIN_OPTION, help: 'name of the inactive domain' }, PAUSED_OPTION],
  async run(ctx) {
    const { conn, dom } = await resolve(ctx);
    if (dom.id >= 0) throw new CommandError('Domain is already active');
    try {
      await startDomain(conn, dom.uuid, { paused: ctx.args.bool('paused') });
    } catch (err) {
      throw failure(`Failed to start domain '${dom.name}'`, err);
    }
    ctx.out.print(`Domain '${dom.name}' started\n`);
  },
};

const create: CommandDecl = {
  name: 'create',
  group: 'domain',
  summary: 'create a domain from an XML file',
  description: 'Create a domain.',
  options: [
    {
      name: 'file',
      type: 'string',
      required: true,
      positional: true,
      help: 'file containing an XML domain description',
    },
    PAUSED_OPTION,
  ],
  async run({ args, out, connection }) {
    const file = args.string('file') ?? '';
    const xml = readXmlFile(file);
    const conn = await connection();
    try {
      const dom = await createDomainXML(conn, xml, { paused: args.bool('paused') });
      out.print(`Domain '${dom.name}' created from ${file}\n`);
    } catch (err) {
      throw failure(`Failed to create domain from ${file}`, err);
    }
  },
};

/** A command that acts on one domain by uuid and prints one line: destroy, shutdown, reset, suspend, resume. */
function simpleDomainCommand(
  spec: Pick<CommandDecl, 'name' | 'summary' | 'description'> & { verb: string; done: string },
  act: (conn: Connection, uuid: string) => Promise<unknown>,
): CommandDecl {
  return {
    name: spec.name,
    group: 'domain',
    summary: spec.summary,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    options: [DOMAIN_OPTION],
    async run(ctx) {
      const { conn, dom } = await resolve(ctx);
      try {
        await act(conn, dom.uuid);
      } catch (err) {
        throw failure(`Failed to ${spec.verb} domain '${dom.name}'`, err);
      }
      ctx.out.print(`Domain '${dom.name}' ${spec.done}\n`);
    },
  };
}

const destroy = simpleDomainCommand(
  {
    name: 'destroy',
    summary: 'destroy (stop) a domain',
    description: 'Forcefully stop a given domain, but leave its resources intact.',
    verb: 'destroy',
    done: 'destroyed',
  },
  destroyDomain,
);

const shutdown = simpleDomainCommand(
  {
    name: 'shutdown',
    summary: 'gracefully shutdown a domain',
    description: 'Run shutdown in the target domain.',
    verb: 'shutdown',
    done: 'is being shutdown',
  },
  shutdownDomain,
);

const reset = simpleDomainCommand(
  {
    name: 'reset',
    summary: 'reset a domain',
    description: 'Reset the target domain as if by power button',
    verb: 'reset',
    done: 'was reset',
  },
  resetDomain,
);

const reboot = simpleDomainCommand(
  {
    name: 'reboot',
    summary: 'reboot a domain',
    description: 'Run a reboot command in the target domain.',
    verb: 'reboot',
    done: 'is being rebooted',
  },
  rebootDomain,
);

/** virsh's scaled integers: a suffix's first letter k, M, G, T, P or E, then nothing or 'iB' (1024s) or 'B' (1000s); b or byte(s) for bytes. */
const SCALE_EXPONENT: Record<string, number> = { k: 1, m: 2, g: 3, t: 4, p: 5, e: 6 };

/** `SIZE` in bytes, `unit` when it has no suffix; undefined if malformed. */
export function parseScaledInteger(text: string, unit: number): number | undefined {
  const match = /^(\d+)([A-Za-z]*)$/.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  const suffix = match[2] ?? '';
  let scale: number;
  if (suffix === '') scale = unit;
  else if (/^(b|bytes?)$/i.test(suffix)) scale = 1;
  else {
    const exponent = SCALE_EXPONENT[suffix.charAt(0).toLowerCase()];
    const rest = suffix.slice(1);
    if (exponent === undefined) return undefined;
    if (rest === '' || rest.toLowerCase() === 'ib') scale = 1024 ** exponent;
    else if (rest.toLowerCase() === 'b') scale = 1000 ** exponent;
    else return undefined;
  }
  const bytes = value * scale;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const setmem: CommandDecl = {
  name: 'setmem',
  group: 'domain',
  summary: 'change memory allocation',
  description: 'Change the current memory allocation in the guest domain.',
  options: [
    DOMAIN_OPTION,
    {
      name: 'size',
      type: 'string',
      required: true,
      positional: true,
      help: 'new memory size, as scaled integer (default KiB)',
    },
  ],
  async run(ctx) {
    const text = ctx.args.string('size') ?? '';
    const bytes = parseScaledInteger(text, 1024);
    if (bytes === undefined || bytes <= 0) {
      throw new CommandError(`Scaled numeric value '${text}' for <size> option is malformed or out of range`);
    }
    const { conn, dom } = await resolve(ctx);
    try {
      await setDomainMemory(conn, dom.uuid, Math.ceil(bytes / 1024));
    } catch (err) {
      // virsh prints libvirt's error alone here, and nothing on success
      throw new CommandError(describeError(err));
    }
  },
};

/** The attributes of an XML start tag, as our formatter writes them (quoted with ' or "). */
function tagAttributes(tag: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w:-]+)=(?:'([^']*)'|"([^"]*)")/g)) {
    attrs[m[1] ?? ''] = (m[2] ?? m[3] ?? '')
      .replace(/&apos;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&');
  }
  return attrs;
}

/** The first `<graphics type='vnc'>` of a domain XML: its port and listen address (attribute or first `<listen address>`). */
export function vncFromXml(xml: string): { port: number | undefined; listen: string | undefined } | undefined {
  for (const m of xml.matchAll(/<graphics\b([^>]*?)(\/>|>([\s\S]*?)<\/graphics>)/g)) {
    const attrs = tagAttributes(m[1] ?? '');
    if (attrs.type !== 'vnc') continue;
    const port = attrs.port !== undefined && /^-?\d+$/.test(attrs.port) ? Number(attrs.port) : undefined;
    let listen = attrs.listen;
    if (listen === undefined) {
      const inner = /<listen\b([^>]*)>/.exec(m[3] ?? '');
      if (inner) listen = tagAttributes(inner[1] ?? '').address;
    }
    return { port, listen };
  }
  return undefined;
}

const vncdisplay: CommandDecl = {
  name: 'vncdisplay',
  group: 'domain',
  summary: 'vnc display',
  description: 'Output the IP address and port number for the VNC display.',
  options: [DOMAIN_OPTION],
  async run(ctx) {
    const { conn, dom } = await resolve(ctx);
    if (!(await isDomainActive(conn, dom.uuid))) throw new CommandError('Domain is not running');
    const vnc = vncFromXml(await getDomainXML(conn, dom.uuid));
    if (!vnc || vnc.port === undefined || vnc.port <= 0) {
      throw new CommandError('Failed to get VNC port. Is this domain using VNC?');
    }
    const display = vnc.port - 5900;
    const listen = vnc.listen;
    if (listen === undefined || listen === '' || listen === '0.0.0.0' || listen === '::') {
      ctx.out.print(`:${display}\n`);
    } else if (listen.includes(':')) {
      ctx.out.print(`[${listen}]:${display}\n`);
    } else {
      ctx.out.print(`${listen}:${display}\n`);
    }
  },
};

const suspend = simpleDomainCommand(
  {
    name: 'suspend',
    summary: 'suspend a domain',
    description: 'Suspend a running domain.',
    verb: 'suspend',
    done: 'suspended',
  },
  suspendDomain,
);

const resume = simpleDomainCommand(
  {
    name: 'resume',
    summary: 'resume a domain',
    description: 'Resume a previously suspended domain.',
    verb: 'resume',
    done: 'resumed',
  },
  resumeDomain,
);

export const domainCommands: CommandDecl[] = [
  define,
  undefine,
  list,
  dominfo,
  domstate,
  domid,
  domuuid,
  domname,
  dumpxml,
  autostart,
  event,
  start,
  create,
  destroy,
  shutdown,
  reboot,
  reset,
  suspend,
  resume,
  setmem,
  vncdisplay,
];
