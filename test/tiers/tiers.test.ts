/**
 * Tiers in one process: reads go down the chain and copy what they find up, writes land in the last tier (a stash
 * without tiers reads them), the upper tiers follow changes made through other stash objects, expiry holds in every
 * tier, prefetch loads ahead, the budgets are never exceeded, eviction follows each policy (held against an exact
 * simulation), what a bounded tier evicts is offloaded and reloaded intact, and a worker thread reads the memory tier
 * its parent filled. On lmdb, and on redis and mongo where the test servers run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { decodeKey, HashStash, type EngineName, type HashStashOptions, type TierStats } from '../../src/index.js';
import { engineFactory } from '../../src/engines/index.js';
import { DiskUpperTier } from '../../src/tiers/disk-tier.js';
import { goldenSerializers, goldenValues } from '../fixtures/golden-values.js';
import { mongoUrl, redisUrl, serverSkip } from '../helpers/servers.js';
import { seededRandom } from '../../bench/workloads.js';
import { exactLruHitRatios, zipfTrace } from '../../bench/zipf.js';

t.setTimeout(300_000);

const KB = 1024;
const LAST: { engine: EngineName; url: string | undefined; skip: string | false }[] = [
  { engine: 'lmdb', url: undefined, skip: false },
  { engine: 'redis', url: redisUrl(), skip: serverSkip('redis') },
  { engine: 'mongo', url: mongoUrl(), skip: serverSkip('mongo') },
];

interface Record_ {
  readonly i: number;
  readonly text: string;
}
const record = (i: number, text = 'v'): Record_ => ({ i, text: `${text}${i}` });

/** Polls `read` until it gives `wanted` (deep-equal by JSON), for up to `ms`; how long it took, or -1. */
async function until(read: () => Promise<unknown>, wanted: unknown, ms: number): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < ms) {
    if (JSON.stringify(await read()) === JSON.stringify(wanted)) return performance.now() - start;
    await sleep(2);
  }
  return -1;
}

for (const { engine, url, skip } of LAST) {
  t.test(`over ${engine}`, { skip }, async (t) => {
    const root = `${t.testdir()}/${engine}-${process.pid}-${Date.now()}`;
    const base: HashStashOptions = { root, engine, ...(url ? { url } : {}) };
    const open = (options: HashStashOptions = {}) => {
      const stash = new HashStash<number, Record_>({ ...base, ...options });
      t.teardown(() => stash.close());
      return stash;
    };

    t.test('reads copy up what they find; writes land in the last tier', async (t) => {
      const plain = open({ name: 'rw' });
      const tiered = open({ name: 'rw', memory: { maxBytes: '1mb' } });
      await tiered.prefetch([]); // the change feed is ready: copies go up from here on
      await tiered.set(1, record(1));
      t.same(await plain.get(1), record(1), 'a write through the tiers is in the last tier when it resolves');
      await plain.set(2, record(2));
      t.same(await tiered.get(2), record(2), 'the first read finds it in the last tier');
      // The change feed brings plain's write back to the tier a moment later and drops the copy made meanwhile: the
      // next read after that copies it up again.
      const deadline = Date.now() + 10_000;
      while ((await tiered.stats()).tiers![0].hits === 0 && Date.now() < deadline) {
        t.same(await tiered.get(2), record(2));
        await sleep(5);
      }
      const [memory, last] = (await tiered.stats()).tiers as [TierStats, TierStats];
      t.equal(memory.engine, 'memory');
      t.equal(last.engine, engine);
      t.ok(memory.hits >= 1, 'a later read hits in the memory tier');
      t.ok(last.hits >= 1, 'a hit in the last tier');
      t.ok(memory.bytesUsed > 0 && memory.bytesUsed <= memory.maxBytes!, 'the memory tier holds bytes within budget');
      t.equal(memory.hitRatio, memory.hits / (memory.hits + memory.misses));
      t.ok(await tiered.delete(2), 'delete says it removed the key');
      t.equal(await tiered.get(2), undefined, 'and no tier has it');
      t.equal(await plain.get(2), undefined);
      await tiered.clear();
      t.equal(await plain.get(1), undefined, 'clear empties the last tier');
      t.equal(await tiered.get(1), undefined, 'and the memory tier');
    });

    t.test('the memory tier follows writes made through other stash objects', async (t) => {
      const plain = open({ name: 'coherent' });
      const tiered = open({ name: 'coherent', memory: { maxBytes: '1mb' } });
      await tiered.prefetch([]);
      await plain.set(7, record(7, 'old'));
      t.same(await tiered.get(7), record(7, 'old'));
      t.same(await tiered.get(7), record(7, 'old'), 'cached');
      await plain.set(7, record(7, 'new'));
      const ms = await until(() => tiered.get(7), record(7, 'new'), 10_000);
      t.ok(ms >= 0, `a write elsewhere reached the memory tier's reader after ${ms.toFixed(1)} ms`);
      await plain.delete(7);
      t.ok((await until(() => tiered.get(7), undefined, 10_000)) >= 0, 'and a delete');

      const trusting = open({ name: 'coherent', memory: { maxBytes: '1mb', evict: 'fifo' }, coherence: 'none' });
      await plain.set(8, record(8, 'old'));
      t.same(await trusting.get(8), record(8, 'old'));
      await plain.set(8, record(8, 'new'));
      await sleep(300);
      t.same(await trusting.get(8), record(8, 'old'), "coherence 'none' keeps its copy, as asked");
    });

    t.test('expiry holds in every tier', async (t) => {
      let now = 1_000_000;
      const clock = () => now;
      const tiered = open({ name: 'expiry', memory: { maxBytes: '1mb' }, clock });
      await tiered.prefetch([]);
      await tiered.set(1, record(1), { ttl: 1_000 });
      await tiered.prefetch([1]);
      t.same(await tiered.get(1), record(1));
      now += 2_000;
      t.equal(await tiered.get(1), undefined, 'expired in the memory tier as in the last');
    });

    t.test('prefetch loads ahead; a sub-stash has tiers of its own', async (t) => {
      const plain = open({ name: 'ahead' });
      await plain.setMany(Array.from({ length: 200 }, (_, i) => [i, record(i)] as [number, Record_]));
      const tiered = open({ name: 'ahead', memory: { maxBytes: '1mb' } });
      t.equal(await tiered.prefetch([...Array.from({ length: 200 }, (_, i) => i), 999]), 200, 'what is stored');
      for (let i = 0; i < 200; i++) if ((await tiered.get(i))?.i !== i) t.fail(`key ${i}`);
      const [memory, last] = (await tiered.stats()).tiers as [TierStats, TierStats];
      t.equal(memory.hits, 200, 'every read a hit in the memory tier');
      t.equal(last.hits + last.misses, 0, 'none reached the last tier');
      const sub = tiered.sub('inner');
      t.same(sub.options.tiers, tiered.options.tiers, 'a sub-stash inherits the tiers');
      await sub.set(1, record(1));
      t.same(await sub.get(1), record(1));
      t.equal((await sub.stats()).tiers?.length, 2);
    });
  });
}

