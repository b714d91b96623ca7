/**
 * stash.map on a BullMQ queue, with processes standing in for machines (workers and producers are child processes
 * on the shared test Redis): work is computed once however many producers ask, a stored map enqueues nothing, a
 * worker SIGKILLed mid-job has its job run again elsewhere, failures come back as the local map's typed errors, and a
 * worker runs code shipped as source only when trusted.
 */
import type { Redis } from 'ioredis';
import { createRequire } from 'node:module';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import {
  ConfigError,
  EngineUnavailableError,
  HashStash,
  MapItemError,
  serveStashQueue,
  UntrustedCodeError,
  WorkerCrashError,
} from '../../src/index.js';
import { requireServer } from '../helpers/servers.js';
import { countOf, deadPort, logFile, produce, queueName, readLog, startWorker, until, WORK } from './helpers.js';

t.setTimeout(240_000);

const url = requireServer(t, 'redis');
const work = (name: string) => ({ module: WORK, export: name });
/** Short locks, so a killed worker's job is retried within seconds; the renewal (every 2 s) has 2 s of slack. */
const FAST_STALL = { lockDuration: 4000, stalledInterval: 1000 };

function redis(t: Test): Redis {
  const Client = createRequire(import.meta.url)('ioredis') as new (url: string) => Redis;
  const client = new Client(url!);
  t.teardown(() => client.disconnect());
  return client;
}

const uniqueRoot = (label: string) => `queue-${label}-${process.pid}-${Date.now().toString(36)}`;

