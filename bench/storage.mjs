#!/usr/bin/env node
/**
 * Storage workloads of issue 4 against a fresh virtstoraged (`--session` in a temp root),
 * the same definitions as bench/storage-libvirt.py so that ratios come from one run:
 *   node bench/storage.mjs volumes [--n 1000] [--list-calls 50]
 *   node bench/storage.mjs transfer --source FILE [--reps 1] [--no-cli]
 *   node bench/storage.mjs cp --source FILE [--reps 1]       (the physical limit: coreutils cp)
 *   node bench/storage.mjs make-source FILE                  (the 1 GiB sparse-ish image)
 * Prints one JSON line per workload (and per transfer mode). Transfers are timed from the
 * call to the data being where it belongs (an upload: synced by the daemon, as libvirt's
 * iohelper does; a download: written into the local file, unsynced, as virsh does), and
 * their bytes are checked by sha256. Before each timed step, the page cache of the files
 * it reads or writes (and only those) is flushed and dropped, so each step starts cold.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  buildPool,
  createVolume,
  definePool,
  deleteVolume,
  downloadVolume,
  getVolumePath,
  listAllVolumes,
  open,
  startPool,
  uploadVolume,
} from '@tsvirt/client';
import { daemonBin, makeTempRoot, removeTempRoot, spawnDaemon } from '@tsvirt/common/testing';

const IMPL = 'tsvirt-virtstoraged';
const LOAD_AT_START = loadavg();
const MiB = 1024 * 1024;
const REPO = dirname(dirname(fileURLToPath(import.meta.url)));
const TSVIRSH = join(REPO, 'tools', 'bin', 'tsvirsh.js');

// ---- statistics and machine facts, as bench/domain.mjs ----

function pct(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const k = Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[k];
}

const round = (value, digits) => Math.round(value * 10 ** digits) / 10 ** digits;
const now = () => Number(process.hrtime.bigint());

function loadavg() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** Other processes using noticeable CPU right now: the noise indicator of bench.py. */
function busyOthers() {
  const out = spawnSync('ps', ['-eo', 'pid,pcpu,comm', '--sort=-pcpu'], { encoding: 'utf8' }).stdout ?? '';
  const rows = [];
  for (const line of out.split('\n').slice(1, 6)) {
    const [pid, cpu, ...comm] = line.trim().split(/\s+/);
    if (Number(cpu) >= 5 && Number(pid) !== process.pid) rows.push(`${comm.join(' ')}:${cpu}%`);
  }
  return rows;
}

function emit(workload, params, results, variant = null, impl = IMPL) {
  const record = {
    workload,
    variant,
    impl,
    uri: impl === IMPL ? 'storage:///session' : null,
    params,
    results,
    host: hostname(),
    loadavg_start: LOAD_AT_START,
    loadavg_end: loadavg(),
    busy_procs_end: busyOthers(),
    ts: new Date().toISOString(),
  };
  console.log(JSON.stringify(record));
}

// ---- files ----

/** Writes back and drops the page cache of these files alone (GNU dd's documented idiom), never the whole machine's. */
function dropCache(...files) {
  for (const file of files) {
    execFileSync('dd', [`of=${file}`, 'oflag=nocache', 'conv=notrunc,fdatasync', 'count=0', 'status=none']);
  }
}

function sha256File(path) {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(path, { highWaterMark: 4 * MiB })
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolvePromise(hash.digest('hex')))
      .on('error', reject);
  });
}

const allocated = (path) => statSync(path).blocks * 512;

/**
 * The 1 GiB sparse-ish image: 256 extents of 1 MiB random data, one every 4 MiB, holes
 * elsewhere (256 MiB of data, 768 MiB of holes).
 */
function makeSource(path, sizeMiB = 1024, every = 4) {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  try {
    for (let mib = 0; mib < sizeMiB; mib += every) writeSync(fd, randomBytes(MiB), 0, MiB, mib * MiB);
    ftruncateSync(fd, sizeMiB * MiB);
  } finally {
    closeSync(fd);
  }
}

// ---- daemon ----

