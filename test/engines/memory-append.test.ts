import t, { type Test } from 'tap';
import { Worker } from 'node:worker_threads';
import type { Engine } from '../../src/engines/engine.js';
import { createMemoryEngine } from '../../src/engines/memory.js';
import { MemoryBudgetError } from '../../src/engines/shared-memory/errors.js';

const bytes = (text: string) => Buffer.from(text);
const text = (value: Uint8Array | undefined) => (value === undefined ? undefined : Buffer.from(value).toString());

function open(t: Test) {
  const engine = createMemoryEngine({ path: `${t.testdir()}/append`, namespace: 'append', readonly: false, url: undefined });
  t.equal(engine.capabilities.nativeAppend, true);
  t.equal(engine.capabilities.sharedAcrossThreads, true);
  return { store: engine.sync, versions: engine.sync.append!, engine };
}

t.test('append keeps every version, oldest first, and the latest is the value', async (t) => {
  const { store, versions } = open(t);
  const key = bytes('log');
  t.equal(versions.append(key, bytes('good'), 1000), 1, 'the first version is 1');
  t.equal(versions.append(key, bytes('bad'), 2000), 2);
  t.equal(versions.append(key, bytes('ugly'), 3000), 3);
  t.equal(text(store.get(key)), 'ugly', 'get reads the latest version');
  const all = [...versions.versions(key)];
  t.strictSame(all.map((v) => [v.version, v.timestamp, text(v.value)]), [[1, 1000, 'good'], [2, 2000, 'bad'], [3, 3000, 'ugly']]);
  t.equal(store.size(), 1, 'size counts keys, not versions');
  t.strictSame([...store.keys()].map(text), ['log'], 'keys lists the key once');
  t.strictSame([...store.entries()].map(([k, v]) => [text(k), text(v)]), [['log', 'ugly']]);
});

t.test('delete removes every version; a key set outside append mode has none', async (t) => {
  const { store, versions } = open(t);
  const key = bytes('k');
  versions.append(key, bytes('1'), 1);
  versions.append(key, bytes('2'), 2);
  store.set(bytes('plain'), bytes('p'));
  t.strictSame([...versions.versions(bytes('plain'))], [], 'a plain key has no versions');
  t.equal(store.delete(key), true);
  t.equal(store.get(key), undefined);
  t.strictSame([...versions.versions(key)], [], 'no versions left');
  t.equal(versions.append(key, bytes('again'), 3), 1, 'appending after delete starts at version 1');
  t.equal(store.size(), 2);
  store.clear();
  t.strictSame([...versions.versions(key)], [], 'clear removes versions too');
  t.equal(store.size(), 0);
});

t.test('appendMany appends each entry in turn under one lock', async (t) => {
  const { store, versions } = open(t);
  versions.appendMany!([[bytes('a'), bytes('1')], [bytes('b'), bytes('x')], [bytes('a'), bytes('2')]], 42);
  t.strictSame([...versions.versions(bytes('a'))].map((v) => [v.version, v.timestamp, text(v.value)]), [[1, 42, '1'], [2, 42, '2']]);
  t.equal(text(store.get(bytes('a'))), '2');
  t.equal(store.size(), 2);
});

t.test('appending costs the same whatever the number of versions before', async (t) => {
  const { versions } = open(t);
  const key = bytes('many');
  const time = (count: number) => {
    const start = performance.now();
    for (let i = 0; i < count; i++) versions.append(key, bytes(`v${i}`), i);
    return (performance.now() - start) / count;
  };
  time(2000);
  const early = time(2000);
  time(10_000);
  const late = time(2000);
  t.ok(late < early * 4 + 0.01, `an append after 14,000 versions (${(late * 1000).toFixed(1)} µs) costs about what one after 2,000 did (${(early * 1000).toFixed(1)} µs)`);
  t.equal([...versions.versions(key)].length, 16_000);
});

t.test('a failed append leaves no version behind, and the next append gets its number', async (t) => {
  // evict 'none' and two 64 KB segments; raw entries: 16 bytes of header, the key padded to 8, the value.
  const engine: Engine = createMemoryEngine({ path: `${t.testdir()}/failed`, namespace: 'failed', readonly: false, url: undefined, maxBytes: 2 * 65_536, evict: 'none' });
  const versions = engine.sync!.append;
  const store = engine.sync!;
  const key = bytes('a');
  versions!.append(key, bytes('v1'), 1);
  // The version (40 bytes), the counter (32) and the value (32), then a filler to the end of the first segment.
  store.set(bytes('filler'), Buffer.alloc(65_536 - 104 - 24));
  const before = (await engine.stats!()).bytesUsed;
  // Its version fits the second segment; then its value does not.
  t.throws(() => versions!.append(key, Buffer.alloc(40_000), 2), MemoryBudgetError);
  t.equal((await engine.stats!()).bytesUsed, before, 'the version written before the failure was taken back');
  t.strictSame([...versions!.versions(key)].map((v) => [v.version, text(v.value)]), [[1, 'v1']], 'the versions are as before');
  t.equal(text(store.get(key)), 'v1', 'so is the value');
  t.equal(versions!.append(key, bytes('v2'), 3), 2, 'the next append is version 2');
  t.strictSame([...versions!.versions(key)].map((v) => [v.version, v.timestamp, text(v.value)]), [[1, 1, 'v1'], [2, 3, 'v2']]);
});

t.test('appending to a budget full of version counters evicts old histories instead of looping forever', async (t) => {
  // In a worker, so that a write that loops (holding the lock) fails this test instead of hanging it.
  const memoryUrl = new URL('../../src/engines/memory.js', import.meta.url).href;
  const worker = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      const { createMemoryEngine } = await import(workerData.memoryUrl);
      const engine = createMemoryEngine({ path: workerData.path, namespace: 'flood', readonly: false, url: undefined, maxBytes: '1mb', evict: 'lru' });
      const { append } = engine.sync;
      for (let i = 0; i < 20_000; i++) append.append(Buffer.from('k' + i), Buffer.from('v' + i), i);
      const big = Buffer.alloc(200 * 1024, 7);
      const version = append.append(Buffer.from('big'), big, 1);
      const back = engine.sync.get(Buffer.from('big'));
      const first = [...append.versions(Buffer.from('k0'))].length;
      parentPort.postMessage({
        version, whole: back !== undefined && Buffer.compare(back, big) === 0, first,
        again: append.append(Buffer.from('k0'), Buffer.from('new'), 2), stats: await engine.stats(),
      });
    })().catch((error) => parentPort.postMessage({ error: String(error && error.stack || error) }));
  `, { eval: true, workerData: { memoryUrl, path: `${t.testdir()}/flood` } });
  let timer: NodeJS.Timeout | undefined;
  const reply = await Promise.race([
    new Promise<Record<string, unknown>>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); }),
    new Promise<Record<string, unknown>>((resolve) => { timer = setTimeout(() => resolve({ error: 'no answer in 60 s: the append loops' }), 60_000); }),
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
