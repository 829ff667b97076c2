/**
 * End to end through a daemon process (the real skeleton, the test argv builder): a daemon
 * killed with SIGKILL leaves its QEMU running; the next daemon still lists the domain as
 * running and destroys it.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open, type Connection } from '@tsvirt/client';
import {
  DomainState,
  domainCreate,
  domainCreateXML,
  domainDefineXML,
  domainDestroy,
  domainGetState,
  domainListAll,
} from '@tsvirt/common/protocol';
import { makeTempRoot, removeTempRoot, spawnNamedDaemon, waitFor, type DaemonProcess } from '@tsvirt/common/testing';
import { UUID_A, UUID_B } from './helpers.js';
import { isGone, pidsMentioning, smallDomainXml } from './qemu-harness.js';

/** The real virtqemud binary, with the real QEMU argv builder. */
function startDaemon(root: string): Promise<DaemonProcess> {
  return spawnNamedDaemon('virtqemud', root);
}

test('kill -9 of the daemon leaves the QEMUs running; the next daemon lists them running and destroys them', async () => {
  const root = makeTempRoot();
  const env = { ...process.env, TSVIRT_ROOT: root };
  const daemons: DaemonProcess[] = [];
  const conns: Connection[] = [];
  const connect = async (): Promise<Connection> => {
    const conn = await open('qemu:///session', { env, autostart: false });
    conns.push(conn);
    return conn;
  };
  try {
    daemons.push(await startDaemon(root));
    let conn = await connect();
    await conn.call(domainDefineXML, { xml: smallDomainXml('e2e1', UUID_A) });
    const started = await conn.call(domainCreate, { uuid: UUID_A });
    assert.is(started.id, 1);
    const transient = await conn.call(domainCreateXML, { xml: smallDomainXml('e2e2', UUID_B) });
    assert.is(transient.id, 2);
    const qemus = pidsMentioning(root).filter((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('qemu'));
    assert.is(qemus.length, 2);

    daemons[0]!.child.kill('SIGKILL');
    await daemons[0]!.exited;
    await conn.close().catch(() => undefined);
    for (const pid of qemus) assert.not.ok(isGone(pid), `QEMU ${pid} survives the daemon`);

    daemons.push(await startDaemon(root));
    conn = await connect();
    const { domains } = await conn.call(domainListAll, { flags: { active: true } });
    assert.equal(domains, [
      { name: 'e2e1', uuid: UUID_A, id: 1 },
      { name: 'e2e2', uuid: UUID_B, id: 2 },
    ]);
    assert.is((await conn.call(domainGetState, { uuid: UUID_A })).state, DomainState.RUNNING);

    await conn.call(domainDestroy, { uuid: UUID_A });
    await conn.call(domainDestroy, { uuid: UUID_B });
    assert.is((await conn.call(domainGetState, { uuid: UUID_A })).state, DomainState.SHUTOFF);
    assert.equal((await conn.call(domainListAll, {})).domains, [{ name: 'e2e1', uuid: UUID_A, id: -1 }]);
    // recovered QEMUs are not the new daemon's children: PID 1 reaps them a little later
    for (const pid of qemus) await waitFor(() => isGone(pid), 5000, `QEMU ${pid} to exit`);
  } finally {
    for (const conn of conns) await conn.close().catch(() => undefined);
    for (const daemon of daemons) await daemon.stop(2000);
    for (const pid of pidsMentioning(root)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    removeTempRoot(root);
  }
});

test.run();