t.test('no budget is ever exceeded, and every read is right, under random operations', async (t) => {
  const root = t.testdir();
  const maxBytes = [64 * KB, 256 * KB];
  await using tiered = new HashStash<number, string>({
    root,
    tiers: [
      { engine: 'memory', maxBytes: maxBytes[0] },
      { engine: 'lmdb', maxBytes: maxBytes[1] },
      { engine: 'sqlite' },
    ],
    compress: 'raw',
  });
  const model = new Map<number, string>();
  const random = seededRandom(7);
  const worst = [0, 0];
  for (let op = 0; op < 2_000; op++) {
    const key = Math.floor(random() * 300);
    const roll = random();
    if (roll < 0.45) {
      const value = 'x'.repeat(Math.floor(random() * random() * 40_000)) + key;
      await tiered.set(key, value);
      model.set(key, value);
    } else if (roll < 0.9) {
      const value = await tiered.get(key);
      if (value !== model.get(key))
        t.fail(`op ${op}: key ${key} read ${value?.length} chars, not ${model.get(key)?.length}`);
    } else {
      if ((await tiered.delete(key)) !== model.delete(key)) t.fail(`op ${op}: delete said otherwise`);
    }
    const tiers = (await tiered.stats()).tiers!;
    for (const i of [0, 1]) {
      worst[i] = Math.max(worst[i], tiers[i].bytesUsed);
      if (tiers[i].bytesUsed > maxBytes[i]) t.fail(`op ${op}: tier ${i} holds ${tiers[i].bytesUsed} bytes`);
    }
  }
  const tiers = (await tiered.stats()).tiers!;
  t.ok(worst[0] <= maxBytes[0] && worst[1] <= maxBytes[1], `at most ${worst.join(' and ')} bytes held`);
  t.ok(tiers[0].evictions.budget > 0 && tiers[1].offloads > 0, 'the memory tier evicted and offloaded');
  t.ok(tiers[1].reloads > 0, 'and reads reloaded from the disk tier');
  t.equal(tiers[0].peakBytes <= maxBytes[0] && tiers[1].peakBytes <= maxBytes[1], true, 'peaks within budget');
});