/** Runs `body(conn, env)` against a virtstoraged of its own in a fresh root; always stops it and removes the root. */
async function withDaemon(body) {
  const root = makeTempRoot();
  // BENCH_DAEMON_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=DIR`) go to the daemon's node
  // only; NODE_OPTIONS refuses --cpu-prof, so they go in front of the script through sh.
  const nodeArgs = process.env.BENCH_DAEMON_NODE_ARGS ?? '';
  const daemon = await spawnDaemon({
    script: daemonBin('virtstoraged'),
    args: ['--session'],
    root,
    waitForSocket: join(root, 'run', 'virtstoraged-sock'),
    wrapper: nodeArgs ? ['sh', '-c', `exec "$0" ${nodeArgs} "$@"`] : [],
  });
  const env = { ...process.env, TSVIRT_ROOT: root };
  let conn;
  try {
    conn = await open('storage:///session', { env, autostart: false });
    return await body(conn, { root, env });
  } catch (err) {
    process.stderr.write(`daemon output:\n${daemon.output()}\n`);
    throw err;
  } finally {
    await conn?.close().catch(() => undefined);
    await daemon.stop(10_000);
    removeTempRoot(root);
  }
}

async function dirPool(conn, name, path) {
  const ref = await definePool(
    conn,
    `<pool type='dir'><name>${name}</name><target><path>${path}</path></target></pool>`,
  );
  await buildPool(conn, ref.uuid);
  await startPool(conn, ref.uuid);
  return ref;
}

const volXml = (name, bytes, allocation) =>
  `<volume><name>${name}</name><capacity unit='bytes'>${bytes}</capacity>` +
  (allocation === undefined ? '' : `<allocation unit='bytes'>${allocation}</allocation>`) +
  `<target><format type='raw'/></target></volume>`;

// ---- volumes: create n, list, delete n ----

async function volumesWorkload({ n, listCalls }) {
  await withDaemon(async (conn, { root }) => {
    await dirPool(conn, 'bench', join(root, 'pool-bench'));
    const names = Array.from({ length: n }, (_, i) => `vol-${i}.raw`);
    let t0 = now();
    for (const name of names) await createVolume(conn, 'bench', volXml(name, MiB));
    const tCreate = (now() - t0) / 1e9;
    const listed = (await listAllVolumes(conn, 'bench')).length;
    const latList = [];
    for (let i = 0; i < listCalls; i++) {
      const s = now();
      await listAllVolumes(conn, 'bench');
      latList.push(now() - s);
    }
    t0 = now();
    for (const name of names) await deleteVolume(conn, { pool: 'bench', name });
    const tDelete = (now() - t0) / 1e9;
    const left = (await listAllVolumes(conn, 'bench')).length;
    emit(
      'volumes',
      { n, list_calls: listCalls, volume: '1 MiB raw, allocation = capacity (XML without <allocation>)' },
      {
        creates_per_s: round(n / tCreate, 1),
        create_total_s: round(tCreate, 3),
        listed,
        list_p50_us: round(pct(latList, 50) / 1000, 1),
        list_p90_us: round(pct(latList, 90) / 1000, 1),
        deletes_per_s: round(n / tDelete, 1),
        delete_total_s: round(tDelete, 3),
        left_after_delete: left,
      },
    );
  });
}

// ---- transfer: upload and download of the sparse-ish image ----

/** One timed step: `fn` after dropping the cache of `files`; returns seconds. */
async function timed(files, fn) {
  dropCache(...files);
  const t0 = now();
  await fn();
  return (now() - t0) / 1e9;
}

function rates(size, seconds) {
  return { seconds: round(seconds, 3), mib_per_s: round(size / MiB / seconds, 1) };
}

function runCli(env, args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [TSVIRSH, '-c', 'storage:///session', ...args], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`tsvirsh ${args.join(' ')}: ${err}`)),
    );
  });
}