if (url) {
  t.test('two producers and two workers on overlapping items compute each item once', async (t) => {
    const name = queueName('once');
    const log = logFile();
    await startWorker(t, { url, name, concurrency: 2 }, log);
    await startWorker(t, { url, name, concurrency: 2 }, log);
    const stash = { engine: 'redis', url, root: uniqueRoot('once') };
    const queue = { url, name };
    const [first, second] = await Promise.all([
      produce({ stash, queue, from: 0, to: 60, ms: 5 }),
      produce({ stash, queue, from: 30, to: 90, ms: 5 }),
    ]);
    t.same(first.failed, []);
    t.same(second.failed, []);
    t.same(
      first.results,
      Array.from({ length: 60 }, (_, i) => [i, String(BigInt(i) ** 2n)]),
    );
    t.same(
      second.results,
      Array.from({ length: 60 }, (_, i) => [30 + i, String(BigInt(30 + i) ** 2n)]),
    );
    const lines = readLog(log);
    const twice = Array.from({ length: 90 }, (_, n) => n).filter((n) => countOf(lines, 'done', n) !== 1);
    t.same(twice, [], 'every item computed exactly once');
    t.equal(new Set(lines.map((line) => line[2])).size, 2, 'both workers took jobs');

    const client = redis(t);
    const eventsBefore = await client.xlen(`hashstash-queue:${name}:events`);
    const again = await produce({ stash, queue, from: 0, to: 90, ms: 5 });
    t.equal(again.results.length, 90);
    t.equal(readLog(log).length, lines.length, 'a second run computes nothing');
    t.equal(await client.xlen(`hashstash-queue:${name}:events`), eventsBefore, 'and enqueues no job');
  });

  t.test(
    'a worker SIGKILLed mid-job: its job runs again on another once its lock lapses, and is stored once',
    async (t) => {
      const name = queueName('kill');
      const log = logFile();
      const doomed = await startWorker(t, { url, name, ...FAST_STALL }, log);
      await using stash = new HashStash({ engine: 'redis', url, root: uniqueRoot('kill') });
      const results = stash.map(work('slow'), [{ n: 7, ms: 2500 }], { queue: { url, name } });
      await until(() => countOf(readLog(log), 'start', 7) === 1, 30_000, 'the first worker to start the job');
      doomed.child.kill('SIGKILL');
      await doomed.exited;
      const killedAt = Date.now();
      const rescuer = await startWorker(t, { url, name, ...FAST_STALL }, log);
      t.same(await results.all(), [14]);
      const lines = readLog(log);
      t.same(
        lines.filter(([event]) => event !== 'start').map(([event, n, pid]) => [event, n, Number(pid)]),
        [['done', '7', rescuer.pid]],
        'finished once, by the second worker',
      );
      t.ok(Date.now() - killedAt >= 1000, 'not before the lock could lapse');
      const idle = { url, name: queueName('kill-idle') };
      t.same(await stash.map(work('slow'), [{ n: 7, ms: 2500 }], { queue: idle }).all(), [14], 'stored');
    },
  );

  t.test('a job whose workers die more often than maxStalledCount fails with WorkerCrashError (stalled)', async (t) => {
    const name = queueName('stall');
    const log = logFile();
    const doomed = await startWorker(t, { url, name, ...FAST_STALL, maxStalledCount: 0 }, log);
    await using stash = new HashStash({ engine: 'redis', url, root: uniqueRoot('stall') });
    const results = stash.map(work('slow'), [{ n: 3, ms: 2500 }], { queue: { url, name } });
    await until(() => countOf(readLog(log), 'start', 3) === 1, 30_000, 'the worker to start the job');
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    await startWorker(t, { url, name, ...FAST_STALL, maxStalledCount: 0 }, log);
    const error = await results.all().catch((thrown: unknown) => thrown);
    t.type(error, WorkerCrashError);
    t.equal((error as WorkerCrashError).reason, 'stalled');
    t.equal((error as WorkerCrashError).index, 0);
  });

  t.test('a worker without trustCode refuses a function shipped as source, and a data: module', async (t) => {
    const name = queueName('trust');
    const log = logFile();
    await startWorker(t, { url, name }, log);
    await using stash = new HashStash({ engine: 'redis', url, root: uniqueRoot('trust') });
    const settled = [];
    for await (const item of stash.map((n: number) => n + 1, [1, 2], { queue: { url, name, attempts: 3 } }).settled())
      settled.push(item);
    t.equal(settled.length, 2);
    for (const item of settled) {
      t.equal(item.status, 'rejected');
      const reason = (item as { reason: unknown }).reason;
      t.type(reason, UntrustedCodeError);
      t.equal((reason as UntrustedCodeError).code, 'HASHSTASH_UNTRUSTED_CODE');
      t.match((reason as Error).message, /--trust-code/);
    }
    const dataModule = { module: 'data:text/javascript,export const f = (n) => n', export: 'f' };
    await t.rejects(stash.map(dataModule, [1], { queue: { url, name } }).all(), UntrustedCodeError);

    const trusting = queueName('trusted');
    await startWorker(t, { url, name: trusting, trustCode: true }, log);
    t.same(await stash.map((n: number) => n + 1, [1, 2], { queue: { url, name: trusting } }).all(), [2, 3]);
  });

  t.test('a call that throws fails its item alone, after its attempts, with the remote error as cause', async (t) => {
    const name = queueName('fails');
    const log = logFile();
    await startWorker(t, { url, name, concurrency: 2 }, log);
    await using stash = new HashStash({ engine: 'redis', url, root: uniqueRoot('fails') });
    const options = { queue: { url, name, attempts: 3, backoff: { type: 'fixed' as const, delay: 10 } } };
    const outcome = new Map<number, unknown>();
    for await (const item of stash.map(work('fails'), [0, 1, 2, 3], options).settled())
      outcome.set(item.index, item.status === 'fulfilled' ? item.value : item.reason);
    t.equal(outcome.get(0), 0);
    t.equal(outcome.get(2), 2);
    for (const odd of [1, 3]) {
      const error = outcome.get(odd) as MapItemError;
      t.type(error, MapItemError);
      t.equal(error.index, odd);
      t.same(error.args, [odd]);
      t.match(error.message, new RegExp(`fails\\(${odd}\\) threw RangeError .*odd item ${odd}`));
      t.equal((error.cause as Error).name, 'RangeError');
      t.equal(countOf(readLog(log), 'call', odd), 3, `item ${odd} tried 3 times`);
    }
    t.equal(countOf(readLog(log), 'call', 0), 1);

    // The failed job is kept (keepFailed) under the same id: the next map of the item runs it again, not its old end.
    await t.rejects(stash.map(work('fails'), [1], options).all(), MapItemError);
    t.equal(countOf(readLog(log), 'call', 1), 6, 'a second map tries the failed item again');
  });

  t.test('a worker thread that runs out of memory fails its item with WorkerCrashError', async (t) => {
    const name = queueName('oom');
    await startWorker(t, { url, name }, logFile());
    await using stash = new HashStash({ engine: 'redis', url, root: uniqueRoot('oom') });
    const error = await stash
      .map(work('hog'), [1], { queue: { url, name }, resourceLimits: { maxOldGenerationSizeMb: 32 } })
      .all()
      .catch((thrown: unknown) => thrown);
    t.type(error, WorkerCrashError);
    t.equal((error as WorkerCrashError).reason, 'out-of-memory');
  });

  t.test('local stashes: the worker returns results, each producer stores them, the work is shared', async (t) => {
    const name = queueName('local');
    const log = logFile();
    await startWorker(t, { url, name, concurrency: 2 }, log);
    const items = Array.from({ length: 20 }, (_, n) => ({ n, ms: 5 }));
    await using one = new HashStash({ engine: 'lmdb', root: mkdtempSync(join(tmpdir(), 'hashstash-q1-')) });
    await using two = new HashStash({ engine: 'lmdb', root: mkdtempSync(join(tmpdir(), 'hashstash-q2-')) });
    const queue = { url, name };
    const [a, b] = await Promise.all([
      one.map(work('work'), items, { queue }).all(),
      two.map(work('work'), items, { queue }).all(),
    ]);
    t.same(a, b);
    t.same((a[4] as { squares: Map<number, bigint> }).squares, new Map([[4, 16n]]));
    t.type((a[4] as { at: Date }).at, Date);
    const computed = readLog(log).filter(([event]) => event === 'done').length;
    t.equal(computed, 20, 'each item computed once for both producers');
    // Stored by each producer: a queue nobody serves completes at once.
    const idle = { url, name: queueName('idle') };
    t.same(await one.map(work('work'), items, { queue: idle, signal: AbortSignal.timeout(20_000) }).all(), a);
    t.same(await two.map(work('work'), items, { queue: idle, signal: AbortSignal.timeout(20_000) }).all(), a);
  });

  t.test("aborting a map removes this producer's waiting jobs", async (t) => {
    const name = queueName('abort');
    await using stash = new HashStash({ engine: 'redis', url, root: uniqueRoot('abort') });
    const client = redis(t);
    const waiting = () => client.llen(`hashstash-queue:${name}:wait`);
    const controller = new AbortController();
    const results = stash.map(
      work('work'),
      Array.from({ length: 20 }, (_, n) => ({ n })),
      {
        queue: { url, name },
        signal: controller.signal,
      },
    );
    await until(async () => (await waiting()) === 20, 20_000, 'the jobs to be queued');
    controller.abort(new Error('enough'));
    await t.rejects(results.all(), { message: 'enough' });
    await until(async () => (await waiting()) === 0, 20_000, 'the jobs to be removed');
  });

  t.test('options are checked before anything is sent', async (t) => {
    await using stash = new HashStash({ engine: 'lmdb', root: mkdtempSync(join(tmpdir(), 'hashstash-qo-')) });
    const fn = work('work');
    t.throws(() => stash.map(fn, [1], { numProc: 2, queue: { url, name: 'x' } }), ConfigError);
    t.throws(() => stash.map(fn, [1], { queue: { url, name: 'a:b' } }), { name: 'ConfigError', message: /name/ });
    t.throws(() => stash.map(fn, [1], { queue: { url, name: 'x', attempts: 0 } }), /attempts/);
    t.throws(
      () => stash.map(fn, [1], { queue: { url, name: 'x', backoff: { type: 'linear' as 'fixed', delay: 1 } } }),
      /backoff/,
    );
    t.throws(() => stash.map(fn, [1], { queue: { url: 'http://x', name: 'x' } }), /url/);
    t.throws(() => stash.map(fn, [1], { queue: { url, name: 'x', extra: 1 } as never }), /extra/);
    await t.rejects(stash.map(fn, [1], { queue: { url, name: 'x', results: 'worker' } }).all(), {
      name: 'ConfigError',
      message: /redis or mongo/,
    });
    await t.rejects(serveStashQueue({ url, name: '' }), ConfigError);
    await t.rejects(serveStashQueue({ url, name: 'x', concurrency: 0 }), /concurrency/);
  });

  t.test('a queue that cannot be reached is an EngineUnavailableError naming it', async (t) => {
    const dead = `redis://127.0.0.1:${await deadPort()}`;
    await t.rejects(serveStashQueue({ url: dead, name: 'x' }), { name: 'EngineUnavailableError', location: dead });
    await using stash = new HashStash({ engine: 'lmdb', root: mkdtempSync(join(tmpdir(), 'hashstash-qd-')) });
    const error = await stash
      .map(work('work'), [{ n: 1 }], { queue: { url: dead, name: 'x' } })
      .all()
      .catch((thrown: unknown) => thrown);
    t.type(error, EngineUnavailableError);
    t.match((error as Error).message, dead);
  });
}
