/**
 * The commands the netfs and logical backends run, with the command runner injected:
 * what this host cannot do for real (it has no NFS client and no device-mapper, see
 * fs-pool.test.ts and logical-pool.test.ts for what it can) is checked here argv by argv,
 * against libvirt's mount command and the lvm invocations of storage_backend_logical.c.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pino from 'pino';
import { ErrorCode } from '@tsvirt/common';
import { rejectionOf } from '@tsvirt/common/testing';
import { poolDefFromXml, volDefFromXml, type PoolDef } from '../src/conf/index.js';
import type { CommandOptions, CommandResult, CommandRunner } from '../src/backends/host-command.js';
import { requireTools } from '../src/backends/host-command.js';
import { LogicalBackend } from '../src/backends/logical.js';
import { lvmConfig } from '../src/backends/lvm-command.js';
import { parseMountInfoLine } from '../src/backends/mount-table.js';
import { NetfsBackend } from '../src/backends/netfs.js';

interface Recorder {
  run: CommandRunner;
  calls: string[][];
  envs: (NodeJS.ProcessEnv | undefined)[];
}

/** A runner that records each argv and answers from `replies` (by command name), '' otherwise. */
function recorder(replies: Record<string, string> = {}): Recorder {
  const calls: string[][] = [];
  const envs: (NodeJS.ProcessEnv | undefined)[] = [];
  const run = async (argv: readonly string[], options?: CommandOptions): Promise<CommandResult> => {
    calls.push([...argv]);
    envs.push(options?.env);
    return { stdout: replies[argv[0]!] ?? '', exitCode: 0 };
  };
  return { run, calls, envs };
}

const log = pino({ level: 'silent' });

function netfsPool(target: string, source: string): PoolDef {
  return poolDefFromXml(`<pool type='netfs'><name>nfsp</name><source>${source}</source>
  <target><path>${target}</path></target></pool>`);
}

test('netfs: the mount command of each source format, as libvirt builds it', () => {
  const backend = new NetfsBackend(log, recorder().run);
  const t = '/srv/pool';
  const nfs4 = netfsPool(t, `<host name='127.0.0.1'/><dir path='/export'/><format type='nfs'/><protocol ver='4'/>`);
  assert.equal(backend.mountArgs(nfs4), ['-t', 'nfs', '127.0.0.1:/export', t, '-o', 'nfsvers=4']);
  const nfs = netfsPool(t, `<host name='nfs.example'/><dir path='/export'/><format type='nfs'/>`);
  assert.equal(backend.mountArgs(nfs), ['-t', 'nfs', 'nfs.example:/export', t]);
  const auto = netfsPool(t, `<host name='nfs.example'/><dir path='/export'/>`);
  assert.equal(backend.mountArgs(auto), ['nfs.example:/export', t]);
  const v6 = netfsPool(t, `<host name='fd00::1'/><dir path='/export'/><format type='nfs'/>`);
  assert.equal(backend.mountArgs(v6), ['-t', 'nfs', '[fd00::1]:/export', t]);
  const cifs = netfsPool(t, `<host name='smb.example'/><dir path='/share'/><format type='cifs'/>`);
  assert.equal(backend.mountArgs(cifs), ['-t', 'cifs', '//smb.example/share', t, '-o', 'guest']);
  const gluster = netfsPool(t, `<host name='gl.example'/><dir path='/vol0'/><format type='glusterfs'/>`);
  assert.equal(backend.mountArgs(gluster), ['-t', 'glusterfs', 'gl.example:/vol0', t, '-o', 'direct-io-mode=1']);
});

test('netfs: start makes the mount point and runs mount; stop of an unmounted pool runs nothing; refresh refuses a missing mount', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-netfs-'));
  try {
    const target = join(dir, 'a', 'mnt');
    const { run, calls } = recorder();
    const backend = new NetfsBackend(log, run);
    const pool = netfsPool(target, `<host name='127.0.0.1'/><dir path='/export'/><format type='nfs'/>`);
    await backend.start(pool);
    assert.ok(statSync(target).isDirectory());
    assert.equal(calls, [['mount', '-t', 'nfs', '127.0.0.1:/export', target]]);
    // The recorder mounted nothing: the target is not in the mount table, so there is nothing to unmount...
    await backend.stop(pool);
    assert.is(calls.length, 1);
    // ...and nothing to list: the bare mount point is not the share.
    const err = await rejectionOf(backend.refresh(pool, new Map()));
    assert.is(err.code, ErrorCode.OPERATION_INVALID);
    assert.match(err.message, `'127.0.0.1:/export' is not mounted on '${target}'`);
    // A daemon restart finds the pool no longer mounted: it is not resumed.
    await rejectionOf(backend.resume(pool));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mountinfo lines: target and source unescaped, fstype after the separator', () => {
  const line = '36 35 98:0 / /mnt/with\\040space rw,noatime master:1 - nfs 127.0.0.1:/export rw,vers=4';
  assert.equal(parseMountInfoLine(line), { target: '/mnt/with space', fstype: 'nfs', source: '127.0.0.1:/export' });
  assert.is(parseMountInfoLine('garbage'), undefined);
});

test('tools: a missing tool is named with its package', async () => {
  const err = await rejectionOf(requireTools('logical', { 'tsv-no-such-tool': 'lvm2', sh: 'dash' }));
  assert.is(err.code, ErrorCode.OPERATION_INVALID);
  assert.is(err.message, "storage pool type 'logical' needs tsv-no-such-tool (lvm2), which is not installed");
});

