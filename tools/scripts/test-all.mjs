#!/usr/bin/env node
// Runs every workspace package's compiled uvu tests, one package after another, and closes
// with exactly one summary line: `N passed, N failed`.
//
//   node tools/scripts/test-all.mjs [FILTER...]      (root: `npm test`, after `npm run build`)
//
// For each workspace in the root package.json order (common, client, the daemons, tools)
// that has a dist/test directory, runs the equivalent of `npx uvu dist/test '\.test\.js$'`
// in the package directory, streams its output, and reads uvu's closing summary
//   Total:     N
//   Passed:    N
//   Skipped:   N
//   Duration:  ...
// failed = Total - Passed. A run that ends without a summary (crash, import error, uvu's
// "Exiting early", timeout) counts as 1 failed; so does a run whose summary shows no failure
// but which exits non-zero afterwards. Processes a run leaves behind in its process group are
// terminated before the next package starts.
//
// FILTER: package directory name (common, virtqemud, tools), package name (@tsvirt/client) or
// directory path (packages/client); several may be given.
//
// Environment:
//   TEST_TIMEOUT_SECONDS        per-package limit (default 900 = 15 min)
//   TEST_TOTAL_TIMEOUT_SECONDS  optional limit for the whole run; packages not reached count as failed
//   TEST_EXIT_GRACE_SECONDS     how long a run may linger after printing its summary (default 30)
//
// Exit code: 0 when nothing failed, 1 otherwise, 2 on a usage error.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const UVU_ARGS = ['dist/test', '\\.test\\.js$'];

function seconds(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`test-all: ignoring ${name}=${JSON.stringify(raw)} (not a positive number)`);
    return fallback;
  }
  return n;
}

const PER_PACKAGE_S = seconds('TEST_TIMEOUT_SECONDS', 15 * 60);
const TOTAL_S = seconds('TEST_TOTAL_TIMEOUT_SECONDS', Infinity);
const GRACE_S = seconds('TEST_EXIT_GRACE_SECONDS', 30);
const KILL_AFTER_MS = 5000;
const startedAt = Date.now();

// ---------------------------------------------------------------------------------------
// packages

function workspaces() {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const list = Array.isArray(pkg.workspaces) ? pkg.workspaces : (pkg.workspaces?.packages ?? []);
  return list.map((dir) => {
    const abs = join(ROOT, dir);
    let name = basename(dir);
    try {
      name = JSON.parse(readFileSync(join(abs, 'package.json'), 'utf8')).name ?? name;
    } catch {
      // keep the directory name
    }
    return { dir, abs, name, short: basename(dir) };
  });
}

/** common, client first, then the daemons in workspace order, tools last. */
function ordered(pkgs) {
  const rank = (p) => (p.short === 'common' ? 0 : p.short === 'client' ? 1 : p.short === 'tools' ? 3 : 2);
  return pkgs
    .map((p, i) => ({ p, i }))
    .sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i)
    .map(({ p }) => p);
}

function matches(pkg, filter) {
  const f = filter.replace(/\/+$/, '');
  return f === pkg.short || f === pkg.name || f === pkg.dir || resolve(f) === pkg.abs || `@tsvirt/${f}` === pkg.name;
}

