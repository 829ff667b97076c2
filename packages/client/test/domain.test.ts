/**
 * The domain API end to end: the client against a real virtqemud in a temp root.
 * Define, list, dump, restart the daemon, undefine; lifecycle events; read-only
 * refusals; bad and hostile XML writing nothing.
 */
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  daemonBin,
  killProcessesMentioning,
  makeTempRoot,
  removeTempRoot,
  spawnNamedDaemon,
  waitFor,
  type DaemonProcess,
} from '@tsvirt/common/testing';
import {
  DomainEventType,
  DomainRunningReason,
  DomainShutoffReason,
  DomainState,
  ErrorCode,
  ErrorDomain,
  VirError,
  defineDomain,
  destroyDomain,
  domainLifecycle,
  getDomainAutostart,
  getDomainInfo,
  getDomainOSType,
  getDomainState,
  getDomainXML,
  isDomainActive,
  isDomainPersistent,
  listAllDomains,
  lookupDomain,
  lookupDomainByID,
  lookupDomainByName,
  lookupDomainByUUID,
  open,
  setDomainAutostart,
  undefineDomain,
  type Connection,
} from '../src/index.js';

const UUID = 'c7a5fdbd-edaf-9455-926a-d65c16db1809';
const UUID2 = '3e3fce45-4f53-4fa7-bb32-11f34168b82b';

function xmlFor(name: string, uuid = UUID): string {
  return `<domain type='kvm'>
  <name>${name}</name>
  <uuid>${uuid.toUpperCase()}</uuid>
  <memory unit='MiB'>512</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
</domain>`;
}

/** virtqemud's own XML layer, loaded at run time from the daemon package (the client may not import it). */
interface ConfLayer {
  domainDefFromXml(xml: string): unknown;
  formatDomainDef(def: unknown, options?: { inactive?: boolean }): string;
}
async function confLayer(): Promise<ConfLayer> {
  const file = join(dirname(daemonBin('virtqemud')), '..', 'dist', 'src', 'conf', 'domain-xml.js');
  return (await import(pathToFileURL(file).href)) as ConfLayer;
}

interface Env {
  root: string;
  env: NodeJS.ProcessEnv;
  stateDir: string;
  daemon(): DaemonProcess;
  restart(): Promise<void>;
  connect(readonly?: boolean): Promise<Connection>;
}

async function withDaemon(body: (e: Env) => Promise<void>): Promise<void> {
  const root = makeTempRoot();
  const env = { ...process.env, TSVIRT_ROOT: root };
  let daemon: DaemonProcess | undefined;
  const conns: Connection[] = [];
  try {
    daemon = await spawnNamedDaemon('virtqemud', root);
    await body({
      root,
      env,
      stateDir: join(root, 'lib', 'virtqemud'),
      daemon: () => daemon!,
      restart: async () => {
        await daemon!.stop();
        daemon = await spawnNamedDaemon('virtqemud', root);
      },
      connect: async (readonly = false) => {
        const conn = await open('qemu:///session', { env, autostart: false, readonly });
        conns.push(conn);
        return conn;
      },
    });
  } finally {
    for (const conn of conns) await conn.close().catch(() => undefined);
    await daemon?.stop();
    // Guests outlive their daemon by design; any a failed test left running go here.
    killProcessesMentioning(root);
    removeTempRoot(root);
  }
}

async function errorOf(promise: Promise<unknown>): Promise<VirError> {
  try {
    await promise;
  } catch (err) {
    assert.instance(err, VirError);
    return err as VirError;
  }
  throw new Error('call succeeded');
}

/** Every path under `dir`, relative, except the daemon's log and run files (which change on their own). */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d)) {
      const path = join(d, entry);
      out.push(relative(dir, path));
      if (statSync(path).isDirectory()) walk(path);
    }
  };
  walk(dir);
  return out.sort();
}

