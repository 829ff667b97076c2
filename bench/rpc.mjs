#!/usr/bin/env node
/**
 * RPC throughput and latency against a fresh virtqemud, the same workloads as
 * ../shared/bench-libvirt (rpc_seq, rpc_concurrent) so ratios come from one run.
 *   node bench/rpc.mjs seq|concurrent|all
 * Prints one JSON line per workload.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { listAllDomains, open } from '@tsvirt/client';
import { makeTempRoot, removeTempRoot, spawnNamedDaemon } from '@tsvirt/common/testing';

const WARMUP = 200;
const SEQ_CALLS = 20000;
const CLIENTS = 16;
const CALLS_PER_CLIENT = 5000;
const CLIENT_WARMUP = 50;

function percentiles(samplesNs) {
  const sorted = Float64Array.from(samplesNs).sort();
  const at = (q) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] / 100) / 10;
  return { p50_us: at(0.5), p90_us: at(0.9), p99_us: at(0.99), max_us: at(1) };
}

async function timedCalls(call, count) {
  const samples = new Float64Array(count);
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await call();
    samples[i] = Number(process.hrtime.bigint() - t0);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, samples };
}

/** The calls both benchmarks make, as libvirt's bench.py makes them: getVersion, and listAllDomains with 0 domains. */
const CALLS = {
  getVersion: (conn) => conn.getVersion(),
  listAllDomains: (conn) => listAllDomains(conn),
};

async function sequential(env, name) {
  const conn = await open('qemu:///session', { env, autostart: false });
  const call = () => CALLS[name](conn);
  for (let i = 0; i < WARMUP; i++) await call();
  const { seconds, samples } = await timedCalls(call, SEQ_CALLS);
  await conn.close();
  return {
    workload: 'rpc_seq',
    call: name,
    calls: SEQ_CALLS,
    calls_per_s: Math.round(SEQ_CALLS / seconds),
    ...percentiles(samples),
  };
}

/** One of the concurrent clients, in its own process: connect, warm up, wait for the go, call, report. */
async function concurrentClient() {
  const conn = await open('qemu:///session', { autostart: false });
  for (let i = 0; i < CLIENT_WARMUP; i++) await listAllDomains(conn);
  process.send({ ready: true });
  await new Promise((resolve) => process.once('message', resolve));
  const startNs = process.hrtime.bigint();
  const { samples } = await timedCalls(() => listAllDomains(conn), CALLS_PER_CLIENT);
  const endNs = process.hrtime.bigint();
  // hrtime is per-process monotonic; wall-clock ms lets the parent line the clients up.
  process.send({ start: Date.now() - Number(endNs - startNs) / 1e6, end: Date.now(), samples: Array.from(samples) });
  await conn.close();
  process.exit(0);
}

async function concurrent(env) {
  const children = Array.from({ length: CLIENTS }, () => fork(fileURLToPath(import.meta.url), ['client'], { env }));
  const messages = children.map((child) => {
    const queue = [];
    const waiters = [];
    child.on('message', (m) => (waiters.length ? waiters.shift()(m) : queue.push(m)));
    return () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r)));
  });
  await Promise.all(messages.map((next) => next()));
  children.forEach((child) => child.send('go'));
  const results = await Promise.all(messages.map((next) => next()));
  const first = Math.min(...results.map((r) => r.start));
  const last = Math.max(...results.map((r) => r.end));
  const all = results.flatMap((r) => r.samples);
  const total = CLIENTS * CALLS_PER_CLIENT;
  return {
    workload: 'rpc_concurrent',
    call: 'listAllDomains',
    clients: CLIENTS,
    calls: total,
    calls_per_s: Math.round(total / ((last - first) / 1000)),
    ...percentiles(all),
  };
}

async function main(which) {
  const root = makeTempRoot();
  const daemon = await spawnNamedDaemon('virtqemud', root);
  const env = { ...process.env, TSVIRT_ROOT: root };
  try {
    if (which === 'seq' || which === 'all') {
      for (const name of Object.keys(CALLS)) console.log(JSON.stringify(await sequential(env, name)));
    }
    if (which === 'concurrent' || which === 'all') console.log(JSON.stringify(await concurrent(env)));
  } finally {
    await daemon.stop();
    removeTempRoot(root);
  }
}

const mode = process.argv[2] ?? 'all';
if (mode === 'client') await concurrentClient();
else await main(mode);
