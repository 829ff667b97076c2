/**
 * A real virtnetworkd for the driver tests, inside a network namespace of its own: starting a
 * network makes a bridge, dnsmasq and firewall chains, which must never land on the host.
 * Everything (daemons, their dnsmasqs, the namespace, the root) goes in close().
 */
import { join } from 'node:path';
import { open, type Connection } from '@tsvirt/client';
import {
  killProcessesMentioning,
  makeTempRoot,
  removeTempRoot,
  spawnNamedDaemon,
  type DaemonProcess,
} from '@tsvirt/common/testing';
import { addNamespace, deleteNamespace, type TestNamespace } from '../host/netns.js';

export interface NetworkDaemonEnv {
  root: string;
  ns: TestNamespace;
  networksDir: string;
  runNetworksDir: string;
  daemons: DaemonProcess[];
  start(): Promise<DaemonProcess>;
  connect(readonly?: boolean): Promise<Connection>;
  close(): Promise<void>;
}

let count = 0;

export async function networkDaemonEnv(): Promise<NetworkDaemonEnv> {
  const root = makeTempRoot();
  const ns = await addNamespace(`tsv-nd-${process.pid}-${count++}`);
  const conns: Connection[] = [];
  const env: NetworkDaemonEnv = {
    root,
    ns,
    networksDir: join(root, 'lib', 'virtnetworkd', 'networks'),
    runNetworksDir: join(root, 'run', 'virtnetworkd', 'networks'),
    daemons: [],
    async start() {
      const daemon = await spawnNamedDaemon(
        'virtnetworkd',
        root,
        [],
        {},
        { wrapper: ['ip', 'netns', 'exec', ns.name] },
      );
      env.daemons.push(daemon);
      return daemon;
    },
    async connect(readonly = false) {
      const conn = await open('network:///session', {
        env: { ...process.env, TSVIRT_ROOT: root },
        autostart: false,
        readonly,
      });
      conns.push(conn);
      return conn;
    },
    async close() {
      for (const conn of conns) await conn.close().catch(() => undefined);
      for (const daemon of env.daemons) await daemon.stop(2000);
      // The dnsmasqs name their conf file under the root.
      killProcessesMentioning(root);
      await deleteNamespace(ns.name);
      removeTempRoot(root);
    },
  };
  return env;
}
