#!/usr/bin/env node
/**
 * Network workloads of issue 5 against a fresh virtnetworkd (`--session` in a temp root),
 * the same definitions as bench/network-libvirt.py so that ratios come from one run:
 *   node bench/network.mjs lifecycle [--cycles 20] [--warmup 1]
 *   node bench/network.mjs scale [--n 100]
 *   node bench/network.mjs all
 * Starting a network creates a bridge, a dnsmasq, nftables rules and writes ip_forward,
 * so this refuses to run outside a `tsv-*` network namespace: bench/compare-network.sh
 * runs it under `ip netns exec`, and the daemon, its dnsmasqs and its nft and ip commands
 * inherit that namespace. Prints one JSON line per workload, with network-libvirt.py's
 * field names; each workload gets its own daemon. BENCH_DAEMON_NODE_ARGS (e.g.
 * `--cpu-prof --cpu-prof-dir=DIR`) go to that daemon's node only; BENCH_DAEMON_WRAPPER
 * (e.g. `strace -f -ttt -e trace=execve,exit_group -o FILE`) goes in front of it, to see
 * where a start or destroy spends its time.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { defineNetwork, destroyNetwork, listAllNetworks, open, startNetwork, undefineNetwork } from '@tsvirt/client';
import { daemonBin, killProcessesMentioning, makeTempRoot, removeTempRoot, spawnDaemon } from '@tsvirt/common/testing';

const IMPL = 'tsvirt-virtnetworkd';
const URI = 'network:///session';
const LOAD_AT_START = loadavg();
const GONE_TIMEOUT_MS = 10_000;

/** The network of both sides: NAT, a bridge of our naming, a /24 with a DHCP range. */
function natXml(name, bridge, thirdOctet, secondOctet = 200) {
  const net = `10.${secondOctet}.${thirdOctet}`;
  return (
    `<network><name>${name}</name><forward mode='nat'/>` +
    `<bridge name='${bridge}' stp='on' delay='0'/>` +
    `<ip address='${net}.1' netmask='255.255.255.0'>` +
    `<dhcp><range start='${net}.2' end='${net}.254'/></dhcp></ip></network>`
  );
}

// ---- statistics and machine facts, as bench/domain.mjs ----

function pct(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const k = Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[k];
}

const round = (value, digits) => Math.round(value * 10 ** digits) / 10 ** digits;
const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
const now = () => Number(process.hrtime.bigint());

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

function loadavg() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

function statusField(pid, field) {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${field}:`));
    return line ? line.split(/\s+/)[1] : null;
  } catch {
    return null;
  }
}

/** VmRSS or RssAnon of `pid` in KiB, as bench.py reads them. */
function rssKib(pid, field = 'VmRSS') {
  const value = statusField(pid, field);
  return value === null ? null : Number(value);
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
    uri: URI,
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

// ---- what a network leaves in this namespace ----

const MY_NETNS = readlinkSync('/proc/self/ns/net');

function refuseHostNetns() {
  let here = '';
  try {
    here = execFileSync('ip', ['netns', 'identify', String(process.pid)], { encoding: 'utf8' }).trim();
  } catch {
    // no name: not one of ours
  }
  if (!here.startsWith('tsv-')) {
    console.error('network.mjs: refusing to run outside a tsv-* network namespace (use bench/compare-network.sh)');
    process.exit(2);
  }
}

/**
 * The live (non-zombie) dnsmasq processes in this network namespace: Map pid → { ppid, rss }.
 * A dnsmasq with a dhcp-script has a forked helper, also named dnsmasq.
 */
function dnsmasqsHere() {
  const found = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/net`) !== MY_NETNS) continue;
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'dnsmasq') continue;
    } catch {
      continue;
    }
    const state = statusField(entry, 'State');
    if (state && state !== 'Z') {
      found.set(Number(entry), { ppid: Number(statusField(entry, 'PPid') ?? 0), rss: rssKib(entry) ?? 0 });
    }
  }
  return found;
}

/** One per network: the dnsmasqs whose parent is not a dnsmasq. */
const dnsmasqInstances = (found) => [...found].filter(([, { ppid }]) => !found.has(ppid)).map(([pid]) => pid);

