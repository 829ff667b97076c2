/** Host and Hypervisor commands: version, uri, hostname, capabilities, domcapabilities. */
import { TSVIRT_VERSION, decodeVersion, getCapabilities, getDomainCapabilities } from '@tsvirt/client';
import type { CommandDecl } from '../command.js';

const version: CommandDecl = {
  name: 'version',
  group: 'host',
  summary: 'show version',
  description: 'Display the system version information.',
  options: [{ name: 'daemon', type: 'bool', help: 'report daemon version too' }],
  async run({ args, out, connection }) {
    const conn = await connection();
    const { type, version: hvVersion } = await conn.getVersion();
    // the daemon's own tsvirt is the API this connection speaks
    const libVersion = decodeVersion(await conn.getLibVersion());
    out.print(`Compiled against library: tsvirt ${TSVIRT_VERSION}\n`);
    out.print(`Using library: tsvirt ${TSVIRT_VERSION}\n`);
    out.print(`Using API: ${type} ${libVersion}\n`);
    if (hvVersion === 0) out.print(`Cannot extract running ${type} hypervisor version\n`);
    else out.print(`Running hypervisor: ${type} ${decodeVersion(hvVersion)}\n`);
    if (args.bool('daemon')) out.print(`Running against daemon: ${libVersion}\n`);
  },
};

const uri: CommandDecl = {
  name: 'uri',
  group: 'host',
  summary: 'print the hypervisor canonical URI',
  async run({ out, connection }) {
    out.print(`${await (await connection()).getURI()}\n`);
  },
};

const hostname: CommandDecl = {
  name: 'hostname',
  group: 'host',
  summary: 'print the hypervisor hostname',
  async run({ out, connection }) {
    out.print(`${await (await connection()).getHostname()}\n`);
  },
};

const capabilities: CommandDecl = {
  name: 'capabilities',
  group: 'host',
  summary: 'capabilities',
  description: 'Returns capabilities of hypervisor/driver.',
  async run({ out, connection }) {
    out.print(`${await getCapabilities(await connection())}\n`);
  },
};

const domcapabilities: CommandDecl = {
  name: 'domcapabilities',
  group: 'host',
  summary: 'domain capabilities',
  description: 'Returns capabilities of emulator with respect to host and libvirt.',
  options: [
    { name: 'virttype', type: 'string', help: 'virtualization type (/domain/@type)' },
    { name: 'emulatorbin', type: 'string', help: 'path to emulator binary (/domain/devices/emulator)' },
    { name: 'arch', type: 'string', help: 'domain architecture (/domain/os/type/@arch)' },
    { name: 'machine', type: 'string', help: 'machine type (/domain/os/type/@machine)' },
  ],
  async run({ args, out, connection }) {
    const query: Record<string, string> = {};
    for (const [option, field] of [
      ['virttype', 'virttype'],
      ['emulatorbin', 'emulator'],
      ['arch', 'arch'],
      ['machine', 'machine'],
    ] as const) {
      const value = args.string(option);
      if (value !== undefined) query[field] = value;
    }
    out.print(`${await getDomainCapabilities(await connection(), query)}\n`);
  },
};

export const hostCommands: CommandDecl[] = [version, uri, hostname, capabilities, domcapabilities];
