/**
 * The pty paths QEMU chose for `<serial type='pty'>`, put into the live definition as
 * libvirt's qemuProcessLookupPTYs does: the live XML then shows `<source path='/dev/pts/N'/>`
 * (and the console's `tty`), the status file keeps them across a daemon restart, and the
 * console code knows which pty to open.
 */
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import type { DomainDef } from '../conf/domain-xml.js';
import { queryChardev, type QmpConnection } from '../qemu/monitor/index.js';

/** The `-chardev` id of serial port `index`, as qemu/command-line/chardevs.ts names it. */
const serialChardevId = (index: number): string => `charserial${index}`;

/** Asks QEMU for its chardevs and records each pty serial's path, and its console's, in `def`. */
export async function recordPtyPaths(def: DomainDef, monitor: QmpConnection): Promise<void> {
  const { serials, consoles } = def.devices;
  if (!serials.some((s) => s.type === 'pty')) return;
  const ptyPaths = new Map((await queryChardev(monitor)).map((c) => [c.label, c.ptyPath]));
  serials.forEach((serial, i) => {
    if (serial.type !== 'pty') return;
    const path = ptyPaths.get(serialChardevId(i));
    if (!path) {
      throw new VirError(
        ErrorCode.INTERNAL_ERROR,
        ErrorDomain.QEMU,
        `no assigned pty for device '${serial.alias ?? `serial${i}`}'`,
      );
    }
    serial.source = { ...serial.source, path };
    // A serial console is another view of the same port: same pty.
    for (const con of consoles) {
      if (con.type === 'pty' && con.target.type === 'serial' && con.target.port === serial.target.port) {
        con.source = { ...con.source, path };
      }
    }
  });
}