async function transferWorkload({ source, reps, cli }) {
  const size = statSync(source).size;
  const want = await sha256File(source);
  await withDaemon(async (conn, { root, env }) => {
    await dirPool(conn, 'xfer', join(root, 'pool-xfer'));
    const vol = { pool: 'xfer', name: 'disk.raw' };
    await createVolume(conn, 'xfer', volXml(vol.name, size, 0));
    const volPath = await getVolumePath(conn, vol);
    const out = join(root, 'download.img');
    const modes = [
      { variant: 'client', sparse: false },
      { variant: 'client-sparse', sparse: true },
      ...(cli
        ? [
            { variant: 'tsvirsh', sparse: false, cli: true },
            { variant: 'tsvirsh-sparse', sparse: true, cli: true },
          ]
        : []),
    ];
    for (let rep = 0; rep < reps; rep++) {
      for (const mode of modes) {
        const flags = mode.sparse ? ['--sparse'] : [];
        const up = await timed([source, volPath], () =>
          mode.cli
            ? runCli(env, ['vol-upload', '--pool', 'xfer', vol.name, source, ...flags])
            : uploadVolume(conn, vol, source, { sparse: mode.sparse }),
        );
        const upOk = (await sha256File(volPath)) === want;
        const volAllocated = allocated(volPath);
        rmSync(out, { force: true });
        const down = await timed([volPath], () =>
          mode.cli
            ? runCli(env, ['vol-download', '--pool', 'xfer', vol.name, out, ...flags])
            : downloadVolume(conn, vol, out, { sparse: mode.sparse }),
        );
        const downOk = (await sha256File(out)) === want;
        const outAllocated = allocated(out);
        rmSync(out, { force: true });
        if (!upOk || !downOk) throw new Error(`${mode.variant}: sha256 mismatch (upload ${upOk}, download ${downOk})`);
        emit(
          'transfer',
          { size, source_allocated: allocated(source), rep, cache: 'cold: dd oflag=nocache per file before each step' },
          {
            upload: rates(size, up),
            download: rates(size, down),
            sha256_ok: upOk && downOk,
            volume_allocated: volAllocated,
            download_allocated: outAllocated,
          },
          mode.variant,
        );
      }
    }
  });
}

// ---- cp: the physical limit ----

/**
 * cp of the image into a fresh file, and of that copy back out: "upload" includes an
 * fdatasync of the copy (the daemon syncs an upload), "download" does not (neither virsh
 * nor the client sync a download).
 */
async function cpWorkload({ source, reps }) {
  const size = statSync(source).size;
  const want = await sha256File(source);
  const dir = makeTempRoot();
  try {
    const copy = join(dir, 'copy.img');
    const back = join(dir, 'back.img');
    const cp = (args, from, to, sync) =>
      new Promise((resolvePromise, reject) => {
        const child = spawn('cp', [...args, from, to], { stdio: 'inherit' });
        child.on('error', reject);
        child.on('exit', (code) => {
          if (code !== 0) return reject(new Error(`cp ${args.join(' ')} exited ${code}`));
          if (sync) spawnSync('sync', ['--data', to]);
          resolvePromise();
        });
      });
    for (let rep = 0; rep < reps; rep++) {
      for (const [variant, args] of [
        ['cp', []],
        ['cp-sparse-always', ['--sparse=always']],
        ['cp-sparse-never', ['--sparse=never']],
      ]) {
        rmSync(copy, { force: true });
        const up = await timed([source], () => cp(args, source, copy, true));
        const upOk = (await sha256File(copy)) === want;
        rmSync(back, { force: true });
        const down = await timed([copy], () => cp(args, copy, back, false));
        const downOk = (await sha256File(back)) === want;
        if (!upOk || !downOk) throw new Error(`${variant}: sha256 mismatch`);
        emit(
          'transfer',
          { size, source_allocated: allocated(source), rep, cache: 'cold: dd oflag=nocache per file before each step' },
          {
            upload: rates(size, up),
            download: rates(size, down),
            sha256_ok: true,
            volume_allocated: allocated(copy),
            download_allocated: allocated(back),
          },
          variant,
          'cp',
        );
        rmSync(back, { force: true });
      }
    }
  } finally {
    removeTempRoot(dir);
  }
}

// ---- main ----

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    n: { type: 'string', default: '1000' },
    'list-calls': { type: 'string', default: '50' },
    source: { type: 'string' },
    reps: { type: 'string', default: '1' },
    'no-cli': { type: 'boolean', default: false },
  },
});
const workload = positionals[0];
const needSource = () => {
  if (!values.source)
    throw new Error('--source FILE is needed (make one with: node bench/storage.mjs make-source FILE)');
  return resolve(values.source);
};
const workloads = {
  volumes: () => volumesWorkload({ n: Number(values.n), listCalls: Number(values['list-calls']) }),
  transfer: () => transferWorkload({ source: needSource(), reps: Number(values.reps), cli: !values['no-cli'] }),
  cp: () => cpWorkload({ source: needSource(), reps: Number(values.reps) }),
  'make-source': () => makeSource(resolve(positionals[1] ?? values.source)),
};
if (!workloads[workload]) {
  console.error(`unknown workload '${workload}': volumes, transfer, cp or make-source`);
  process.exit(2);
}
await workloads[workload]();
