/**
 * Memo and map run on narrow, structural hosts (memo/cache.ts, parallel/host.ts), not on HashStash: these tests
 * drive them with plain objects over a Map, with no stash, engine or file behind them.
 */
import t from 'tap';
import { encodeKey, keyText } from '../../src/keys/encode.js';
import { MemoCache, type MemoStore } from '../../src/memo/cache.js';
import { memoize, runOn, syncMemoize, syncRunOn } from '../../src/memo/memoize.js';
import { BatchWriter } from '../../src/parallel/batch-writer.js';
import type { MapRunStore } from '../../src/parallel/host.js';

const text = (rawKey: Uint8Array) => Buffer.from(rawKey).toString('utf8');

/** A memo store over a Map of key text → value: what a function's sub-stash is to memo code. */
function mapStore(options: { readonly?: boolean; sync?: boolean } = {}) {
  const entries = new Map<string, unknown>();
  const writes: string[] = [];
  let closed = 0;
  const read = (key: unknown, fallback?: unknown) => {
    const id = keyText(key);
    return entries.has(id) ? entries.get(id) : fallback;
  };
  const write = (rawKey: Uint8Array, value: unknown) => {
    writes.push(text(rawKey));
    entries.set(text(rawKey), value);
  };
  const store: MemoStore = {
    options: { readonly: options.readonly ?? false },
    engine: { capabilities: { sync: options.sync ?? false } },
    get sync() {
      return { get: read, setByEncodedKey: write };
    },
    get: async (key, fallback) => read(key, fallback),
    setByEncodedKey: async (rawKey, value) => write(rawKey, value),
    close: async () => {
      closed++;
    },
  };
  return { store, entries, writes, closed: () => closed };
}

t.test(
  'memoize on a plain host: computed once per argument list, stored under the arguments, in-flight shared',
  async (t) => {
    const backing = mapStore();
    const opened: string[] = [];
    const host = new MemoCache((name) => {
      opened.push(name);
      return backing.store;
    });
    let calls = 0;
    const slowSquare = async (x: number) => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return x * x;
    };
    const cached = memoize(host, slowSquare) as unknown as ((x: number) => Promise<number>) & {
      stash: MemoStore & { getFunc(x: number): Promise<unknown> };
    };
    const [a, b] = await Promise.all([cached(3), cached(3)]);
    t.same([a, b, calls], [9, 9, 1], 'concurrent equal calls compute once');
    t.equal(await cached(3), 9);
    t.equal(calls, 1, 'then read from the store');
    t.same(backing.writes, [text(encodeKey([3]))], 'stored once, under the argument list');
    t.equal(await cached.stash.getFunc(3), 9, 'getFunc reads through the store');
    t.match(opened, [/^stashed_result\/slowSquare\.[0-9a-f]{12}$/], 'the sub-stash is named after the function');
    t.equal(await runOn(host, slowSquare, [3]), 9, 'run shares the same sub-stash');
    t.equal(calls, 1);
    t.equal(opened.length, 1, 'opened once per name');
    await host.close();
    t.equal(backing.closed(), 1, 'closing the cache closes the sub-stashes it opened');
  },
);

t.test('syncMemoize on a plain host: synchronous, and a readonly store is read, never written', async (t) => {
  const backing = mapStore({ readonly: true, sync: true });
  backing.entries.set(keyText([2]), 'stored');
  const host = new MemoCache(() => backing.store);
  let calls = 0;
  const label = (x: number) => {
    calls++;
    return `computed ${x}`;
  };
  t.equal(syncRunOn(host, label, [2]), 'stored', 'a stored result is read');
  t.equal(syncRunOn(host, label, [5]), 'computed 5', 'a miss computes');
  t.equal(syncRunOn(host, label, [5]), 'computed 5');
  t.equal(calls, 2, 'and computes again: nothing was stored');
  t.same(backing.writes, []);
  const forced = syncMemoize(host, label, { force: true }) as unknown as (x: number) => string;
  t.equal(forced(2), 'computed 2', 'force recomputes');
});

t.test('BatchWriter writes through any MapRunStore, keys as they were encoded', async (t) => {
  const written: [string, unknown][] = [];
  const store: MapRunStore = {
    getMany: async () => [],
    has: async () => false,
    setManyByEncodedKey: async (entries) => {
      for (const [rawKey, value] of entries) written.push([text(rawKey), value]);
    },
    close: async () => {},
  };
  const writer = new BatchWriter(store, (error) => t.fail(String(error)));
  writer.add(encodeKey(['a']), 1);
  writer.add(encodeKey(['b']), 2);
  await writer.close();
  t.same(written, [
    [text(encodeKey(['a'])), 1],
    [text(encodeKey(['b'])), 2],
  ]);
});
