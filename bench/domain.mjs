#!/usr/bin/env node
/**
 * Domain workloads against a fresh virtqemud (`--session --root` under a temp dir), the
 * same definitions as ../shared/bench-libvirt/bench.py so that ratios come from one run:
 *   node bench/domain.mjs define_scale [--n 1000] [--list-calls 50]
 *   node bench/domain.mjs lifecycle [--type kvm|qemu] [--cycles 20]
 *   node bench/domain.mjs events [--type kvm|qemu] [--cycles 20]
 *   node bench/domain.mjs daemon_start [--runs 5]
 *   node bench/domain.mjs all          (each of the above, kvm and qemu lifecycles)
 * Prints one JSON line per workload, with bench.py's field names. Each workload gets its
 * own daemon; BENCH_DAEMON_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) go to
 * that daemon's node only, to profile it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  DomainEventType,
  DomainState,
  defineDomain,
  destroyDomain,
  domainLifecycle,
  getDomainState,
  getDomainXML,
  listAllDomains,
  lookupDomainByName,
  open,
  startDomain,
  undefineDomain,
} from '@tsvirt/client';
import {
  daemonBin,
  killProcessesMentioning,
  makeTempRoot,
  removeTempRoot,
  socketAnswers,
} from '@tsvirt/common/testing';

const IMPL = 'tsvirt-virtqemud';
const LOAD_AT_START = loadavg();

function minimalXml(name, type = 'kvm') {
  return (
    `<domain type='${type}'>` +
    `<name>${name}</name>` +
    "<memory unit='MiB'>64</memory>" +
    '<vcpu>1</vcpu>' +
    "<os><type arch='x86_64' machine='pc'>hvm</type></os>" +
    '</domain>'
  );
}

// ---- the statistics of bench.py: nearest-rank percentiles, same keys and rounding ----

function pct(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const k = Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[k];
}

const round = (value, digits) => Math.round(value * 10 ** digits) / 10 ** digits;
const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;

function latStatsUs(ns) {
  const us = ns.map((x) => x / 1000);
  return {
    p50_us: round(pct(us, 50), 1),
    p90_us: round(pct(us, 90), 1),
    p99_us: round(pct(us, 99), 1),
    max_us: round(Math.max(...us), 1),
    mean_us: round(mean(us), 1),
  };
}

function latStatsMs(ns) {
  const ms = ns.map((x) => x / 1e6);
  return {
    p50_ms: round(pct(ms, 50), 2),
    p90_ms: round(pct(ms, 90), 2),
    min_ms: round(Math.min(...ms), 2),
    max_ms: round(Math.max(...ms), 2),
    mean_ms: round(mean(ms), 2),
  };
}

const now = () => Number(process.hrtime.bigint());

// ---- machine and process facts ----

function loadavg() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** VmRSS or RssAnon of `pid` in KiB, as bench.py reads them. */
function rssKib(pid, field = 'VmRSS') {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${field}:`));
    return line ? Number(line.split(/\s+/)[1]) : null;
  } catch {
    return null;
  }
}

/** Other processes using noticeable CPU right now: the noise indicator of bench.py. */
function busyOthers() {
  return new Promise((resolve) => {
    const ps = spawn('ps', ['-eo', 'pid,pcpu,comm', '--sort=-pcpu']);
    let out = '';
    ps.stdout.on('data', (chunk) => (out += chunk));
    ps.on('close', () => {
      const rows = [];
      for (const line of out.split('\n').slice(1, 6)) {
        const [pid, cpu, ...comm] = line.trim().split(/\s+/);
        if (Number(cpu) >= 5 && Number(pid) !== process.pid) rows.push(`${comm.join(' ')}:${cpu}%`);
      }
      resolve(rows);
    });
    ps.on('error', () => resolve([]));
  });
}

async function emit(workload, params, results, variant = null) {
  const record = {
    workload,
    variant,
    impl: IMPL,
    uri: 'qemu:///session',
    params,
    results,
    host: hostname(),
    loadavg_start: LOAD_AT_START,
    loadavg_end: loadavg(),
    busy_procs_end: await busyOthers(),
    ts: new Date().toISOString(),
  };
  console.log(JSON.stringify(record));
}

/**
 * Starts virtqemud in `root` and waits for its socket; BENCH_DAEMON_NODE_ARGS (e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof`) go to its node, to profile it.
 */
