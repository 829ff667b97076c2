/**
 * DomainVolumes against a scripted storage connection (the real daemons are in
 * guest-volume-disk.test.ts): what a volume resolves to, in the argv runtime and in the live
 * definition; that the connection is opened once and shared, opened again after a failed
 * open or a dropped link, and closed once unused for the idle period.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, ErrorDomain, StorageVolType, TransportError, VirError, type Connection } from '@tsvirt/client';
import { rejectionOf, waitFor } from '@tsvirt/common/testing';
import { domainDefFromXml } from '../../src/conf/domain-xml.js';
import type { DomainDef } from '../../src/conf/domain-def.js';
import { DomainVolumes } from '../../src/driver/domain-volumes.js';
import { recordingLogger } from './helpers.js';

interface FakeVolume {
  type: number;
  path: string;
  format?: string;
}

interface FakeStorage {
  pools: Record<string, { active: boolean; volumes: Record<string, FakeVolume> }>;
  calls: string[];
  /** Procedure name → how many of its next calls fail with a transport error (a link that dropped). */
  drops: Map<string, number>;
  closed: number;
}

function fakeStorage(): FakeStorage {
  return {
    pools: {
      p: {
        active: true,
        volumes: {
          'a.qcow2': { type: StorageVolType.FILE, path: '/pool/a.qcow2', format: 'qcow2' },
          lv: { type: StorageVolType.BLOCK, path: '/dev/vg/lv' },
          sub: { type: StorageVolType.DIR, path: '/pool/sub' },
        },
      },
      off: { active: false, volumes: {} },
    },
    calls: [],
    drops: new Map(),
    closed: 0,
  };
}

/** A Connection as far as the storage helpers use it: `call` by procedure name, and `close`. */
function fakeConnection(storage: FakeStorage): Connection {
  const volume = (args: { pool: string; name: string }): FakeVolume => {
    const v = storage.pools[args.pool]?.volumes[args.name];
    if (!v) throw new VirError(ErrorCode.NO_STORAGE_VOL, ErrorDomain.STORAGE, `no storage vol '${args.name}'`);
    return v;
  };
  const answers: Record<string, (args: Record<string, string>) => unknown> = {
    'storage.poolLookupByName': (a) => {
      if (!storage.pools[a.name!]) {
        throw new VirError(ErrorCode.NO_STORAGE_POOL, ErrorDomain.STORAGE, `no storage pool '${a.name}'`);
      }
      return { name: a.name, uuid: `uuid-${a.name}` };
    },
    'storage.poolIsActive': (a) => ({ active: storage.pools[a.uuid!.slice(5)]!.active }),
    'storage.volGetInfo': (a) => ({ type: volume(a as never).type, capacity: 0, allocation: 0, physical: 0 }),
    'storage.volGetPath': (a) => ({ path: volume(a as never).path }),
    'storage.volGetXMLDesc': (a) => {
      const format = volume(a as never).format;
      return { xml: `<volume><name>x</name><target>${format ? `<format type='${format}'/>` : ''}</target></volume>` };
    },
  };
  return {
    call: async (procedure: { name: string }, args: Record<string, string>) => {
      storage.calls.push(procedure.name);
      const drops = storage.drops.get(procedure.name) ?? 0;
      if (drops > 0) {
        storage.drops.set(procedure.name, drops - 1);
        throw new TransportError('closed', 'the connection is closed');
      }
      const answer = answers[procedure.name];
      if (!answer) throw new Error(`unexpected call ${procedure.name}`);
      return answer(args);
    },
    close: async () => {
      storage.closed++;
    },
  } as unknown as Connection;
}

function defWith(disks: string): DomainDef {
  return domainDefFromXml(`<domain type='kvm'><name>t</name><memory>1024</memory><vcpu>1</vcpu>
<os><type>hvm</type></os><devices>${disks}</devices></domain>`);
}

const { log } = recordingLogger();

function volumesOver(storage: FakeStorage, options: { idleMs?: number; failOpens?: number } = {}) {
  let opens = 0;
  let failures = options.failOpens ?? 0;
  const volumes = new DomainVolumes(
    async () => {
      opens++;
      if (failures-- > 0) {
        throw new VirError(ErrorCode.NO_CONNECT, ErrorDomain.RPC, 'the storage daemon is not running: test');
      }
      return fakeConnection(storage);
    },
    log,
    options.idleMs,
  );
  return { volumes, opens: () => opens };
}

