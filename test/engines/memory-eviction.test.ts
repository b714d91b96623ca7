import t, { type Test } from 'tap';
import { ConfigError, HashStash, MemoryBudgetError } from '../../src/index.js';

const MB = 1024 * 1024;
const BUDGET = 2 * MB;
/** ~1 KB values, raw (uncompressed), so the budget holds about 1,900 of them. */
const value = (i: number) => `${i}:`.padEnd(1000, String.fromCharCode(97 + (i % 26)));

function open(t: Test, evict: 'lru' | 'lfu' | 'fifo' | 'none', maxBytes: number | string = BUDGET) {
  const stash = new HashStash<string, string>({
    root: t.testdir(),
    name: evict,
    engine: 'memory',
    compress: 'raw',
    maxBytes,
    evict,
  });
  t.teardown(() => stash.close());
  return stash;
}

const HOT = Array.from({ length: 100 }, (_, i) => `hot-${i}`);
/** 20,000 writes of ~1 KB: ten times the budget. */
const COLD_WRITES = 20_000;

async function budgetKept(t: Test, stash: HashStash<string, string>) {
  const stats = await stash.stats();
  t.ok(stats.bytesUsed! <= BUDGET, `bytes used ${stats.bytesUsed} stay within the budget ${BUDGET}`);
  t.ok(
    stats.bytesReserved! <= BUDGET + 256 * 1024,
    `bytes reserved ${stats.bytesReserved}: the budget plus the index and control block`,
  );
  t.ok(stats.evictions! > 0, `entries were evicted (${stats.evictions})`);
  t.ok(stats.entries < 2_000 && stats.entries > 1_000, `about a budget's worth of entries remain (${stats.entries})`);
  t.equal(stats.entries, await stash.size());
  return stats;
}

const survivors = (stash: HashStash<string, string>) => HOT.filter((key) => stash.sync.get(key) !== undefined).length;

t.test('lru: keys read recently survive a budget filled ten times over', async (t) => {
  const stash = open(t, 'lru');
  for (const [i, key] of HOT.entries()) stash.sync.set(key, value(i));
  for (let i = 0; i < COLD_WRITES; i++) {
    stash.sync.set(`cold-${i}`, value(i));
    if (i % 200 === 0) for (const key of HOT) stash.sync.get(key);
  }
  await budgetKept(t, stash);
  t.equal(survivors(stash), HOT.length, 'every hot key is still there');
  t.equal(stash.sync.get(`cold-0`), undefined, 'the first cold key is gone');
  t.equal(stash.sync.get(`cold-${COLD_WRITES - 1}`), value(COLD_WRITES - 1), 'the last one is there');
  t.equal(stash.sync.get('hot-5'), value(5), 'a surviving entry reads back whole');
});

t.test('fifo: the same reads do not save the hot keys', async (t) => {
  const stash = open(t, 'fifo');
  for (const [i, key] of HOT.entries()) stash.sync.set(key, value(i));
  for (let i = 0; i < COLD_WRITES; i++) {
    stash.sync.set(`cold-${i}`, value(i));
    if (i % 200 === 0) for (const key of HOT) stash.sync.get(key);
  }
  await budgetKept(t, stash);
  t.equal(survivors(stash), 0, 'the oldest entries went first, read or not');
});

t.test('lfu: keys read often survive long after their last read; lru forgets them', async (t) => {
  for (const evict of ['lfu', 'lru'] as const) {
    const stash = open(t, evict);
    for (const [i, key] of HOT.entries()) stash.sync.set(key, value(i));
    for (let round = 0; round < 200; round++) for (const key of HOT) stash.sync.get(key);
    // Ones read once, to show frequency (not the read itself) is what counts.
    for (let i = 0; i < 100; i++) stash.sync.set(`once-${i}`, value(i));
    for (let i = 0; i < 100; i++) stash.sync.get(`once-${i}`);
    for (let i = 0; i < COLD_WRITES / 4; i++) stash.sync.set(`cold-${i}`, value(i));
    await budgetKept(t, stash);
    const onceLeft = Array.from({ length: 100 }, (_, i) => stash.sync.has(`once-${i}`)).filter(Boolean).length;
    if (evict === 'lfu') {
      t.equal(survivors(stash), HOT.length, 'lfu: every frequently read key is still there');
      t.equal(onceLeft, 0, 'lfu: keys read once are gone');
    } else {
      t.equal(survivors(stash), 0, 'lru: keys not read lately are gone, however often they were read before');
    }
  }
});

