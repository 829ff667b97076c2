/**
 * Which network block drivers a QEMU binary really has. Debian builds curl, iscsi, rbd and
 * gluster as loadable modules (qemu-block-extra) that may be missing, and QEMU's schema lists
 * them either way; so, as a start-time check, a tiny QEMU is asked to open a blockdev of that
 * driver pointing nowhere: "Unknown driver" (or the driver name refused outright) means absent,
 * any other failure (connection refused ...) means the driver was loaded. Cached per binary.
 */
import { execFile } from 'node:child_process';

const PROBE_TIMEOUT_MS = 10_000;

/** A blockdev that makes each driver load and then fail fast on a closed loopback port. */
const PROBE_PROPS: Record<string, Record<string, unknown>> = {
  nbd: { server: { type: 'inet', host: '127.0.0.1', port: '1' } },
  http: { url: 'http://127.0.0.1:1/probe' },
  https: { url: 'https://127.0.0.1:1/probe' },
  iscsi: { transport: 'tcp', portal: '127.0.0.1:1', target: 'iqn.2000-01.org.tsvirt:probe', lun: 0 },
  rbd: { pool: 'probe', image: 'probe', server: [{ host: '127.0.0.1', port: '1' }] },
  gluster: { volume: 'probe', path: 'probe', server: [{ type: 'inet', host: '127.0.0.1', port: '1' }] },
  sheepdog: { server: { type: 'inet', host: '127.0.0.1', port: '1' }, vdi: 'probe' },
};

const cache = new Map<string, Promise<boolean>>();

function probe(binary: string, driver: string): Promise<boolean> {
  const blockdev = JSON.stringify({ driver, 'node-name': 'probe', ...(PROBE_PROPS[driver] ?? {}) });
  const args = ['-machine', 'none', '-nodefaults', '-display', 'none', '-S', '-blockdev', blockdev];
  return new Promise((resolve) => {
    execFile(binary, args, { timeout: PROBE_TIMEOUT_MS }, (err, _stdout, stderr) => {
      const text = `${stderr}`;
      const absent =
        text.includes(`Unknown driver '${driver}'`) || text.includes(`'driver' does not accept value '${driver}'`);
      // A QEMU that could not run at all says nothing about the driver: assume present, let the start tell.
      resolve(err === null ? true : !absent);
    });
  });
}

/** Built into every QEMU this driver supports: no probe needed. */
const BUILT_IN = new Set(['nbd']);

/** True when `binary` can open a blockdev with `driver`. */
export function hasBlockdevDriver(binary: string, driver: string): Promise<boolean> {
  if (BUILT_IN.has(driver)) return Promise.resolve(true);
  const key = `${binary}\0${driver}`;
  let found = cache.get(key);
  if (!found) {
    found = probe(binary, driver);
    cache.set(key, found);
  }
  return found;
}