/** Every link name in this namespace (one `ip` call, cheaper than one per bridge). */
function linksHere() {
  const out = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  return new Set(
    out
      .split('\n')
      .map((line) => line.split(': ')[1]?.split('@')[0])
      .filter(Boolean),
  );
}

async function waitUntil(what, fn) {
  const deadline = Date.now() + GONE_TIMEOUT_MS;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`network.mjs: ${what} not within ${GONE_TIMEOUT_MS / 1000} s`);
    await sleep(10);
  }
}

// ---- daemon ----

/** Runs `body(conn, daemon)` against a virtnetworkd of its own in a fresh root; always stops it and removes the root. */
async function withDaemon(body) {
  const root = makeTempRoot();
  // NODE_OPTIONS refuses --cpu-prof, so node arguments go in front of the script through sh.
  const nodeArgs = process.env.BENCH_DAEMON_NODE_ARGS ?? '';
  const wrapper = (process.env.BENCH_DAEMON_WRAPPER ?? '').split(' ').filter(Boolean);
  const daemon = await spawnDaemon({
    script: daemonBin('virtnetworkd'),
    args: ['--session', '--root', root],
    root,
    waitForSocket: join(root, 'run', 'virtnetworkd-sock'),
    wrapper: [...wrapper, ...(nodeArgs ? ['sh', '-c', `exec "$0" ${nodeArgs} "$@"`] : [])],
  });
  const env = { ...process.env, TSVIRT_ROOT: root };
  let conn;
  try {
    conn = await open(URI, { env, autostart: false });
    return await body(conn, daemon);
  } catch (err) {
    process.stderr.write(`daemon output:\n${daemon.output()}\n`);
    throw err;
  } finally {
    await conn?.close().catch(() => undefined);
    await daemon.stop(10_000);
    // A run that failed half-way may leave dnsmasqs, which outlive their daemon: ours name the root.
    const leftovers = killProcessesMentioning(root);
    if (leftovers.length > 0) process.stderr.write(`killed leftover processes ${leftovers.join(' ')}\n`);
    removeTempRoot(root);
  }
}

// ---- lifecycle: define → start → destroy → undefine ----

async function oneCycle(conn, name, bridge) {
  const c0 = now();
  const { uuid } = await defineNetwork(conn, natXml(name, bridge, 0, 199));
  const c1 = now();
  await startNetwork(conn, uuid);
  const c2 = now();
  const bridgeUp = linksHere().has(bridge);
  const dnsmasqs = dnsmasqInstances(dnsmasqsHere());
  const c3 = now();
  await destroyNetwork(conn, uuid);
  const c4 = now();
  await undefineNetwork(conn, uuid);
  const c5 = now();
  if (!bridgeUp || dnsmasqs.length !== 1) {
    throw new Error(`after net-start of ${name}: bridge ${bridge} there: ${bridgeUp}, dnsmasq instances ${dnsmasqs}`);
  }
  await waitUntil(
    `bridge ${bridge} and dnsmasq gone after net-destroy`,
    () => !linksHere().has(bridge) && dnsmasqsHere().size === 0,
  );
  return { define: c1 - c0, start: c2 - c1, destroy: c4 - c3, undefine: c5 - c4, cycle: c5 - c0 - (c3 - c2) };
}

async function lifecycle({ cycles, warmup }) {
  await withDaemon(async (conn) => {
    for (let w = 0; w < warmup; w++) await oneCycle(conn, `bench-warm-${w}`, 'bnat0');
    const runs = [];
    for (let i = 0; i < cycles; i++) runs.push(await oneCycle(conn, `bench-nat-${i}`, 'bnat0'));
    const results = {};
    for (const k of ['define', 'start', 'destroy', 'undefine', 'cycle']) results[k] = latStatsMs(runs.map((r) => r[k]));
    await emit(
      'lifecycle',
      {
        cycles,
        warmup,
        network: 'nat, dhcp range, stp on delay 0',
        xml: natXml('NAME', 'bnat0', 0, 199),
      },
      results,
      'nat-dhcp',
    );
  });
}

// ---- scale: n networks defined and started, then destroyed and undefined ----