t.test('a disk tier evicts exactly as an LRU (or FIFO) of its byte budget', async (t) => {
  for (const evict of ['lru', 'fifo'] as const) {
    const folder = `${t.testdir()}/${evict}`;
    const storage = engineFactory('lmdb')({
      path: folder,
      namespace: '',
      readonly: false,
      url: undefined,
      now: Date.now,
    });
    const capacity = 100 * KB;
    const tier = new DiskUpperTier(storage, folder, capacity, evict);
    const evicted: number[] = [];
    tier.evicted = (key) => evicted.push(Number(Buffer.from(key).toString()));
    const random = seededRandom(evict === 'lru' ? 1 : 2);
    const sizeOf = (key: number) => 200 + ((key * 7919) % 3_000);
    const trace = Array.from(zipfTrace({ keys: 400, reads: 5_000, exponent: 0.9, seed: 3 }).reads);
    // The simulation: an LRU of the same budget charging key plus blob bytes; FIFO is an LRU whose reads do not count.
    const held = new Map<number, number>();
    let used = 0;
    let hits = 0;
    let simulatedHits = 0;
    const simEvicted: number[] = [];
    for (const key of trace) {
      const keyBytes = Buffer.from(String(key));
      const found = tier.get(keyBytes);
      const simulated = held.get(key);
      if (simulated !== undefined) {
        simulatedHits++;
        if (evict === 'lru') {
          held.delete(key);
          held.set(key, simulated);
        }
      }
      if (found !== undefined) {
        hits++;
        continue;
      }
      const blob = new Uint8Array(sizeOf(key)).fill(key % 251);
      tier.put(keyBytes, blob);
      if (simulated === undefined) {
        held.set(key, keyBytes.length + blob.length);
        used += keyBytes.length + blob.length;
        for (const [oldest, bytes] of held) {
          if (used <= capacity) break;
          held.delete(oldest);
          used -= bytes;
          simEvicted.push(oldest);
        }
      }
      if (random() < 0.01) {
        tier.drop(keyBytes);
        used -= held.get(key) ?? 0;
        held.delete(key);
      }
    }
    t.equal(hits, simulatedHits, `${evict}: the same hits as the simulation (${hits} of ${trace.length})`);
    t.same(evicted, simEvicted, `${evict}: the same evictions, in the same order (${evicted.length})`);
    t.equal(tier.stats().bytesUsed, used, `${evict}: the same bytes held`);
    t.ok(tier.stats().peakBytes <= capacity);
    await tier.close();
  }
});

t.test("the memory tier's policies, held against an exact LRU on a Zipf trace", async (t) => {
  const root = t.testdir();
  const keys = 20_000;
  await using plain = new HashStash<number, Record_>({ root, name: 'zipf' });
  await plain.setMany(Array.from({ length: keys }, (_, i) => [i, record(i, 'record-')] as [number, Record_]));
  const bytesOf = new Map<number, number>();
  let total = 0;
  for await (const [key, blob] of plain.rawEntries()) {
    // What the memory engine charges an entry: a 16-byte header, the key padded to 8, the blob, padded to 8.
    const bytes = (16 + ((key.length + 7) & ~7) + blob.length + 7) & ~7;
    bytesOf.set(decodeKey(key) as number, bytes);
    total += bytes;
  }
  const maxBytes = Math.max(256 * KB, Math.floor(total / 10));
  const trace = zipfTrace({ keys, reads: 60_000, exponent: 0.99, seed: 11 }).reads;
  const [exact] = exactLruHitRatios(trace, maxBytes, (key) => bytesOf.get(key)!) as [number];
  const ratios: Record<string, number> = {};
  for (const evict of ['lru', 'lfu', 'fifo'] as const) {
    await using tiered = new HashStash<number, Record_>({
      root,
      name: 'zipf',
      memory: { maxBytes, evict },
      coherence: 'none',
    });
    for (const key of trace) if ((await tiered.get(key))?.i !== key) t.fail(`key ${key}`);
    ratios[evict] = (await tiered.stats()).tiers![0].hitRatio;
  }
  const lruGap = (exact - ratios.lru) * 100;
  t.comment(
    `hit ratios: exact LRU ${exact.toFixed(4)}, lru ${ratios.lru.toFixed(4)}, lfu ${ratios.lfu.toFixed(4)}, fifo ${ratios.fifo.toFixed(4)}`,
  );
  t.ok(lruGap <= 3, `lru within 3 points of an exact LRU (${lruGap.toFixed(2)} points below)`);
  t.ok(ratios.lfu > ratios.fifo, 'lfu, which keeps what is read often, beats fifo on a skewed trace');
  t.ok(ratios.lru > ratios.fifo, 'and so does lru');
});