async function startDaemon(root) {
  const nodeArgs = (process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, daemonBin('virtqemud'), '--session', '--root', root], {
    env: { ...process.env, TSVIRT_ROOT: root },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const socket = join(root, 'run', 'virtqemud-sock');
  const deadline = Date.now() + 30_000;
  while (!(await socketAnswers(socket))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`virtqemud did not start: ${output}`);
    }
    await sleep(5);
  }
  return { pid: child.pid, output: () => output, stop };
}

/** Runs `body(conn, daemon)` against a daemon of its own in a fresh root; always stops it and removes the root. */
async function withDaemon(body) {
  const root = makeTempRoot();
  const daemon = await startDaemon(root);
  const env = { ...process.env, TSVIRT_ROOT: root };
  let conn;
  try {
    conn = await open('qemu:///session', { env, autostart: false });
    return await body(conn, daemon);
  } catch (err) {
    process.stderr.write(`daemon output:\n${daemon.output()}\n`);
    throw err;
  } finally {
    await conn?.close().catch(() => undefined);
    await daemon.stop();
    // A run that failed half-way may leave a QEMU, which outlives its daemon: ours name the root.
    const leftovers = killProcessesMentioning(root);
    if (leftovers.length > 0) process.stderr.write(`killed leftover processes ${leftovers.join(' ')}\n`);
    removeTempRoot(root);
  }
}

// ---- define_scale ----

async function defineScale({ n, listCalls, type }) {
  await withDaemon(async (conn, daemon) => {
    const pid = daemon.pid;
    await sleep(1000);
    const rssBefore = rssKib(pid);
    const anonBefore = rssKib(pid, 'RssAnon');
    const names = Array.from({ length: n }, (_, i) => `bench-${i}`);
    const xmls = names.map((name) => minimalXml(name, type));

    const doms = [];
    const latDef = [];
    let t0 = now();
    for (const xml of xmls) {
      const s = now();
      doms.push(await defineDomain(conn, xml));
      latDef.push(now() - s);
    }
    const tDef = (now() - t0) / 1e9;

    const defined = (await listAllDomains(conn)).length;
    const latList = [];
    for (let i = 0; i < listCalls; i++) {
      const s = now();
      await listAllDomains(conn);
      latList.push(now() - s);
    }

    const latLx = [];
    t0 = now();
    for (const name of names) {
      const s = now();
      const ref = await lookupDomainByName(conn, name);
      await getDomainXML(conn, ref.uuid);
      latLx.push(now() - s);
    }
    const tLx = (now() - t0) / 1e9;

    await sleep(1000);
    const rssFull = rssKib(pid);
    const anonFull = rssKib(pid, 'RssAnon');

    const latUndef = [];
    t0 = now();
    for (const dom of doms) {
      const s = now();
      await undefineDomain(conn, dom.uuid);
      latUndef.push(now() - s);
    }
    const tUndef = (now() - t0) / 1e9;
    await sleep(1000);
    const rssAfter = rssKib(pid);
    const anonAfter = rssKib(pid, 'RssAnon');
    const remaining = (await listAllDomains(conn)).length;

    await emit(
      'define_scale',
      { n, type, list_calls: listCalls },
      {
        defined,
        define_total_s: round(tDef, 3),
        defines_per_s: round(n / tDef, 1),
        define_lat: latStatsUs(latDef),
        list_1000_p50_us: round(pct(latList, 50) / 1000, 1),
        list_1000: latStatsUs(latList),
        lookup_xmldesc_total_s: round(tLx, 3),
        lookup_xmldesc_per_s: round(n / tLx, 1),
        lookup_xmldesc_lat: latStatsUs(latLx),
        undefine_total_s: round(tUndef, 3),
        undefines_per_s: round(n / tUndef, 1),
        undefine_lat: latStatsUs(latUndef),
        rss_kib_before: rssBefore,
        rss_kib_1000_defined: rssFull,
        rss_kib_after: rssAfter,
        rss_anon_kib_before: anonBefore,
        rss_anon_kib_1000_defined: anonFull,
        rss_anon_kib_after: anonAfter,
        domains_remaining: remaining,
        daemon_pid: pid,
      },
    );
  });
}