async function scale({ n }) {
  await withDaemon(async (conn, daemon) => {
    const pid = daemon.pid;
    const bridges = Array.from({ length: n }, (_, i) => `bnet${i}`);
    await sleep(1000);
    const rssBefore = rssKib(pid);
    const anonBefore = rssKib(pid, 'RssAnon');
    const uuids = [];
    const latDefine = [];
    const latStart = [];
    let t0 = now();
    for (let i = 0; i < n; i++) {
      const s = now();
      const { uuid } = await defineNetwork(conn, natXml(`bench-${i}`, bridges[i], i));
      const s1 = now();
      await startNetwork(conn, uuid);
      latStart.push(now() - s1);
      latDefine.push(s1 - s);
      uuids.push(uuid);
    }
    const tUp = (now() - t0) / 1e9;
    const active = (await listAllNetworks(conn, { active: true })).length;
    const links = linksHere();
    const bridgesUp = bridges.filter((b) => links.has(b)).length;
    const dnsmasqs = dnsmasqsHere();
    await sleep(1000);
    const rssFull = rssKib(pid);
    const anonFull = rssKib(pid, 'RssAnon');
    const latDestroy = [];
    const latUndefine = [];
    t0 = now();
    for (const uuid of uuids) {
      const s = now();
      await destroyNetwork(conn, uuid);
      const s1 = now();
      await undefineNetwork(conn, uuid);
      latUndefine.push(now() - s1);
      latDestroy.push(s1 - s);
    }
    const tDown = (now() - t0) / 1e9;
    const remaining = (await listAllNetworks(conn)).length;
    await waitUntil('all bridges and dnsmasqs gone after destroying the networks', () => {
      const left = linksHere();
      return dnsmasqsHere().size === 0 && !bridges.some((b) => left.has(b));
    });
    await sleep(1000);
    const rssAfter = rssKib(pid);
    const anonAfter = rssKib(pid, 'RssAnon');
    const instances = dnsmasqInstances(dnsmasqs).length;
    const tenth = Math.max(1, Math.floor(n / 10));
    if (active !== n || bridgesUp !== n || instances !== n) {
      throw new Error(`${n} started, but ${active} active, ${bridgesUp} bridges, ${instances} dnsmasq instances`);
    }
    await emit(
      'scale',
      { n, network: 'nat, 10.200.N.0/24, dhcp .2-.254, bridge bnetN' },
      {
        define_start_total_s: round(tUp, 3),
        define_lat: latStatsMs(latDefine),
        start_lat: latStatsMs(latStart),
        // does a start get slower with more networks running? (first and last tenth)
        start_first_tenth_p50_ms: round(pct(latStart.slice(0, tenth), 50) / 1e6, 2),
        start_last_tenth_p50_ms: round(pct(latStart.slice(-tenth), 50) / 1e6, 2),
        destroy_undefine_total_s: round(tDown, 3),
        destroy_lat: latStatsMs(latDestroy),
        undefine_lat: latStatsMs(latUndefine),
        active_with_n: active,
        bridges_with_n: bridgesUp,
        dnsmasqs_with_n: instances,
        dnsmasq_processes_with_n: dnsmasqs.size,
        dnsmasq_rss_kib_total: [...dnsmasqs.values()].reduce((sum, d) => sum + d.rss, 0),
        networks_remaining: remaining,
        rss_kib_before: rssBefore,
        rss_kib_n_running: rssFull,
        rss_kib_after: rssAfter,
        rss_anon_kib_before: anonBefore,
        rss_anon_kib_n_running: anonFull,
        rss_anon_kib_after: anonAfter,
        daemon_pid: pid,
      },
    );
  });
}

// ---- main ----

refuseHostNetns();
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    cycles: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '1' },
    n: { type: 'string', default: '100' },
  },
});
const workloads = {
  lifecycle: () => lifecycle({ cycles: Number(values.cycles), warmup: Number(values.warmup) }),
  scale: () => scale({ n: Number(values.n) }),
  all: async () => {
    await workloads.lifecycle();
    await workloads.scale();
  },
};
const workload = positionals[0];
if (!workloads[workload]) {
  console.error(`unknown workload '${workload}': lifecycle, scale or all`);
  process.exit(2);
}
await workloads[workload]();