t.test('an lfu memory tier keeps its hot keys through a scan; a fifo one keeps the latest reads', async (t) => {
  const root = t.testdir();
  const hot = Array.from({ length: 50 }, (_, i) => i);
  const scanned = Array.from({ length: 8_000 }, (_, i) => 1_000 + i);
  await using plain = new HashStash<number, string>({ root, name: 'scan', compress: 'raw' });
  await plain.setMany([...hot, ...scanned].map((key) => [key, `${key}:`.padEnd(500, 'v')] as [number, string]));
  for (const evict of ['lfu', 'fifo'] as const) {
    await using tiered = new HashStash<number, string>({
      root,
      name: 'scan',
      memory: { maxBytes: 1024 * KB, evict },
      coherence: 'none',
      compress: 'raw',
    });
    for (let round = 0; round < 100; round++) for (const key of hot) await tiered.get(key);
    for (const key of scanned) await tiered.get(key); // a scan: 4 MB of keys read once, through a 1 MB tier
    const before = (await tiered.stats()).tiers![0];
    for (const key of hot) await tiered.get(key);
    const after = (await tiered.stats()).tiers![0];
    const hotHits = after.hits - before.hits;
    if (evict === 'lfu') t.ok(hotHits >= 35, `lfu: ${hotHits} of 50 hot keys survived the scan (fifo: none)`);
    else t.equal(hotHits, 0, 'fifo: the oldest went first, hot or not');
    if (evict === 'fifo') {
      for (const key of scanned.slice(-100)) await tiered.get(key);
      const recent = (await tiered.stats()).tiers![0].hits - after.hits;
      t.equal(recent, 100, 'fifo: the latest copied up are all held');
    }
  }
});

t.test("offload and reload round-trip every serializer's values", async (t) => {
  const root = t.testdir();
  const values = goldenValues();
  for (const serializer of goldenSerializers) {
    await using tiered = new HashStash<string, unknown>({
      root,
      serializer,
      tiers: [{ engine: 'memory', maxBytes: 64 * KB }, { engine: 'lmdb', maxBytes: '8mb' }, { engine: 'sqlite' }],
    });
    await tiered.prefetch([]);
    const names = Object.keys(values);
    for (let i = 0; i < 300; i++) for (const name of names) await tiered.set(`${name}-${i}`, values[name]);
    for (let round = 0; round < 2; round++)
      for (let i = 0; i < 300; i++)
        for (const name of names) {
          const read = await tiered.get(`${name}-${i}`);
          if (JSON.stringify(inspectable(read)) !== JSON.stringify(inspectable(values[name])))
            t.fail(`${serializer}: ${name}-${i} read back different`);
        }
    const [memory, disk] = (await tiered.stats()).tiers!;
    t.ok(disk.offloads > 0, `${serializer}: ${disk.offloads} entries offloaded to the disk tier`);
    t.ok(disk.reloads > 0, `${serializer}: ${disk.reloads} reloaded from it`);
    t.ok(memory.evictions.budget > 0);
    t.same(await tiered.get('rich-0'), values.rich, `${serializer}: a reloaded value deep-equals what was written`);
  }
});

/** A value with Maps, Sets, BigInts, Dates and typed arrays spelled out, so JSON compares them. */
function inspectable(value: unknown): unknown {
  if (value instanceof Map) return { map: [...value].map(([k, v]) => [inspectable(k), inspectable(v)]) };
  if (value instanceof Set) return { set: [...value].map(inspectable) };
  if (typeof value === 'bigint') return { bigint: value.toString() };
  if (value instanceof Date) return { date: value.toISOString() };
  if (ArrayBuffer.isView(value)) return { view: value.constructor.name, items: Array.from(value as Float64Array) };
  if (Array.isArray(value)) return value.map(inspectable);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inspectable(v)]));
  return value;
}

t.test('a worker thread reads the memory tier its parent filled', async (t) => {
  const options: HashStashOptions = { root: t.testdir(), name: 'threads', memory: { maxBytes: '4mb' } };
  const count = 500;
  {
    // Written before the tiered stash opens, so no change is still on its way to the tier when the worker reads.
    await using plain = new HashStash<number, { i: number }>({ ...options, memory: undefined });
    await plain.setMany(Array.from({ length: count }, (_, i) => [i, { i }] as [number, { i: number }]));
  }
  await using parent = new HashStash<number, { i: number }>(options);
  t.equal(await parent.prefetch(Array.from({ length: count }, (_, i) => i)), count, 'the parent filled the tier');
  const worker = new Worker(new URL('./tier-worker.js', import.meta.url), { workerData: { options, count } });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const reply = await new Promise<{ wrong: number; tiers: TierStats[] }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the worker exited (code ${code}) without reporting`)));
  });
  // It ends by itself once its stash is closed: never terminated mid-close (see tier-worker.ts).
  const code = await exited;
  t.equal(reply.wrong, 0, 'every value right');
  t.equal(reply.tiers[0].hits, count, 'every read a hit in the shared memory tier');
  t.equal(reply.tiers[1].hits + reply.tiers[1].misses, 0, 'none reached lmdb');
  t.equal(code, 0, 'the worker ended by itself');
});
