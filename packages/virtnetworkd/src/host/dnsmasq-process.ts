/**
 * The dnsmasq process of a network. Like libvirt, dnsmasq daemonizes itself and writes a
 * pidfile; the pid is only trusted when /proc/PID/cmdline still names our conf file, so a
 * recycled pid after a host reboot or a daemon restart is never signalled.
 */
import { readFile } from 'node:fs/promises';
import type { CommandRunner } from './command.js';

export function dnsmasqCommand(confFile: string, binary = 'dnsmasq'): string[] {
  return [binary, `--conf-file=${confFile}`];
}

/** True when the cmdline (NUL-separated, as /proc gives it) is a dnsmasq with that conf file. */
export function cmdlineIsOurDnsmasq(cmdline: string, confFile: string): boolean {
  const args = cmdline.split('\0');
  return /(^|\/)dnsmasq$/.test(args[0] ?? '') && args.includes(`--conf-file=${confFile}`);
}

/** The running dnsmasq for that conf file, from its pidfile; undefined when none. */
export async function findDnsmasqPid(pidFile: string, confFile: string): Promise<number | undefined> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdlineIsOurDnsmasq(cmdline, confFile) ? pid : undefined;
}

/** Starts dnsmasq; it returns once dnsmasq has daemonized and written its pidfile. */
export async function startDnsmasq(run: CommandRunner, confFile: string, pidFile: string): Promise<number> {
  await run(dnsmasqCommand(confFile));
  const pid = await findDnsmasqPid(pidFile, confFile);
  if (pid === undefined) throw new Error(`dnsmasq for '${confFile}' wrote no usable pidfile '${pidFile}'`);
  return pid;
}

/** SIGHUP: dnsmasq rereads dhcp-hostsfile and addn-hosts without dropping leases. */
export async function reloadDnsmasqHosts(pidFile: string, confFile: string): Promise<boolean> {
  const pid = await findDnsmasqPid(pidFile, confFile);
  if (pid === undefined) return false;
  process.kill(pid, 'SIGHUP');
  return true;
}

/** SIGTERM to our dnsmasq, if running; returns the pid signalled. */
export async function stopDnsmasq(pidFile: string, confFile: string): Promise<number | undefined> {
  const pid = await findDnsmasqPid(pidFile, confFile);
  if (pid === undefined) return undefined;
  try {
    process.kill(pid, 'SIGTERM');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
  return pid;
}
