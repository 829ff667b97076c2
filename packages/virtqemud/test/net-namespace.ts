/**
 * Test support for guests with tap devices: a throw-away network namespace (never the
 * host's interfaces), a virtqemud running inside it (so its taps and QEMUs live there),
 * and looks at its links from outside.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { daemonBin, spawnDaemon, type DaemonProcess } from '@tsvirt/common/testing';

export interface NsLink {
  ifname: string;
  mtu: number;
  flags: string[];
  address?: string;
  master?: string;
}

export interface NetNamespace {
  readonly name: string;
  /** `ip -n NAME ARGS...`; throws with ip's stderr on failure. */
  ip(...args: string[]): string;
  /** Every link in the namespace. */
  links(): NsLink[];
  link(name: string): NsLink | undefined;
  /** Starts virtqemud (session mode, root `root`) inside the namespace; resolves once it listens. */
  spawnVirtqemud(root: string): Promise<DaemonProcess>;
  /** Deletes the namespace, and with it every link left in it. */
  remove(): void;
}

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Creates `tsv-<tag>-<pid>`; call `remove()` in a finally. */
export function makeNetNamespace(tag: string): NetNamespace {
  const name = `tsv-${tag}-${process.pid}`;
  run('ip', ['netns', 'add', name]);
  const ns: NetNamespace = {
    name,
    ip: (...args) => run('ip', ['-n', name, ...args]),
    links: () => JSON.parse(ns.ip('-j', 'link', 'show')) as NsLink[],
    link: (ifname) => ns.links().find((l) => l.ifname === ifname),
    spawnVirtqemud: (root) =>
      spawnDaemon({
        script: daemonBin('virtqemud'),
        args: ['--session'],
        root,
        wrapper: ['ip', 'netns', 'exec', name],
        waitForSocket: join(root, 'run', 'virtqemud-sock'),
      }),
    remove: () => {
      try {
        run('ip', ['netns', 'del', name]);
      } catch {
        // already gone
      }
    },
  };
  ns.ip('link', 'set', 'lo', 'up');
  return ns;
}