test('define, list, dumpxml, survive a restart, undefine', () =>
  withDaemon(async ({ connect, restart, stateDir }) => {
    const conf = await confLayer();
    let conn = await connect();
    assert.equal(await listAllDomains(conn), []);
    assert.equal(await defineDomain(conn, xmlFor('web1')), { name: 'web1', uuid: UUID });
    assert.equal(await listAllDomains(conn), [{ name: 'web1', uuid: UUID, id: -1 }]);
    assert.equal(await listAllDomains(conn, { active: true }), []);
    assert.equal(await lookupDomainByName(conn, 'web1'), { name: 'web1', uuid: UUID, id: -1 });
    assert.equal(await lookupDomainByUUID(conn, UUID), { name: 'web1', uuid: UUID, id: -1 });
    assert.equal((await lookupDomain(conn, UUID.toUpperCase())).name, 'web1');

    const expected = conf.formatDomainDef(conf.domainDefFromXml(xmlFor('web1')), {});
    const xml = await getDomainXML(conn, UUID);
    assert.is(xml, expected);
    assert.is(await getDomainXML(conn, UUID, { inactive: true }), expected);
    const file = join(stateDir, 'domains', 'web1.xml');
    assert.ok(existsSync(file));

    assert.equal(await getDomainInfo(conn, UUID), {
      state: DomainState.SHUTOFF,
      maxMemKiB: 524288,
      memKiB: 524288,
      nrVirtCpu: 2,
      cpuTimeNs: 0,
    });
    assert.equal(await getDomainState(conn, UUID), {
      state: DomainState.SHUTOFF,
      reason: DomainShutoffReason.UNKNOWN,
    });
    assert.is(await isDomainActive(conn, UUID), false);
    assert.is(await isDomainPersistent(conn, UUID), true);
    assert.is(await getDomainOSType(conn, UUID), 'hvm');
    await setDomainAutostart(conn, UUID, true);
    assert.is(await getDomainAutostart(conn, UUID), true);

    await conn.close();
    // a corrupt config next to the good one is logged and skipped at start, never fatal
    writeFileSync(join(stateDir, 'domains', 'broken.xml'), "<domain type='kvm'><name>broken</na");
    await restart();
    conn = await connect();
    // autostart is honoured: the new daemon started the guest
    assert.equal(await listAllDomains(conn), [{ name: 'web1', uuid: UUID, id: 1 }]);
    assert.equal(await getDomainState(conn, UUID), { state: DomainState.RUNNING, reason: DomainRunningReason.BOOTED });
    rmSync(join(stateDir, 'domains', 'broken.xml'));
    assert.is(await getDomainXML(conn, UUID, { inactive: true }), xml);
    assert.is(await getDomainAutostart(conn, UUID), true);
    assert.equal(await listAllDomains(conn, { autostart: true }), [{ name: 'web1', uuid: UUID, id: 1 }]);
    await destroyDomain(conn, UUID);

    await undefineDomain(conn, UUID);
    assert.equal(await listAllDomains(conn), []);
    assert.not.ok(existsSync(file));
    assert.equal(readdirSync(join(stateDir, 'domains')), []);
    assert.equal(readdirSync(join(stateDir, 'autostart')), []);
    const missing = await errorOf(lookupDomainByName(conn, 'web1'));
    assert.is(missing.code, ErrorCode.NO_DOMAIN);
    assert.is(missing.domain, ErrorDomain.QEMU);
    assert.is(missing.message, "no domain with matching name 'web1'");
    assert.is((await errorOf(lookupDomainByUUID(conn, UUID))).message, `no domain with matching uuid '${UUID}'`);
    assert.is((await errorOf(lookupDomainByID(conn, 3))).message, 'no domain with matching id 3');
    assert.is((await errorOf(lookupDomain(conn, '3'))).message, "no domain with matching name '3'");
  }));

test('redefinition rules: same name + uuid updates, same name + other uuid is refused', () =>
  withDaemon(async ({ connect }) => {
    const conn = await connect();
    await defineDomain(conn, xmlFor('web1'));
    await defineDomain(conn, xmlFor('web1'));
    const clash = await errorOf(defineDomain(conn, xmlFor('web1', UUID2)));
    assert.is(clash.code, ErrorCode.OPERATION_FAILED);
    assert.is(clash.message, `domain 'web1' already exists with uuid ${UUID}`);
    const renamed = await errorOf(defineDomain(conn, xmlFor('web2')));
    assert.is(renamed.code, ErrorCode.OPERATION_FAILED);
    assert.is((await listAllDomains(conn)).length, 1);
  }));

