/**
 * The two budgets: decoded shards in RAM (an LRU, exact hit and miss counts for a scripted access pattern) and bytes
 * in storage (shards evicted beyond `maxDiskBytes`, rebuilt by running the iterable again: counted iterator runs),
 * on every local engine. Prefetch is off so that every count is the script's.
 */
import t from 'tap';
import { HashStash, type EngineName } from '../../src/index.js';

/** Items of one encoded size, so that every full shard has the same bytes. */
const item = (i: number) => ({ id: String(i).padStart(8, '0'), payload: 'x'.repeat(40) });

function source(size: number, counter: { runs: number }) {
  return function* () {
    counter.runs++;
    for (let i = 0; i < size; i++) yield item(i);
  };
}

for (const engine of ['lmdb', 'sqlite', 'pairtree', 'memory'] as EngineName[]) {
  t.test(engine, async (t) => {
    const stash = new HashStash({ root: t.testdir(), engine });
    t.teardown(() => stash.close());

    t.test('RAM: least recently used shards dropped, exact misses', async (t) => {
      const counter = { runs: 0 };
      const length = 10;
      const first = stash.sequence(source(100, counter), { name: 'lru', shardLength: length, prefetch: 0 });
      t.equal(await first.length(), 100);
      await first.close();
      await using seq = stash.sequence(source(100, counter), {
        name: 'lru',
        shardLength: length,
        memoryShards: 3,
        prefetch: 0,
      });
      const script = [0, 1, 2, 0, 3, 1, 4, 0, 0, 2];
      for (const shard of script) t.same(await seq.at(shard * length + 3), item(shard * length + 3));
      // LRU of 3: 0 1 2 miss, 0 hit, 3 1 4 0 miss, 0 hit, 2 miss.
      let stats = await seq.stats();
      t.equal(stats.misses, 8, 'misses');
      t.equal(stats.hits, 2, 'hits');
      t.equal(stats.loads, 8, 'each miss read its shard from storage');
      t.equal(stats.shardsInMemory, 3, 'never more than memoryShards');
      t.equal(stats.generated, 0, 'nothing generated: all stored');
      t.equal(counter.runs, 1, 'the iterable ran once, for the first pass');
      for await (const _ of seq.slice(40, 60)) {
        /* shards 4 and 5 */
      }
      stats = await seq.stats();
      t.equal(stats.hits + stats.misses, 10 + 20, 'a view reads through at(): one lookup per item');
      t.equal(stats.misses, 9, 'shard 4 was held, shard 5 missed once');
    });

    t.test('disk: evicted beyond maxDiskBytes, rebuilt by running the iterable again', async (t) => {
      const length = 16;
      const probe = stash.sequence(source(length, { runs: 0 }), { name: 'probe', shardLength: length });
      await probe.at(0);
      await probe.settled();
      const shardBytes = (await probe.stats()).diskBytes;
      await probe.close();
      t.ok(shardBytes > 16 * 40, `a shard is ${shardBytes} bytes`);

      const counter = { runs: 0 };
      await using seq = stash.sequence(source(10_000, counter), {
        name: 'disk',
        shardLength: length,
        memoryShards: 10,
        maxDiskBytes: 20 * shardBytes + shardBytes / 2,
        prefetch: 0,
      });
      for (let shard = 0; shard <= 20; shard++) {
        t.same(await seq.at(shard * length), item(shard * length));
        await seq.settled();
      }
      let stats = await seq.stats();
      t.equal(stats.misses, 21, 'forward: 21 RAM misses');
      t.equal(stats.generated, 21, '21 shards generated');
      t.equal(stats.evictions, 1, 'the 21st shard pushed the oldest out of storage');
      t.equal(stats.shardsOnDisk, 20);
      t.ok(stats.diskBytes <= 20 * shardBytes + shardBytes / 2, 'within the budget');
      t.equal(counter.runs, 1);
      for (let shard = 20; shard >= 0; shard--) {
        t.same(await seq.at(shard * length), item(shard * length));
        await seq.settled();
      }
      stats = await seq.stats();
      t.equal(stats.misses, 21 + 11, 'backward: shards 10 to 0 missed RAM');
      t.equal(stats.loads, 10, 'shards 10 to 1 read from storage');
      t.equal(stats.rebuilds, 1, 'shard 0 rebuilt');
      t.equal(stats.generated, 22);
      t.equal(counter.runs, 2, 'by running the iterable again from the start');
      t.equal(stats.evictions, 2, 'and the rebuild pushed another out');
      t.ok(stats.diskBytes <= 20 * shardBytes + shardBytes / 2, 'still within the budget');
    });
  });
}
