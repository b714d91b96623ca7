import t, { type Test } from 'tap';
import { Worker } from 'node:worker_threads';
import type { Engine } from '../../src/engines/engine.js';
import { createMemoryEngine } from '../../src/engines/memory/store.js';
import { MemoryBudgetError } from '../../src/engines/memory/errors.js';

const bytes = (text: string) => Buffer.from(text);
const text = (value: Uint8Array | undefined) => (value === undefined ? undefined : Buffer.from(value).toString());

function open(t: Test) {
  const engine = createMemoryEngine({
    path: `${t.testdir()}/append`,
    namespace: 'append',
    readonly: false,
    url: undefined,
    now: Date.now,
  });
  t.equal(engine.capabilities.nativeAppend, true);
  t.equal(engine.capabilities.sharedAcrossThreads, true);
  return { store: engine.sync, versions: engine.sync.append!, engine };
}

/** Runs `work` with this thread's clock `ms` ahead, as a writer on a machine whose clock is off. */
function withClockAhead<T>(ms: number, work: () => T): T {
  const realNow = Date.now;
  Date.now = () => realNow() + ms;
  try {
    return work();
  } finally {
    Date.now = realNow;
  }
}

t.test('append keeps every version, oldest first, and the latest is the value', async (t) => {
  const { store, versions } = open(t);
  const key = bytes('log');
  const before = Date.now();
  t.equal(versions.append(key, bytes('good')), 1, 'the first version is 1');
  t.equal(versions.append(key, bytes('bad')), 2);
  t.equal(versions.append(key, bytes('ugly')), 3);
  const after = Date.now();
  t.equal(text(store.get(key)), 'ugly', 'get reads the latest version');
  const all = [...versions.versions(key)];
  t.strictSame(
    all.map((v) => [v.version, text(v.value)]),
    [
      [1, 'good'],
      [2, 'bad'],
      [3, 'ugly'],
    ],
  );
  t.ok(
    all.every((v, i) => v.timestamp >= (all[i - 1]?.timestamp ?? before) && v.timestamp <= after),
    'stamped in order, while appending',
  );
  t.equal(store.size(), 1, 'size counts keys, not versions');
  t.strictSame([...store.keys()].map(text), ['log'], 'keys lists the key once');
  t.strictSame(
    [...store.entries()].map(([k, v]) => [text(k), text(v)]),
    [['log', 'ugly']],
  );
});

t.test('delete removes every version; a key set outside append mode has none', async (t) => {
  const { store, versions } = open(t);
  const key = bytes('k');
  versions.append(key, bytes('1'));
  versions.append(key, bytes('2'));
  store.set(bytes('plain'), bytes('p'));
  t.strictSame([...versions.versions(bytes('plain'))], [], 'a plain key has no versions');
  t.equal(store.delete(key), true);
  t.equal(store.get(key), undefined);
  t.strictSame([...versions.versions(key)], [], 'no versions left');
  t.equal(versions.append(key, bytes('again')), 1, 'appending after delete starts at version 1');
  t.equal(store.size(), 2);
  store.clear();
  t.strictSame([...versions.versions(key)], [], 'clear removes versions too');
  t.equal(store.size(), 0);
});

t.test('appendMany appends each entry in turn under one lock', async (t) => {
  const { store, versions } = open(t);
  versions.appendMany!([
    [bytes('a'), bytes('1')],
    [bytes('b'), bytes('x')],
    [bytes('a'), bytes('2')],
  ]);
  const all = [...versions.versions(bytes('a'))];
  t.strictSame(
    all.map((v) => [v.version, text(v.value)]),
    [
      [1, '1'],
      [2, '2'],
    ],
  );
  t.ok(all[1].timestamp >= all[0].timestamp, 'stamped in order');
  t.equal(text(store.get(bytes('a'))), '2');
  t.equal(store.size(), 2);
});

t.test('appending costs the same whatever the number of versions before', async (t) => {
  const { versions } = open(t);
  const key = bytes('many');
  const time = (count: number) => {
    const start = performance.now();
    for (let i = 0; i < count; i++) versions.append(key, bytes(`v${i}`));
    return (performance.now() - start) / count;
  };
  time(2000);
  const early = time(2000);
  time(10_000);
  const late = time(2000);
  t.ok(
    late < early * 4 + 0.01,
    `an append after 14,000 versions (${(late * 1000).toFixed(1)} µs) costs about what one after 2,000 did (${(early * 1000).toFixed(1)} µs)`,
  );
  t.equal([...versions.versions(key)].length, 16_000);
});