test('lifecycle events reach two subscribers, in order, after the change', () =>
  withDaemon(async ({ connect }) => {
    const conn = await connect();
    const watcherA = await connect();
    const watcherB = await connect();
    const seenA: unknown[] = [];
    const seenB: unknown[] = [];
    const filtered: unknown[] = [];
    await watcherA.subscribe(domainLifecycle, (data) => seenA.push(data));
    await watcherB.subscribe(domainLifecycle, (data) => seenB.push(data));
    await watcherB.subscribe(domainLifecycle, (data) => filtered.push(data), { uuid: UUID2 });

    await defineDomain(conn, xmlFor('web1'));
    await defineDomain(conn, xmlFor('web1'));
    await defineDomain(conn, xmlFor('web2', UUID2));
    await undefineDomain(conn, UUID);
    await undefineDomain(conn, UUID2);
    const expected = [
      { name: 'web1', uuid: UUID, event: DomainEventType.DEFINED, detail: 0 },
      { name: 'web1', uuid: UUID, event: DomainEventType.DEFINED, detail: 1 },
      { name: 'web2', uuid: UUID2, event: DomainEventType.DEFINED, detail: 0 },
      { name: 'web1', uuid: UUID, event: DomainEventType.UNDEFINED, detail: 0 },
      { name: 'web2', uuid: UUID2, event: DomainEventType.UNDEFINED, detail: 0 },
    ];
    await waitFor(() => seenA.length >= 5 && seenB.length >= 5, 5000, 'events');
    assert.equal(seenA, expected);
    assert.equal(seenB, expected);
    assert.equal(filtered, [expected[2], expected[4]]);
  }));

test('a read-only connection reads but may not define, undefine or set autostart', () =>
  withDaemon(async ({ connect, stateDir }) => {
    const rw = await connect();
    await defineDomain(rw, xmlFor('web1'));
    const ro = await connect(true);
    assert.equal(await listAllDomains(ro), [{ name: 'web1', uuid: UUID, id: -1 }]);
    assert.is(await getDomainXML(ro, UUID), await getDomainXML(rw, UUID));
    for (const refused of [
      defineDomain(ro, xmlFor('web2', UUID2)),
      undefineDomain(ro, UUID),
      setDomainAutostart(ro, UUID, true),
    ]) {
      assert.is((await errorOf(refused)).code, ErrorCode.OPERATION_DENIED);
    }
    assert.equal(readdirSync(join(stateDir, 'domains')), ['web1.xml']);
  }));

test('bad XML and hostile names fail with their error and write nothing anywhere', () =>
  withDaemon(async ({ connect, root }) => {
    const conn = await connect();
    const before = tree(root).filter((p) => !p.startsWith('log'));
    const malformed = await errorOf(defineDomain(conn, '<domain type="kvm"><name>x</name>'));
    assert.is(malformed.code, ErrorCode.XML_ERROR);
    const hostile = ['../x', '../../../../tmp/tsv-escape', 'a/b', 'a&#10;b', 'a&#0;b', '.', '..', '.hidden'];
    for (const name of hostile) {
      const err = await errorOf(defineDomain(conn, xmlFor(name)));
      assert.ok(
        [ErrorCode.XML_ERROR, ErrorCode.XML_DETAIL, ErrorCode.INVALID_ARG, ErrorCode.XML_INVALID_SCHEMA].includes(
          err.code as never,
        ),
        `${name}: ${err.codeName} ${err.message}`,
      );
    }
    // a uuid that is not canonical never reaches the driver
    const badUuid = await errorOf(undefineDomain(conn, '../../etc'));
    assert.is(badUuid.code, ErrorCode.INVALID_ARG);
    const after = tree(root).filter((p) => !p.startsWith('log'));
    assert.equal(after, before);
    assert.not.ok(existsSync('/tmp/tsv-escape.xml'));
    assert.equal(await listAllDomains(conn), []);
  }));

test.run();
