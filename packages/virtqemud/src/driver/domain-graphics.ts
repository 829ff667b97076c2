/**
 * Display setup around a start: the autoport TCP ports VNC and SPICE share (libvirt's one
 * remote-display port range), and the display passwords, which go over QMP after QEMU is up
 * so they never appear on a command line other users can read.
 */
import { createServer } from 'node:net';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import type { DomainDef, GraphicsDef } from '../conf/domain-def.js';
import type { QmpConnection } from '../qemu/monitor/index.js';

/** Display ports count from 5900, VNC display 0. */
export const GRAPHICS_PORT_BASE = 5900;
const GRAPHICS_PORT_MAX = 65535;

/** True when nothing listens on `host`:`port` right now. */
function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The first display of `type` that needs a port picked for it. */
export function autoportGraphics(def: DomainDef, type: GraphicsDef['type']): GraphicsDef | undefined {
  return def.devices.graphics.find((g) => g.type === type && g.autoport && g.listens[0]?.type !== 'none');
}

/**
 * Picks the lowest port from 5900 that is free on the display's listen address and not in
 * `taken` (ports handed to QEMUs of ours), reserves it in `taken` and writes it into the
 * live definition, so the live XML shows it. Undefined when no display of `type` needs one.
 */
export async function allocateGraphicsPort(
  liveDef: DomainDef,
  type: GraphicsDef['type'],
  taken: Set<number>,
): Promise<number | undefined> {
  const g = autoportGraphics(liveDef, type);
  if (!g) return undefined;
  const host = g.listens[0]?.address ?? g.listen ?? '127.0.0.1';
  for (let port = GRAPHICS_PORT_BASE; port <= GRAPHICS_PORT_MAX; port++) {
    if (taken.has(port)) continue;
    // Reserved before the probe, so that two starts at once never pick the same port.
    taken.add(port);
    if (await portIsFree(host, port)) {
      g.port = port;
      // No TLS is configured, so an autoport SPICE display has no TLS port to show.
      if (g.type === 'spice' && g.tlsPort === -1) delete g.tlsPort;
      return port;
    }
    taken.delete(port);
  }
  throw new VirError(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, 'Unable to find an unused port in range 5900-65535');
}

/** set_password for every display with a `passwd`, before the guest runs. */
export async function setGraphicsPasswords(def: DomainDef, monitor: QmpConnection): Promise<void> {
  for (const g of def.devices.graphics) {
    if (g.passwd === undefined) continue;
    await monitor.execute('set_password', { protocol: g.type, password: g.passwd });
  }
}