function isDir(path) {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------
// uvu

function uvuCommand(pkgDir) {
  // `npx uvu ...` without npx's start-up cost and registry fallback: the installed uvu binary
  // (uvu's package.json has no "exports" entry for bin.js, so look for it on disk).
  const color = process.stdout.isTTY ? [] : ['--no-color'];
  for (let dir = pkgDir; ; dir = dirname(dir)) {
    const bin = join(dir, 'node_modules', 'uvu', 'bin.js');
    if (existsSync(bin)) return { cmd: process.execPath, args: [bin, ...UVU_ARGS, ...color] };
    if (dir === ROOT || dirname(dir) === dir) break;
  }
  return { cmd: 'npx', args: ['--no-install', 'uvu', ...UVU_ARGS, ...color] };
}

const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[@-Z\\-_]/g;
const SUMMARY =
  /^[ \t]*Total:[ \t]+(\d+)[ \t]*\r?\n[ \t]*Passed:[ \t]+(\d+)[ \t]*\r?\n[ \t]*Skipped:[ \t]+(\d+)[ \t]*\r?\n[ \t]*Duration:/gm;

/** uvu's closing block (the last one in the output), or null. */
function parseSummary(output) {
  const text = output.replace(ANSI, '');
  let last = null;
  for (const m of text.matchAll(SUMMARY)) last = m;
  if (!last) return null;
  return { total: Number(last[1]), passed: Number(last[2]), skipped: Number(last[3]) };
}

// uvu ends each finished suite's line of dots with `  (passed / total)`
const SUITE_DONE = /[ \t]\((\d+) \/ (\d+)\)[ \t]*$/gm;

/** Counts of the suites that finished before a run died without its summary. */
function parseFinishedSuites(output) {
  const text = output.replace(ANSI, '');
  let passed = 0;
  let failed = 0;
  for (const m of text.matchAll(SUITE_DONE)) {
    passed += Number(m[1]);
    failed += Math.max(0, Number(m[2]) - Number(m[1]));
  }
  return { passed, failed };
}

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** TERM the process group, KILL it if it has not gone after KILL_AFTER_MS. */
async function endGroup(pgid) {
  if (!groupAlive(pgid)) return;
  signalGroup(pgid, 'SIGTERM');
  const until = Date.now() + KILL_AFTER_MS;
  while (Date.now() < until && groupAlive(pgid)) await new Promise((r) => setTimeout(r, 100));
  if (groupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
}

function runPackage(pkg, limitS) {
  return new Promise((resolveRun) => {
    const { cmd, args } = uvuCommand(pkg.abs);
    const child = spawn(cmd, args, {
      cwd: pkg.abs,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group: a timeout or leftovers end every process the tests started
    });
    let output = '';
    let timedOut = false;
    let lingered = false;
    let graceTimer = null;
    let exited = false;

    const forward = (stream, sink) =>
      stream.on('data', (chunk) => {
        if (exited) return; // a leftover grandchild's late output is not shown after the run
        sink.write(chunk);
        output += chunk.toString('utf8');
        if (output.length > 4_000_000) output = output.slice(-1_000_000);
        if (!graceTimer && parseSummary(output.slice(-4000))) {
          graceTimer = setTimeout(() => {
            lingered = true;
            signalGroup(child.pid, 'SIGTERM');
            setTimeout(() => signalGroup(child.pid, 'SIGKILL'), KILL_AFTER_MS).unref();
          }, GRACE_S * 1000);
        }
      });
    forward(child.stdout, process.stdout);
    forward(child.stderr, process.stderr);

    const limitTimer = setTimeout(() => {
      timedOut = true;
      signalGroup(child.pid, 'SIGTERM');
      setTimeout(() => signalGroup(child.pid, 'SIGKILL'), KILL_AFTER_MS).unref();
    }, limitS * 1000);

    child.on('error', (err) => {
      clearTimeout(limitTimer);
      if (graceTimer) clearTimeout(graceTimer);
      resolveRun({ code: null, signal: null, output, timedOut, lingered, leftovers: false, error: err });
    });

    const closed = new Promise((r) => child.on('close', r));
    child.on('exit', async (code, signal) => {
      clearTimeout(limitTimer);
      if (graceTimer) clearTimeout(graceTimer);
      // let the pipes drain what the child itself wrote; a leftover grandchild may hold them open
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
      exited = true;
      child.stdout.destroy();
      child.stderr.destroy();
      const leftovers = groupAlive(child.pid);
      if (leftovers) await endGroup(child.pid);
      resolveRun({ code, signal, output, timedOut, lingered, leftovers, error: null });
    });
  });
}

// ---------------------------------------------------------------------------------------
// main

async function main() {
  const filters = process.argv.slice(2).filter((a) => a !== '--');
  if (filters.some((f) => f === '-h' || f === '--help')) {
    console.log('usage: node tools/scripts/test-all.mjs [PACKAGE...]   (env TEST_TIMEOUT_SECONDS, default 900)');
    return 0;
  }
  let pkgs = ordered(workspaces());
  if (filters.length) {
    const unknown = filters.filter((f) => !pkgs.some((p) => matches(p, f)));
    if (unknown.length) {
      console.error(`test-all: no such package: ${unknown.join(', ')}`);
      console.error(`test-all: packages: ${pkgs.map((p) => p.short).join(', ')}`);
      return 2;
    }
    pkgs = pkgs.filter((p) => filters.some((f) => matches(p, f)));
  }

  let passed = 0;
  let failed = 0;
  const rows = []; // [package, result text]
  const problems = []; // lines naming what failed without a count of its own

  for (const pkg of pkgs) {
    const testDir = join(pkg.abs, 'dist', 'test');
    if (!isDir(testDir)) {
      const note = isDir(join(pkg.abs, 'test')) ? 'no dist/test (has test/: run `npm run build` first)' : 'no tests';
      rows.push([pkg.name, note]);
      continue;
    }
    const remainingS = TOTAL_S - (Date.now() - startedAt) / 1000;
    if (remainingS <= 1) {
      failed += 1;
      rows.push([pkg.name, 'NOT RUN (TEST_TOTAL_TIMEOUT_SECONDS used up)']);
      problems.push(`${pkg.name}: not run, the total time limit was used up`);
      continue;
    }
    const limitS = Math.min(PER_PACKAGE_S, remainingS);

    console.log(`\n=== ${pkg.name} (${relative(ROOT, pkg.abs) || '.'}): uvu ${UVU_ARGS.join(' ')}`);
    const t0 = Date.now();
    const run = await runPackage(pkg, limitS);
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    const summary = parseSummary(run.output);
    const how = run.error
      ? `could not start (${run.error.message})`
      : run.signal
        ? `killed by ${run.signal}`
        : `exit code ${run.code}`;

    if (run.leftovers) console.error(`test-all: ${pkg.name}: processes left behind by the tests were terminated`);

    if (!summary) {
      // the crash or timeout itself counts as 1 failed; suites that finished before it still count
      const partial = parseFinishedSuites(run.output);
      passed += partial.passed;
      failed += partial.failed + 1;
      const why = run.timedOut ? `timed out after ${Math.round(limitS)} s` : `crashed (${how})`;
      rows.push([
        pkg.name,
        `FAILED: ${why}, no uvu summary; finished suites: ${partial.passed} passed, ${partial.failed} failed (${secs} s)`,
      ]);
      problems.push(`${pkg.name}: ${why} without a uvu summary`);
      continue;
    }
    const pkgFailed = Math.max(0, summary.total - summary.passed);
    passed += summary.passed;
    failed += pkgFailed;
    let text = `${summary.passed} passed, ${pkgFailed} failed, ${summary.skipped} skipped (${secs} s)`;
    if (run.lingered) {
      text += `; did not exit within ${GRACE_S} s of its summary and was killed`;
      problems.push(`${pkg.name}: did not exit within ${GRACE_S} s after its summary (open handles?)`);
    } else if (run.timedOut) {
      text += '; timed out after its summary';
      problems.push(`${pkg.name}: timed out after printing its summary`);
    } else if (pkgFailed === 0 && run.code !== 0) {
      failed += 1;
      text += `; but ${how} after its summary`;
      problems.push(`${pkg.name}: ${how} after a summary without failures`);
    }
    rows.push([pkg.name, text]);
  }

  console.log('\n=== test-all summary');
  const width = Math.max(0, ...rows.map(([n]) => n.length));
  for (const [name, text] of rows) console.log(`  ${name.padEnd(width)}  ${text}`);
  for (const p of problems) console.log(`  ! ${p}`);
  if (passed + failed === 0) console.log('  (no test ran: build first with `npm run build`)');
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err?.stack ?? String(err));
    console.log('0 passed, 1 failed');
    process.exitCode = 1;
  },
);
