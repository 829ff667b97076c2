#!/usr/bin/env node
/**
 * The floor under any Node.js RPC on this machine: a bare echo server and clients on a
 * unix socket, with no framing, no msgpack and no dispatch, in the rpc_seq and
 * rpc_concurrent shapes (1 client x 20000 round trips; 16 client processes x 5000).
 * Whatever tsvirt adds is measured against this, not against zero.
 *   node bench/node-echo-floor.mjs
 */
import { fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOCKET = join(tmpdir(), `tsvirt-echo-floor-${process.pid}.sock`);
const role = process.argv[2];

async function roundTrips(path, count, beforeTimed) {
  const socket = connect(path);
  await new Promise((resolve) => socket.once('connect', resolve));
  let answered;
  socket.on('data', () => answered());
  const roundTrip = () => new Promise((resolve) => ((answered = resolve), socket.write('0123456789abcdef')));
  for (let i = 0; i < 200; i++) await roundTrip();
  await beforeTimed?.();
  const start = Date.now();
  for (let i = 0; i < count; i++) await roundTrip();
  const end = Date.now();
  socket.destroy();
  return { start, end };
}

if (role === 'server') {
  rmSync(process.argv[3], { force: true });
  createServer((s) => s.on('data', (d) => s.write(d))).listen(process.argv[3], () => process.send('listening'));
} else if (role === 'client') {
  const result = await roundTrips(process.argv[3], 5000, async () => {
    process.send('ready');
    await new Promise((resolve) => process.once('message', resolve));
  });
  process.send(result);
  process.exit(0);
} else {
  const self = fileURLToPath(import.meta.url);
  const server = fork(self, ['server', SOCKET]);
  await new Promise((resolve) => server.once('message', resolve));
  try {
    const seq = await roundTrips(SOCKET, 20000);
    console.log(
      JSON.stringify({ workload: 'echo_seq', calls_per_s: Math.round(20000 / ((seq.end - seq.start) / 1000)) }),
    );
    const clients = Array.from({ length: 16 }, () => fork(self, ['client', SOCKET]));
    const next = (child) => new Promise((resolve) => child.once('message', resolve));
    await Promise.all(clients.map(next));
    const results = Promise.all(clients.map(next));
    clients.forEach((child) => child.send('go'));
    const done = await results;
    const wall = (Math.max(...done.map((r) => r.end)) - Math.min(...done.map((r) => r.start))) / 1000;
    console.log(JSON.stringify({ workload: 'echo_concurrent', calls_per_s: Math.round(80000 / wall) }));
  } finally {
    server.kill();
    rmSync(SOCKET, { force: true });
  }
}