// ---- lifecycle ----

/** define → start → poll state until RUNNING (1 ms apart, as bench.py) → destroy → undefine. */
async function oneCycle(conn, name, type) {
  const c0 = now();
  const { uuid } = await defineDomain(conn, minimalXml(name, type));
  const c1 = now();
  await startDomain(conn, uuid);
  const c2 = now();
  let polls = 0;
  for (;;) {
    polls++;
    if ((await getDomainState(conn, uuid)).state === DomainState.RUNNING) break;
    if (now() - c2 > 30e9) throw new Error(`domain ${name} did not reach RUNNING in 30 s`);
    await sleep(1);
  }
  const c3 = now();
  await destroyDomain(conn, uuid);
  const c4 = now();
  await undefineDomain(conn, uuid);
  const c5 = now();
  return {
    define: c1 - c0,
    start: c2 - c1,
    wait_running: c3 - c2,
    destroy: c4 - c3,
    undefine: c5 - c4,
    cycle: c5 - c0,
    polls,
  };
}

async function lifecycle({ type, cycles, warmup }) {
  await withDaemon(async (conn) => {
    for (let w = 0; w < warmup; w++) await oneCycle(conn, `lc-warm-${w}`, type);
    const rows = [];
    for (let i = 0; i < cycles; i++) rows.push(await oneCycle(conn, `lc-${i}`, type));
    const results = {};
    for (const key of ['define', 'start', 'wait_running', 'destroy', 'undefine', 'cycle']) {
      results[key] = latStatsMs(rows.map((r) => r[key]));
    }
    results.max_polls = Math.max(...rows.map((r) => r.polls));
    await emit('lifecycle', { cycles, warmup, type, memory_mib: 64, vcpus: 1 }, results, type);
  });
}

// ---- events ----

/**
 * Lifecycle event latency as bench.py defines it: the arrival of STARTED (STOPPED) at the
 * client, relative to the create (destroy) call returning (negative: the event came
 * first) and to the call starting.
 */
async function events({ type, cycles, warmup }) {
  await withDaemon(async (conn) => {
    const seen = [];
    const waiters = [];
    const subscription = await conn.subscribe(domainLifecycle, (e) => {
      const t = now();
      seen.push({ name: e.name, event: e.event, t });
      for (const waiter of [...waiters]) waiter();
    });
    const waitFor = (name, event) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const hit = seen.find((e) => e.name === name && e.event === event);
          if (!hit) return false;
          waiters.splice(waiters.indexOf(check), 1);
          clearTimeout(timer);
          resolve(hit.t);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          reject(new Error(`no event ${event} for ${name}`));
        }, 30_000);
        waiters.push(check);
        check();
      });
    const rows = [];
    for (let i = -warmup; i < cycles; i++) {
      const name = i >= 0 ? `ev-${i}` : `ev-warm${-i}`;
      const { uuid } = await defineDomain(conn, minimalXml(name, type));
      const s0 = now();
      await startDomain(conn, uuid);
      const s1 = now();
      const te = await waitFor(name, DomainEventType.STARTED);
      const d0 = now();
      await destroyDomain(conn, uuid);
      const d1 = now();
      const de = await waitFor(name, DomainEventType.STOPPED);
      await undefineDomain(conn, uuid);
      if (i >= 0) {
        rows.push({
          start_ret_to_evt: te - s1,
          start_call_to_evt: te - s0,
          start_call: s1 - s0,
          destroy_ret_to_evt: de - d1,
          destroy_call_to_evt: de - d0,
          destroy_call: d1 - d0,
        });
      }
    }
    await subscription.close();
    const results = {};
    for (const key of Object.keys(rows[0])) {
      const v = rows.map((r) => r[key] / 1000);
      results[`${key}_us`] = {
        p50: round(pct(v, 50), 1),
        p90: round(pct(v, 90), 1),
        min: round(Math.min(...v), 1),
        max: round(Math.max(...v), 1),
      };
    }
    results.events_seen = seen.length;
    await emit('events', { cycles, warmup, type }, results, type);
  });
}

