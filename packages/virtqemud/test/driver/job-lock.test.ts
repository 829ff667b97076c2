/** The per-domain job lock: one job at a time, FIFO hand-over, a named refusal after the wait. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, ErrorDomain, JobLock, VirError } from '@tsvirt/common';
import { Mutex, withDomainJob } from '../../src/driver/job-lock.js';

const domain = (): { job: JobLock; removed: boolean; name: string } => ({
  job: new JobLock(ErrorDomain.QEMU),
  removed: false,
  name: 'd1',
});

test('concurrent jobs on one domain run one after the other, never interleaved', async () => {
  const dom = domain();
  const trace: string[] = [];
  const job = (label: string) =>
    withDomainJob(
      dom,
      label,
      async () => {
        trace.push(`${label}:start`);
        await sleep(20);
        trace.push(`${label}:end`);
      },
      1000,
    );
  await Promise.all([job('a'), job('b'), job('c')]);
  assert.equal(trace, ['a:start', 'a:end', 'b:start', 'b:end', 'c:start', 'c:end']);
  assert.is(dom.job.owner, undefined);
});

test('a second job gives up with OPERATION_INVALID naming the holder', async () => {
  const dom = domain();
  let release!: () => void;
  const holding = withDomainJob(dom, 'undefine', () => new Promise<void>((r) => (release = r)), 1000);
  await sleep(5);
  const started = Date.now();
  try {
    await withDomainJob(dom, 'modify', async () => assert.unreachable('ran while locked'), 50);
    assert.unreachable('acquired');
  } catch (err) {
    assert.instance(err, VirError);
    assert.is((err as VirError).code, ErrorCode.OPERATION_INVALID);
    assert.is((err as VirError).message, "cannot acquire state change lock (held by job 'undefine')");
  }
  assert.ok(Date.now() - started >= 45, 'waited before giving up');
  release();
  await holding;
  // the timed-out waiter left the queue: the lock is free again
  assert.is(dom.job.owner, undefined);
  await withDomainJob(dom, 'modify', async () => assert.is(dom.job.owner, 'modify'));
});

test('a job that throws releases the lock', async () => {
  const dom = domain();
  await withDomainJob(dom, 'x', async () => {
    throw new Error('boom');
  }).catch(() => undefined);
  assert.is(dom.job.owner, undefined);
});

test('a job that waited on a domain removed meanwhile reports NO_DOMAIN', async () => {
  const dom = domain();
  const first = withDomainJob(dom, 'undefine', async () => {
    await sleep(10);
    dom.removed = true;
  });
  const second = withDomainJob(dom, 'modify', async () => 'ran').catch((err: VirError) => err.code);
  await first;
  assert.is(await second, ErrorCode.NO_DOMAIN);
});

test('Mutex runs bodies one at a time in call order', async () => {
  const mutex = new Mutex();
  const trace: number[] = [];
  await Promise.all(
    [1, 2, 3].map((n) =>
      mutex.run(async () => {
        trace.push(n);
        await sleep(5);
        trace.push(-n);
      }),
    ),
  );
  assert.equal(trace, [1, -1, 2, -2, 3, -3]);
});

test.run();