t.test('none: a write that does not fit throws MemoryBudgetError and keeps every entry', async (t) => {
  const stash = open(t, 'none');
  let written = 0;
  let error: unknown;
  try {
    for (; written < COLD_WRITES; written++) stash.sync.set(`k${written}`, value(written));
  } catch (caught) {
    error = caught;
  }
  t.ok(error instanceof MemoryBudgetError, 'the write past the budget throws MemoryBudgetError');
  t.equal((error as MemoryBudgetError).code, 'HASHSTASH_MEMORY_BUDGET');
  t.ok(written > 1_000 && written < 2_100, `about a budget's worth was written (${written})`);
  t.equal(stash.sync.size(), written, 'nothing was evicted');
  t.equal(stash.sync.get('k0'), value(0));
  t.equal((await stash.stats()).evictions, 0);
  for (let i = 0; i < 500; i++) stash.sync.delete(`k${i}`);
  for (let i = 0; i < 400; i++) stash.sync.set(`again-${i}`, value(i));
  t.equal(stash.sync.size(), written - 500 + 400, 'space of deleted entries is reused');
  t.equal(stash.sync.get(`k${written - 1}`), value(written - 1));
});

t.test('an entry larger than the budget throws whatever the policy', async (t) => {
  const stash = open(t, 'lru', '1mb');
  await stash.set('small', 'fits');
  t.throws(() => stash.sync.set('big', 'x'.repeat(2 * MB)), MemoryBudgetError);
  t.equal(stash.sync.get('small'), 'fits', 'the stash is unchanged');
});

t.test('stats counts hits and misses of this stash object', async (t) => {
  const stash = open(t, 'lru');
  await stash.set('a', value(1));
  await stash.get('a');
  stash.sync.get('a');
  await stash.get('missing');
  await stash.getMany(['a', 'missing']);
  const stats = await stash.stats();
  t.equal(stats.hits, 3);
  t.equal(stats.misses, 2);
  t.equal(stats.entries, 1);
  t.ok(stats.bytesUsed! > 1000 && stats.bytesUsed! < 1200, `bytes used ${stats.bytesUsed} are the entry's`);
  t.ok(stats.bytesReserved! >= 64 * 1024, 'bytes reserved include the first segment');
});

t.test('maxBytes and evict are validated', async (t) => {
  const root = t.testdir();
  for (const maxBytes of ['lots', '-5mb', 0, -1, '12 parsecs', '0%', '150%']) {
    t.throws(
      () => new HashStash({ root, engine: 'memory', maxBytes }),
      ConfigError,
      `maxBytes ${JSON.stringify(maxBytes)}`,
    );
  }
  t.throws(() => new HashStash({ root, engine: 'memory', evict: 'random' as never }), ConfigError);
  try {
    new HashStash({ root, engine: 'memory', maxBytes: 'lots' });
  } catch (error) {
    t.match((error as Error).message, /maxBytes/, 'the message names the option');
  }
  for (const [given, bytes] of [
    ['512mb', 512 * MB],
    ['1.5 GB', 1.5 * 1024 * MB],
    ['64k', 65_536],
    [4096, 4096],
  ] as const) {
    t.equal(new HashStash({ root, engine: 'memory', maxBytes: given }).options.maxBytes, bytes, `maxBytes ${given}`);
  }
});
