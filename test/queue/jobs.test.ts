/**
 * What travels on the queue: job ids, job data read defensively (a queue is shared: another program's job, a job of
 * another version, or hostile data fails alone and the worker keeps serving), and failure reasons read back.
 */
import { createRequire } from 'node:module';
import t from 'tap';
import type { Job, Queue as BullQueue } from 'bullmq';
import { DecodeError, HashStash, serveStashQueue } from '../../src/index.js';
import { readFailure } from '../../src/queue/failure.js';
import { jobIdOf, readJobData, readJobReturn } from '../../src/queue/job.js';
import { requireServer } from '../helpers/servers.js';
import { queueName, WORK } from './helpers.js';

t.test('job ids: one per call and destination, never all digits, never a colon', async (t) => {
  const key = new Uint8Array([1, 2, 3]);
  const id = jobIdOf('work.abc', null, 'hashstash', key);
  t.match(id, /^hs1\.[0-9a-f]{64}$/);
  t.equal(jobIdOf('work.abc', null, 'hashstash', key), id, 'the same call, the same id');
  t.not(jobIdOf('work.abd', null, 'hashstash', key), id, 'another function');
  t.not(jobIdOf('work.abc', null, 'hashstash', new Uint8Array([1, 2])), id, 'another item');
  const target = {
    engine: 'redis' as const,
    url: 'redis://h',
    root: 'r',
    name: 'n',
    serializer: 'hashstash',
    compress: 'lz4',
    b64: false,
  };
  t.not(jobIdOf('work.abc', target, 'hashstash', key), id, 'stored by the worker vs returned');
  t.not(
    jobIdOf('work.abc', { ...target, root: 'other' }, 'hashstash', key),
    jobIdOf('work.abc', target, 'hashstash', key),
  );
  t.match(jobIdOf('work.abc', null, 'hashstash', key, 'n0nce'), /\.fn0nce$/, 'force: a fresh job');
});

t.test('job data that is not a hashstash v1 job is a DecodeError', async (t) => {
  const good = {
    v: 1,
    f: { kind: 'module', url: 'file:///w.js', name: 'w' },
    id: 'w.1',
    s: null,
    ser: 'hashstash',
    a: '',
    k: '',
    trust: false,
  };
  t.equal(readJobData(good), good);
  for (const bad of [
    null,
    'text',
    [],
    { ...good, v: 2 },
    { ...good, f: { kind: 'eval', name: 'w' } },
    { ...good, f: { kind: 'module', name: 'w' } },
    { ...good, a: 1 },
    { ...good, s: { engine: 'lmdb', name: 'x' } },
  ])
    t.throws(() => readJobData(bad), DecodeError, JSON.stringify(bad));
  t.same(readJobReturn('{"stored":1}'), { stored: 1 });
  t.same(readJobReturn({ result: 'AA==' }), { result: 'AA==' });
  t.throws(() => readJobReturn({ other: 1 }), DecodeError);
  t.throws(() => readJobReturn(42), DecodeError);
});

t.test('failure reasons read back', async (t) => {
  t.same(readFailure('[hashstash:threw:RangeError] odd'), { kind: 'threw', name: 'RangeError', message: 'odd' });
  t.same(readFailure('[hashstash:crash:out-of-memory:1] heap'), {
    kind: 'crash',
    reason: 'out-of-memory',
    exitCode: 1,
    message: 'heap',
  });
  t.same(readFailure('[hashstash:crash:bogus:3] x'), { kind: 'crash', reason: 'exit', exitCode: 3, message: 'x' });
  t.same(readFailure('[hashstash:untrusted] no'), { kind: 'untrusted', message: 'no' });
  t.same(readFailure('[hashstash:load] gone'), { kind: 'load', message: 'gone' });
  t.equal(readFailure('job stalled more than allowable limit').kind, 'crash');
  t.same(readFailure('something else'), { kind: 'other', message: 'something else' });
});

const url = requireServer(t, 'redis');
if (url) {
  t.test('a worker fails foreign and mismatched jobs alone, and keeps serving', async (t) => {
    const name = queueName('foreign');
    await using worker = await serveStashQueue({ url, name });
    const { Queue } = createRequire(import.meta.url)('bullmq') as typeof import('bullmq');
    const queue: BullQueue = new Queue(name, { connection: { url }, prefix: 'hashstash-queue' });
    t.teardown(() => queue.close());
    const finished = async (job: Job) => {
      for (;;) {
        const state = await job.getState();
        if (state === 'failed' || state === 'completed') return (await queue.getJob(job.id!))!;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const foreign = await finished(await queue.add('other-program', { hello: 'world' }, { attempts: 3 }));
    t.match(foreign.failedReason, /^\[hashstash:load\] a job that is not a hashstash v1 job/);
    t.equal(foreign.attemptsMade, 1, 'unrecoverable: not tried again');

    const mismatched = await finished(
      await queue.add('x', {
        v: 1,
        f: { kind: 'module', url: WORK.href, name: 'work' },
        id: 'work.000000000000',
        s: null,
        ser: 'hashstash',
        a: Buffer.from('[]').toString('base64'),
        k: '',
        trust: false,
      }),
    );
    t.match(mismatched.failedReason, /has another work than the producer/);

    await using stash = new HashStash({ engine: 'redis', url, root: queueName('foreign-root') });
    const results = await stash.map({ module: WORK, export: 'work' }, [{ n: 2 }], { queue: { url, name } }).all();
    t.equal((results[0] as { n: number }).n, 2, 'the worker still serves');
    t.same(worker.counts, { computed: 1, cached: 0, failed: 2 });
  });
}