const VG = 'tsvvgunit';
const DEV = '/dev/loop9';

function logicalPool(): PoolDef {
  return poolDefFromXml(`<pool type='logical'><name>${VG}</name><source><device path='${DEV}'/></source></pool>`);
}

function lvsReply(rows: Record<string, string>[]): string {
  return JSON.stringify({ report: [{ lv: rows }] });
}

const LV1 = {
  lv_name: 'lv1',
  lv_path: `/dev/${VG}/lv1`,
  lv_size: '8388608',
  lv_uuid: 'abc-123',
  lv_attr: '-wi-a-----',
};

test('lvm: every command is confined to the pool devices by a filter, and quiet about descriptors', () => {
  assert.equal(lvmConfig(['/dev/loop9'], true), ['--config', 'devices { filter=["a|^\\/dev\\/loop9$|","r|.*|"] }']);
  assert.equal(lvmConfig(['/dev/loop9'], false), [
    '--config',
    'devices { filter=["a|^\\/dev\\/loop9$|","r|.*|"] } activation { udev_sync=0 udev_rules=0 verify_udev_operations=1 }',
  ]);
});

test('logical: create, resize, wipe-free delete and refresh run the lvm commands libvirt runs', async () => {
  const { run, calls, envs } = recorder({
    lvs: lvsReply([LV1]),
    vgs: JSON.stringify({ report: [{ vg: [{ vg_name: VG, vg_size: '62914560', vg_free: '54525952' }] }] }),
  });
  const backend = new LogicalBackend(run, async () => true);
  const pool = logicalPool();
  const strip = (argv: string[]): string[] => argv.filter((a, i) => a !== '--config' && argv[i - 1] !== '--config');

  const vol = await backend.createVol(
    pool,
    volDefFromXml(`<volume><name>lv1</name><capacity unit='MiB'>8</capacity></volume>`, pool),
  );
  assert.equal(strip(calls[0]!), ['lvcreate', '--yes', '--name', 'lv1', '--size', `${8 * 1024 * 1024}b`, VG]);
  assert.ok(calls[0]!.includes('--config'), 'filtered');
  assert.is(envs[0]?.LVM_SUPPRESS_FD_WARNINGS, '1');
  assert.equal(vol.def, {
    name: 'lv1',
    key: 'abc-123',
    type: 'block',
    capacity: 8388608,
    allocation: 8388608,
    physical: 8388608,
    target: { path: `/dev/${VG}/lv1` },
  });

  calls.length = 0;
  await backend.resizeVol(pool, vol, 4 * 1024 * 1024, { shrink: true });
  assert.equal(strip(calls[0]!), ['lvresize', '--force', '--size', '4194304b', `${VG}/lv1`]);
  calls.length = 0;
  await backend.resizeVol(pool, vol, 16 * 1024 * 1024, {});
  assert.equal(strip(calls[0]!), ['lvresize', '--size', '16777216b', `${VG}/lv1`]);

  calls.length = 0;
  await backend.deleteVol(pool, vol, {});
  assert.equal(calls.map(strip), [['lvremove', '-f', `${VG}/lv1`]]);

  const refreshed = await backend.refresh(pool);
  assert.equal(
    { capacity: refreshed.capacity, allocation: refreshed.allocation, available: refreshed.available },
    { capacity: 62914560, allocation: 62914560 - 54525952, available: 54525952 },
  );
  assert.equal(
    refreshed.volumes.map((v) => v.def.name),
    ['lv1'],
  );

  calls.length = 0;
  await backend.start(pool);
  await backend.stop(pool);
  await backend.delete(pool);
  assert.equal(calls.map(strip), [
    ['vgchange', '-aly', VG],
    ['vgchange', '-aln', VG],
    ['vgremove', '-f', VG],
    ['pvremove', DEV],
  ]);
});

test('logical: a thin pool is not a volume; sparse, backed and device-mapper-less creates are refused before lvm runs', async () => {
  const thinPool = { ...LV1, lv_name: 'tp', lv_attr: 'twi-a-tz--' };
  const { run, calls } = recorder({
    lvs: lvsReply([LV1, thinPool]),
    vgs: JSON.stringify({ report: [{ vg: [{ vg_size: '10', vg_free: '5' }] }] }),
  });
  const pool = logicalPool();
  assert.equal(
    (await new LogicalBackend(run, async () => true).refresh(pool)).volumes.map((v) => v.def.name),
    ['lv1'],
  );
  calls.length = 0;
  const backend = new LogicalBackend(run, async () => true);
  const sparse = volDefFromXml(`<volume><name>s</name><capacity>8</capacity><allocation>0</allocation></volume>`, pool);
  assert.is((await rejectionOf(backend.createVol(pool, sparse))).code, ErrorCode.CONFIG_UNSUPPORTED);
  const noDm = new LogicalBackend(run, async () => false);
  const plain = volDefFromXml(`<volume><name>p</name><capacity>8</capacity></volume>`, pool);
  const err = await rejectionOf(noDm.createVol(pool, plain));
  assert.is(err.code, ErrorCode.OPERATION_UNSUPPORTED);
  assert.match(err.message, 'the kernel has no device-mapper');
  assert.equal(calls, []);
});

test.run();