t.test('a failed append leaves no version behind, and the next append gets its number', async (t) => {
  // evict 'none' and two 64 KB segments; raw entries: 16 bytes of header, the key padded to 8, the value.
  const engine: Engine = createMemoryEngine({
    path: `${t.testdir()}/failed`,
    namespace: 'failed',
    readonly: false,
    url: undefined,
    now: Date.now,
    maxBytes: 2 * 65_536,
    evict: 'none',
  });
  const versions = engine.sync!.append;
  const store = engine.sync!;
  const key = bytes('a');
  versions!.append(key, bytes('v1'));
  // The version (40 bytes), the counter (40) and the value (32), then a filler to the end of the first segment.
  store.set(bytes('filler'), Buffer.alloc(65_536 - 112 - 24));
  const before = (await engine.stats!()).bytesUsed;
  // Its version fits the second segment; then its value does not.
  t.throws(() => versions!.append(key, Buffer.alloc(40_000)), MemoryBudgetError);
  t.equal((await engine.stats!()).bytesUsed, before, 'the version written before the failure was taken back');
  t.strictSame(
    [...versions!.versions(key)].map((v) => [v.version, text(v.value)]),
    [[1, 'v1']],
    'the versions are as before',
  );
  t.equal(text(store.get(key)), 'v1', 'so is the value');
  t.equal(versions!.append(key, bytes('v2')), 2, 'the next append is version 2');
  t.strictSame(
    [...versions!.versions(key)].map((v) => [v.version, text(v.value)]),
    [
      [1, 'v1'],
      [2, 'v2'],
    ],
  );
});

t.test('a version is stamped no earlier than the one before it, also when that one was evicted', async (t) => {
  // fifo and two 64 KB segments: the oldest segment is evicted whole, except the counters of keys with something left.
  const engine = createMemoryEngine({
    path: `${t.testdir()}/stamps`,
    namespace: 'stamps',
    readonly: false,
    url: undefined,
    now: Date.now,
    maxBytes: 2 * 65_536,
    evict: 'fifo',
  });
  const store = engine.sync;
  const versions = store.append!;
  const key = bytes('k');
  const ahead = 60 * 60 * 1000;
  const before = Date.now();
  withClockAhead(ahead, () => versions.append(key, bytes('v1')));
  const [first] = [...versions.versions(key)];
  t.ok(first.timestamp >= before + ahead, 'version 1 was stamped by a clock an hour ahead');
  // Writing the key's value again keeps it in the newest segment, so its counter outlives version 1.
  for (let i = 0; i < 1000 && [...versions.versions(key)].length > 0; i++) {
    store.set(bytes(`filler ${i}`), Buffer.alloc(1024));
    store.set(key, bytes('v1'));
  }
  t.strictSame([...versions.versions(key)], [], 'version 1 was evicted');
  t.equal(versions.append(key, bytes('v2')), 2, 'the next append is version 2');
  const [second] = [...versions.versions(key)];
  t.ok(
    second.timestamp >= first.timestamp,
    `version 2 (${second.timestamp}) is not stamped before version 1 (${first.timestamp})`,
  );
});

t.test('appending to a budget full of version counters evicts old histories instead of looping forever', async (t) => {
  // In a worker, so that a write that loops (holding the lock) fails this test instead of hanging it.
  const memoryUrl = new URL('../../src/engines/memory/store.js', import.meta.url).href;
  const worker = new Worker(
    `
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      const { createMemoryEngine } = await import(workerData.memoryUrl);
      const engine = createMemoryEngine({ path: workerData.path, namespace: 'flood', readonly: false, url: undefined, now: Date.now, maxBytes: '1mb', evict: 'lru' });
      const { append } = engine.sync;
      for (let i = 0; i < 20_000; i++) append.append(Buffer.from('k' + i), Buffer.from('v' + i));
      const big = Buffer.alloc(200 * 1024, 7);
      const version = append.append(Buffer.from('big'), big);
      const back = engine.sync.get(Buffer.from('big'));
      const first = [...append.versions(Buffer.from('k0'))].length;
      parentPort.postMessage({
        version, whole: back !== undefined && Buffer.compare(back, big) === 0, first,
        again: append.append(Buffer.from('k0'), Buffer.from('new')), stats: await engine.stats(),
      });
    })().catch((error) => parentPort.postMessage({ error: String(error && error.stack || error) }));
  `,
    { eval: true, workerData: { memoryUrl, path: `${t.testdir()}/flood` } },
  );
  let timer: NodeJS.Timeout | undefined;
  const reply = await Promise.race([
    new Promise<Record<string, unknown>>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    }),
    new Promise<Record<string, unknown>>((resolve) => {
      timer = setTimeout(() => resolve({ error: 'no answer in 60 s: the append loops' }), 60_000);
    }),
  ]);
  clearTimeout(timer);
  await worker.terminate();
  t.equal(reply.error, undefined);
  t.equal(reply.version, 1, 'the 200 KB append was written');
  t.equal(reply.whole, true, 'and reads back whole');
  t.equal(reply.first, 0, "the oldest key's history was evicted, counter included");
  t.equal(reply.again, 1, 'so its next append starts again at version 1');
  const stats = reply.stats as { bytesUsed: number; evictions: number };
  t.ok(stats.bytesUsed <= 1024 * 1024, `the budget holds (${stats.bytesUsed} bytes used)`);
  t.ok(stats.evictions > 20_000, `old entries were evicted (${stats.evictions})`);
});
