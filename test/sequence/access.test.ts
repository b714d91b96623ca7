/**
 * A sequence read like an array, on every engine (the synchronous view on local engines only): random and negative
 * access, slices with steps, picks, the length of a finite iterable, an endless iterable whose length is never asked,
 * synchronous reads of stored shards, reopening without the iterable, typed errors for bad indices, a generator that throws (every waiter rejected), a
 * non-deterministic iterable (caught on rebuild, naming the shard), and readers of a shard still being generated.
 */
import t from 'tap';
import {
  ConfigError,
  HashStash,
  IndexOutOfRangeError,
  NondeterministicIterableError,
  ReadOnlyError,
  SequenceIncompleteError,
  type EngineName,
} from '../../src/index.js';
import { mongoUrl, redisUrl, serverSkip } from '../helpers/servers.js';
import { itemAt } from './items.js';

const ENGINES: { engine: EngineName; url: string | undefined; skip: string | false }[] = [
  { engine: 'lmdb', url: undefined, skip: false },
  { engine: 'sqlite', url: undefined, skip: false },
  { engine: 'pairtree', url: undefined, skip: false },
  { engine: 'memory', url: undefined, skip: false },
  { engine: 'redis', url: redisUrl(), skip: serverSkip('redis') },
  { engine: 'mongo', url: mongoUrl(), skip: serverSkip('mongo') },
];

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

function records(size: number, counter?: { runs: number }) {
  return function* () {
    if (counter) counter.runs++;
    for (let i = 0; i < size; i++) yield itemAt(i);
  };
}