test('file and block volumes resolve to their paths; a file volume lends its format to a disk without one', async () => {
  const storage = fakeStorage();
  const { volumes } = volumesOver(storage);
  const def = defWith(`<disk type='volume'><source pool='p' volume='a.qcow2'/><target dev='vda'/></disk>
    <disk type='volume'><source pool='p' volume='lv'/><target dev='vdb'/></disk>
    <disk type='volume'><driver type='raw'/><source pool='p' volume='a.qcow2'/><target dev='vdc'/></disk>`);
  const paths = await volumes.resolve(def);
  assert.equal(paths, {
    vda: { path: '/pool/a.qcow2', type: 'file' },
    vdb: { path: '/dev/vg/lv', type: 'block' },
    vdc: { path: '/pool/a.qcow2', type: 'file' },
  });
  const [vda, vdb, vdc] = def.devices.disks;
  assert.equal(vda?.source, { pool: 'p', volume: 'a.qcow2', file: '/pool/a.qcow2' });
  assert.is(vda?.driver.type, 'qcow2');
  assert.equal(vdb?.source, { pool: 'p', volume: 'lv', dev: '/dev/vg/lv' });
  // A block volume's format would be a partition type: nothing is taken.
  assert.is(vdb?.driver.type, undefined);
  // A format the user gave wins.
  assert.is(vdc?.driver.type, 'raw');
  await volumes.close();
});

test('an inactive pool is refused in libvirt words; a directory volume is refused; other errors pass through', async () => {
  const storage = fakeStorage();
  const { volumes } = volumesOver(storage);
  const inactive = await rejectionOf(
    volumes.resolve(defWith(`<disk type='volume'><source pool='off' volume='v'/><target dev='vda'/></disk>`)),
  );
  assert.is(inactive.code, ErrorCode.CONFIG_UNSUPPORTED);
  assert.is(inactive.message, "storage pool 'off' containing volume 'v' is not active");
  const dir = await rejectionOf(
    volumes.resolve(defWith(`<disk type='volume'><source pool='p' volume='sub'/><target dev='vda'/></disk>`)),
  );
  assert.is(dir.code, ErrorCode.CONFIG_UNSUPPORTED);
  const missing = await rejectionOf(
    volumes.resolve(defWith(`<disk type='volume'><source pool='p' volume='nope'/><target dev='vda'/></disk>`)),
  );
  assert.is(missing.code, ErrorCode.NO_STORAGE_VOL);
  await volumes.close();
});

test('the connection is opened only for volume disks, once, and again after a failed open', async () => {
  const storage = fakeStorage();
  const { volumes, opens } = volumesOver(storage, { failOpens: 1 });
  await volumes.resolve(defWith(`<disk type='file'><source file='/x'/><target dev='vda'/></disk>`));
  assert.is(opens(), 0);
  const disk = `<disk type='volume'><source pool='p' volume='a.qcow2'/><target dev='vda'/></disk>`;
  const down = await rejectionOf(volumes.resolve(defWith(disk)));
  assert.is(down.code, ErrorCode.NO_CONNECT);
  await volumes.resolve(defWith(disk));
  await volumes.resolve(defWith(disk));
  assert.is(opens(), 2);
  await volumes.close();
  assert.is(storage.closed, 1);
});

test('a link dropped under a call is retried once; twice is a NO_CONNECT error', async () => {
  const storage = fakeStorage();
  const { volumes } = volumesOver(storage);
  const disk = `<disk type='volume'><source pool='p' volume='a.qcow2'/><target dev='vda'/></disk>`;
  storage.drops.set('storage.volGetPath', 1);
  assert.equal((await volumes.resolve(defWith(disk))).vda, { path: '/pool/a.qcow2', type: 'file' });
  // The retry starts the disk over: the pool was looked up twice.
  assert.is(storage.calls.filter((c) => c === 'storage.poolLookupByName').length, 2);
  storage.drops.set('storage.poolLookupByName', 2);
  const err = await rejectionOf(volumes.resolve(defWith(disk)));
  assert.is(err.code, ErrorCode.NO_CONNECT);
  assert.match(err.message, 'the storage daemon is not answering');
  await volumes.close();
});

test('the connection closes after the idle period and reopens on the next use', async () => {
  const storage = fakeStorage();
  const { volumes, opens } = volumesOver(storage, { idleMs: 50 });
  const disk = `<disk type='volume'><source pool='p' volume='a.qcow2'/><target dev='vda'/></disk>`;
  await volumes.resolve(defWith(disk));
  await waitFor(() => storage.closed === 1, 5000, 'the idle storage connection to close');
  await volumes.resolve(defWith(disk));
  assert.is(opens(), 2);
  await volumes.close();
  assert.is(storage.closed, 2);
});

test.run();