// ---- daemon_start ----

/**
 * launch → first answered call: t0 just before spawning the daemon, then connect and
 * call getVersion back to back (1 ms apart) until one answers; idle RSS 2 s later.
 * libvirt's figure polls with `virsh version` processes, whose own cost bench.py reports
 * as virsh_version_on_running_daemon_ms; the comparable one here is an in-process call
 * (first_call_on_running_daemon_ms).
 */
async function daemonStart({ runs }) {
  const rows = [];
  for (let r = 0; r < runs; r++) {
    const root = makeTempRoot();
    const env = { ...process.env, TSVIRT_ROOT: root };
    const t0 = now();
    const child = spawn(process.execPath, [daemonBin('virtqemud'), '--session', '--root', root], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      let attempts = 0;
      for (;;) {
        attempts++;
        try {
          const conn = await open('qemu:///session', { env, autostart: false });
          await conn.getVersion();
          await conn.close();
          break;
        } catch (err) {
          if (child.exitCode !== null) throw new Error(`virtqemud exited: ${stderr}`);
          if (now() - t0 > 120e9) throw new Error(`virtqemud did not answer within 120 s: ${err.message}`);
          await sleep(1);
        }
      }
      const t1 = now();
      await sleep(2000);
      const onRunning = [];
      for (let i = 0; i < 5; i++) {
        const s = now();
        const conn = await open('qemu:///session', { env, autostart: false });
        await conn.getVersion();
        await conn.close();
        onRunning.push((now() - s) / 1e6);
      }
      rows.push({
        start_to_first_call_ms: round((t1 - t0) / 1e6, 1),
        first_call_on_running_daemon_ms: round(pct(onRunning, 50), 1),
        attempts,
        rss_kib_idle: rssKib(child.pid),
        rss_anon_kib_idle: rssKib(child.pid, 'RssAnon'),
      });
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      removeTempRoot(root);
    }
  }
  const median = (key) =>
    pct(
      rows.map((x) => x[key]),
      50,
    );
  const starts = rows.map((x) => x.start_to_first_call_ms);
  await emit(
    'daemon_start',
    { runs },
    {
      runs: rows,
      start_ms_p50: median('start_to_first_call_ms'),
      start_ms_min: Math.min(...starts),
      start_ms_max: Math.max(...starts),
      first_call_on_running_daemon_ms_p50: median('first_call_on_running_daemon_ms'),
      rss_kib_idle_p50: median('rss_kib_idle'),
      rss_anon_kib_idle_p50: median('rss_anon_kib_idle'),
    },
    'warm',
  );
}

// ---- command line ----

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    n: { type: 'string', default: '1000' },
    'list-calls': { type: 'string', default: '50' },
    type: { type: 'string', default: 'kvm' },
    cycles: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '1' },
    runs: { type: 'string', default: '5' },
  },
});
const workload = positionals[0] ?? 'all';
if (!['kvm', 'qemu'].includes(values.type)) throw new Error(`--type must be kvm or qemu, not '${values.type}'`);
const common = { type: values.type, cycles: Number(values.cycles), warmup: Number(values.warmup) };
const run = {
  define_scale: () => defineScale({ n: Number(values.n), listCalls: Number(values['list-calls']), type: values.type }),
  lifecycle: () => lifecycle(common),
  events: () => events(common),
  daemon_start: () => daemonStart({ runs: Number(values.runs) }),
  all: async () => {
    await defineScale({ n: Number(values.n), listCalls: Number(values['list-calls']), type: 'kvm' });
    await lifecycle({ ...common, type: 'kvm' });
    await lifecycle({ ...common, type: 'qemu' });
    await events({ ...common, type: 'kvm' });
    await daemonStart({ runs: Number(values.runs) });
  },
}[workload];
if (!run) {
  console.error(`unknown workload '${workload}': define_scale, lifecycle, events, daemon_start or all`);
  process.exit(2);
}
await run();