for (const { engine, url, skip } of ENGINES) {
  t.test(engine, { skip }, async (t) => {
    const root = t.testdir();
    const stash = new HashStash({ root, engine, ...(url ? { url } : {}) });
    t.teardown(() => stash.close());

    t.test('random and negative access, length, iteration', async (t) => {
      const size = 1000;
      const counter = { runs: 0 };
      await using seq = stash.sequence(records(size, counter), { name: 'random', shardLength: 64, prefetch: 0 });
      t.equal(seq.knownLength, null, 'nothing known before a read');
      const order = [500, 3, 999, 0, 64, 63, 127, 128, 700, 3];
      for (const i of order) t.same(await seq.at(i), itemAt(i), `at(${i})`);
      t.same(await seq.at(-1), itemAt(size - 1), 'at(-1) is the last item');
      t.same(await seq.at(-10), itemAt(size - 10), 'at(-10)');
      t.equal(await seq.length(), size, 'length of a finite iterable');
      t.same(
        (await collect(seq)).map((item) => item.i),
        Array.from({ length: size }, (_, i) => i),
        'iteration equals the iterable',
      );
      await seq.settled();
      const stats = await seq.stats();
      t.equal(stats.generated, Math.ceil(size / 64), 'each shard generated once');
      t.equal(stats.length, size);
      // 500, then 3 (a restart), 999, 64 (a restart), 128, 700; then length() fills shard 3 onwards (a restart).
      t.equal(counter.runs, 4, 'the iterable restarts only to go backwards');
      for (const bad of [size, size + 5, -size - 1, 1.5, Number.NaN, Infinity, '3' as unknown as number]) {
        await t.rejects(seq.at(bad), IndexOutOfRangeError, `at(${String(bad)}) is out of range`);
      }
      if (url) t.equal(seq.sync, undefined, 'no synchronous view on a server engine');
      else {
        t.equal(seq.sync?.at(-2).i, size - 2, 'sync.at reads a stored shard');
        t.throws(() => seq.sync!.at(size), IndexOutOfRangeError);
        t.throws(() => seq.sync!.at(0.5), IndexOutOfRangeError);
      }
    });

    t.test('slices with steps and picks (Python semantics)', async (t) => {
      const size = 100;
      await using seq = stash.sequence(records(size), { name: 'slices', shardLength: 16 });
      const ids = async (view: AsyncIterable<{ i: number }>) => (await collect(view)).map((item) => item.i);
      t.same(await ids(seq.slice(11, 21).slice(undefined, undefined, -5)), [20, 15], '[11:21][::-5]');
      t.same(await ids(seq.slice(-10, size - 4, 2)), [90, 92, 94], '[-10:size-4:2]');
      t.same(await ids(seq.slice(10, 60, 7)), [10, 17, 24, 31, 38, 45, 52, 59], '[10:60:7]');
      t.same(await ids(seq.slice(95)), [95, 96, 97, 98, 99], '[95:] runs to the end');
      t.same(await ids(seq.slice(90, 200, 4)), [90, 94, 98], 'a stop past the end stops at the end');
      t.same(await ids(seq.slice(undefined, undefined, -30)), [99, 69, 39, 9], '[::-30]');
      t.same(await ids(seq.pick([2, 4, 5, 9]).pick([2, 3])), [5, 9], 'pick of a pick');
      t.same(await ids(seq.pick([3, -1, 3])), [3, 99, 3], 'picks repeat and count from the end');
      const view = seq.slice(10, 60, 7);
      t.equal(await view.length(), 8);
      t.equal((await view.at(-1)).i, 59, 'a view indexes from its end');
      await t.rejects(view.at(8), IndexOutOfRangeError);
      t.throws(() => seq.slice(0, 10, 0), ConfigError, 'step 0');
      t.throws(() => seq.slice(0.5, 10), ConfigError, 'a float bound');
      t.throws(() => seq.pick([1, Number.NaN]), IndexOutOfRangeError, 'a NaN pick');
    });

    t.test('an endless iterable: items far out, length never asked', async (t) => {
      let yielded = 0;
      await using seq = stash.sequence(
        function* () {
          for (let i = 0; ; i++) {
            yielded++;
            yield itemAt(i);
          }
        },
        { name: 'endless', shardLength: 100, prefetch: 1 },
      );
      t.same(await seq.at(12_345), itemAt(12_345));
      t.same(
        (await collect(seq.slice(50_000, 50_010, 3))).map((item) => item.i),
        [50_000, 50_003, 50_006, 50_009],
      );
      const controller = new AbortController();
      const measuring = seq.length({ signal: controller.signal });
      setTimeout(() => controller.abort(new Error('stop measuring')), 50);
      await t.rejects(measuring, { message: 'stop measuring' }, 'length() of an endless iterable stops on its signal');
      t.ok(yielded < 1_000_000, 'the iterable was not run away with');
    });

    t.test('reopened without the iterable: what is stored reads, a typed error past it', async (t) => {
      const seq = stash.sequence(records(300), { name: 'reuse', shardLength: 50 });
      t.same(await seq.at(120), itemAt(120));
      await seq.close();
      await using reopened = stash.sequence<ReturnType<typeof itemAt>>(null, { name: 'reuse' });
      t.same(await reopened.at(110), itemAt(110), 'an item of a stored shard');
      if (!url) t.equal(reopened.sync?.at(149).i, 149, 'synchronously too');
      const error = await reopened.at(10).catch((e: unknown) => e);
      t.type(error, SequenceIncompleteError, 'a shard never generated');
      t.equal((error as SequenceIncompleteError).shard, 0);
      await t.rejects(reopened.length(), SequenceIncompleteError, 'length unknown and not computable');
      if (!url) t.throws(() => reopened.sync!.at(10), SequenceIncompleteError);
      await using fresh = stash.sequence<ReturnType<typeof itemAt>>(null, { name: 'never-made' });
      await t.rejects(fresh.at(0), SequenceIncompleteError, 'nothing stored at all');
      await using whole = stash.sequence(records(300), { name: 'reuse' });
      t.equal(await whole.length(), 300);
      await using complete = stash.sequence<ReturnType<typeof itemAt>>(null, { name: 'reuse' });
      t.equal(await complete.length(), 300, 'a complete sequence reopens with its length');
      t.same(await complete.at(-1), itemAt(299));
      await t.rejects(complete.at(300), IndexOutOfRangeError, 'past a known end: out of range, not incomplete');
    });

    t.test('a generator that throws rejects every waiter, and again on the next read', async (t) => {
      let runs = 0;
      await using seq = stash.sequence(
        function* () {
          runs++;
          for (let i = 0; i < 100; i++) {
            if (i === 30) throw new Error('source broke');
            yield itemAt(i);
          }
        },
        { name: 'throws', shardLength: 64, prefetch: 0 },
      );
      const waiters = [seq.at(40), seq.at(50), seq.at(63), collect(seq)];
      const results = await Promise.allSettled(waiters);
      for (const result of results) {
        t.equal(result.status, 'rejected');
        t.equal(((result as PromiseRejectedResult).reason as Error)?.message, 'source broke');
      }
      await t.rejects(seq.at(45), { message: 'source broke' }, 'a later read runs it again and fails again');
      t.equal(runs, 2);
      t.equal((await seq.stats()).shardsOnDisk, 0, 'nothing partial stored');
    });

    t.test('a non-deterministic iterable is caught when a shard is rebuilt', async (t) => {
      let run = 0;
      const seq = stash.sequence(
        function* () {
          run++;
          for (let i = 0; i < 40; i++) yield { i, run: i >= 10 && run > 1 ? run : 1 };
        },
        { name: 'nondeterministic', shardLength: 10, memoryShards: 1, maxDiskBytes: 1, prefetch: 0 },
      );
      t.same(await seq.at(15), { i: 15, run: 1 }, 'first run');
      await seq.settled();
      t.same(await seq.at(25), { i: 25, run: 1 }, 'shard 2; shard 1 evicted from disk (the budget holds one shard)');
      await seq.settled();
      t.equal((await seq.stats()).evictions, 1);
      const error = await seq.at(12).catch((e: unknown) => e);
      t.type(error, NondeterministicIterableError, 'the rebuild of shard 1 yields other items');
      t.equal((error as NondeterministicIterableError).shard, 1, 'naming the shard');
      t.match((error as Error).message, /shard 1\b/);
      t.equal((await seq.stats()).shardsOnDisk, 1, 'the differing rebuild is not stored');
      await t.rejects(seq.at(14), NondeterministicIterableError, 'nor served');
      await seq.close();
    });

    t.test('readers of a shard being generated get its items as they are produced', async (t) => {
      let open!: () => void;
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      let produced = 0;
      await using seq = stash.sequence(
        async function* () {
          for (let i = 0; i < 500; i++) {
            if (i === 20) await gate;
            produced++;
            yield itemAt(i);
          }
        },
        { name: 'streaming', shardLength: 200, prefetch: 0 },
      );
      const late = seq.at(150);
      for (let i = 0; i < 20; i++) t.same(await seq.at(i), itemAt(i), `item ${i} while the shard is incomplete`);
      t.equal(produced, 20, 'the generator is still held at its gate');
      t.equal((await seq.stats()).shardsOnDisk, 0, 'the shard is not stored yet');
      let lateDone = false;
      void late.then(() => {
        lateDone = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 20));
      t.notOk(lateDone, 'an item not produced yet waits');
      open();
      t.same(await late, itemAt(150));
      await seq.settled();
      t.equal((await seq.stats()).generated, 1, 'one generation served every reader');
    });

    t.test('on a readonly stash: what is stored reads, generating is a ReadOnlyError', async (t) => {
      const seq = stash.sequence(records(200), { name: 'readonly', shardLength: 50 });
      t.same(await seq.at(60), itemAt(60));
      await seq.close();
      const readonly = new HashStash({ root, engine, readonly: true, ...(url ? { url } : {}) });
      t.teardown(() => readonly.close());
      await using stored = readonly.sequence<ReturnType<typeof itemAt>>(null, { name: 'readonly' });
      t.same(await stored.at(99), itemAt(99));
      await using generating = readonly.sequence(records(200), { name: 'readonly' });
      t.same(await generating.at(51), itemAt(51), 'a stored shard, with the iterable too');
      await t.rejects(generating.at(150), ReadOnlyError, 'a shard to generate');
    });

    t.test('async iterables, byte-sized shards, options', async (t) => {
      await using seq = stash.sequence(
        async function* () {
          for (let i = 0; i < 2024; i++) yield { i, data: Array.from({ length: 128 }, (_, j) => i + j) };
        },
        { name: 'sized', shardLength: '64kb' },
      );
      t.same((await seq.at(2023)).data[5], 2028);
      const stats = await seq.stats();
      t.ok(stats.shardLength! > 50 && stats.shardLength! < 200, `shardLength estimated as ${stats.shardLength}`);
      // Closed like any sequence: on a server engine an open one holds its connection (and the process) open.
      await using mismatched = stash.sequence(records(10), { name: 'sized', shardLength: 7 });
      await t.rejects(mismatched.at(0), ConfigError, 'another shardLength than stored');
      t.throws(() => stash.sequence(records(10), {} as never), ConfigError, 'no name');
      t.throws(() => stash.sequence(records(10), { name: 'x', memoryShards: 0 }), ConfigError);
      t.throws(() => stash.sequence(records(10), { name: 'x', shardLength: -1 }), ConfigError);
      t.throws(() => stash.sequence(records(10), { name: 'x', maxDiskBytes: '10%' }), ConfigError);
      t.throws(() => stash.sequence(records(10), { name: 'x', prefetch: 1.5 }), ConfigError);
      t.throws(() => stash.sequence(records(10), { name: 'x', bogus: 1 } as never), ConfigError);
      t.throws(() => stash.sequence('nope' as never, { name: 'x' }), ConfigError);
      t.throws(() => stash.sequence(records(10), { name: 'x', leaseTtl: -5 }), ConfigError);
      t.throws(() => stash.sequence(records(10), { name: '' }), ConfigError);
    });
  });
}
