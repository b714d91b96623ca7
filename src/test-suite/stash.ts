/**
 * The facade's contract on one engine: the whole dictionary of API.md (keys compared by structure, values of every
 * kind, fallbacks, pop and setDefault, iteration that streams in bounded memory, bulk writes, stashes side by side,
 * persistence, the clear and readonly options, the synchronous view, paths and lifetime), run through `HashStash` on
 * an engine named by the `engine` option: a built-in one, or one given to `registerEngine`. Like
 * `engineConformance` it takes any runner's `test` function and asserts with `node:assert`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { KeyNotFoundError, ReadOnlyError, SerializationError, UnsupportedError } from '../errors.js';
import type { HashStashOptions } from '../options.js';
import { HashStash } from '../stash.js';
import type { TestFunction } from './runner.js';

/** What {@link stashConformance} runs on. */
export interface StashConformanceOptions {
  /** Registers one test; see {@link TestFunction}. */
  readonly test: TestFunction;
  /** The `engine` option: a built-in engine's name, or one given to `registerEngine`; the engine's `name` must be it. */
  readonly engine: string;
  /** Put before each test's name; default the engine's name. */
  readonly name?: string | undefined;
  /**
   * Options every stash of one test starts from (a server URL, say), given the test's root, a fresh temporary folder;
   * called once per test.
   */
  readonly options?: ((root: string) => Partial<HashStashOptions> | Promise<Partial<HashStashOptions>>) | undefined;
  /** Run after each test has closed its stashes, with its root: to remove what a server keeps. */
  readonly cleanup?: ((root: string) => unknown) | undefined;
  /** Data outlives `close()`: a new stash over the same path, opened after every other one closed, sees it. */
  readonly persistent: boolean;
  /** The engine offers `stash.sync`; when false, `stash.sync` must throw UnsupportedError. */
  readonly sync: boolean;
  /** `stash.path` is a folder on disk, created by the first write. */
  readonly onDisk: boolean;
  /** Entries in the streaming test (100,000 unless told; fewer entries get longer values, ~100 MB in all). */
  readonly bigCount?: number | undefined;
  /** Largest heap + ArrayBuffer growth allowed while streaming them (30 MB unless told). */
  readonly heapGrowthLimit?: number | undefined;
}

type AnyStash = HashStash<any, any>;

/** What one test works with: a fresh root, and stashes over it that are closed when the test ends. */
interface Harness {
  readonly root: string;
  /** A stash on the suite's engine in this test's root; `extra` overrides the base options. */
  open(extra?: Partial<HashStashOptions>): AnyStash;
  /**
   * The same data seen by a new stash: on a persistent engine `previous` is closed first, so this proves the data
   * outlives it; on a non-persistent one it stays open (its entries live only as long as the process holds them).
   */
  reopen(previous: AnyStash, extra?: Partial<HashStashOptions>): Promise<AnyStash>;
}

const MB = 1024 * 1024;
const BIG_VALUE_LENGTH = 1000;

/** `global.gc`, from --expose-gc when tap passes it, else switched on at run time (V8 allows it before first use). */
function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Bytes of JS heap plus ArrayBuffer contents (Buffers live outside the heap, and raw blobs are Buffers). */
function liveBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** Every item of an async iterable, in order. */
async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Keys of every kind the encoder must tell apart and give back; each is stored with its index as the value. */
function roundTripKeys(): unknown[] {
  return [
    'plain', '', 'ünïcødé ✓ 漢字 😀 \u0000 \n', 0, 42, -1.5, 1, 1n, '1', [1], 2n ** 70n, -(2n ** 65n), true, false, null,
    [], {}, [1, 'a', [2, [3, { b: null }]]], { a: 1, b: { c: [1, 2], d: 'x' } },
    new Date(1_700_000_000_123), new Set([3, 1, 2]), new Map<unknown, unknown>([['x', 1], [2, 'y'], [{ o: 1 }, [null]]]),
    { nested: new Map([['k', new Set(['v', 'w'])]]), when: new Date(0) },
  ];
}

/**
 * A deterministic value per index, cut from a random pool so compression cannot shrink what streaming holds.
 * Values are 1 KB, or longer when there are fewer than 100,000 of them, so that holding them all would take ~100 MB.
 */
function bigValues(count: number): { length: number; valueOf: (index: number) => string } {
  const length = Math.max(BIG_VALUE_LENGTH, Math.ceil((100 * MB) / count));
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const chars: string[] = [];
  let seed = 0x9e3779b9;
  while (chars.length < Math.max(65_536, 4 * length)) {
    seed = (seed * 1_103_515_245 + 12_345) >>> 0;
    chars.push(alphabet[seed >>> 26]!);
  }
  const pool = chars.join('');
  const span = pool.length - length;
  return {
    length,
    valueOf: (index) => {
      const start = (index * 7_919) % span;
      const prefix = `${index}:`;
      return prefix + pool.slice(start, start + length - prefix.length);
    },
  };
}

/**
 * Registers the facade's conformance tests on an engine, through `HashStash`: what a user of any engine relies on.
 * Every test opens its stashes in a fresh temporary root and closes them when it ends, also when it fails. Where
 * `engineConformance` checks the bytes-level `Engine` contract, this checks that every feature of the dictionary
 * works on top of it.
 *
 * @param config - The runner's test function, the engine's name, and what the engine is expected to do.
 */
export function stashConformance(config: StashConformanceOptions): void {
  const bigCount = config.bigCount ?? 100_000;
  const heapGrowthLimit = config.heapGrowthLimit ?? 30 * MB;
  const prefix = config.name ?? config.engine;

  const test = (name: string, body: (h: Harness) => Promise<void>) =>
    config.test(`${prefix}: ${name}`, async () => {
      const root = mkdtempSync(join(tmpdir(), 'hashstash-stash-conformance-'));
      const opened: AnyStash[] = [];
      try {
        const base: HashStashOptions = { root, ...(await config.options?.(root)), engine: config.engine };
        const open = (extra: Partial<HashStashOptions> = {}) => {
          const stash = new HashStash({ ...base, ...extra });
          opened.push(stash);
          return stash;
        };
        const reopen = async (previous: AnyStash, extra: Partial<HashStashOptions> = {}) => {
          if (config.persistent) await previous.close();
          return open(extra);
        };
        await body({ root, open, reopen });
      } finally {
        await Promise.allSettled(opened.map((stash) => stash.close()));
        try {
          await config.cleanup?.(root);
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      }
    });

  // ---- the dictionary ----

  test('set, get, has, delete and size behave like a Map', async (h) => {
    const stash = h.open();
    assert.equal(await stash.size(), 0, 'a new stash is empty');
    assert.equal(await stash.get('a'), undefined, 'get of an absent key is undefined');
    assert.equal(await stash.has('a'), false);
    await stash.set('a', 1);
    await stash.set('b', { two: [2] });
    assert.equal(await stash.get('a'), 1);
    assert.deepStrictEqual(await stash.get('b'), { two: [2] });
    assert.equal(await stash.has('a'), true);
    assert.equal(await stash.size(), 2);
    assert.equal(await stash.delete('a'), true, 'delete of a present key is true');
    assert.equal(await stash.delete('a'), false, 'delete of an absent key is false');
    assert.equal(await stash.has('a'), false);
    assert.equal(await stash.get('a'), undefined);
    assert.equal(await stash.size(), 1);
    assert.deepStrictEqual(await stash.get('b'), { two: [2] }, 'the other key is untouched');
  });

  test('overwriting a key keeps the size and returns the latest value', async (h) => {
    const stash = h.open();
    await stash.set('k', 'first');
    await stash.set('other', 0);
    await stash.set('k', { second: true });
    assert.deepStrictEqual(await stash.get('k'), { second: true });
    assert.equal(await stash.size(), 2);
    await stash.set('k', 'x'.repeat(10_000));
    await stash.set('k', 'short');
    assert.equal(await stash.get('k'), 'short', 'a shorter value after a longer one reads back whole');
    assert.equal(await stash.size(), 2);
  });

  test('get returns the fallback only for absent keys', async (h) => {
    const stash = h.open();
    assert.equal(await stash.get('missing', 'fallback'), 'fallback');
    assert.equal(await stash.get('missing', null), null);
    await stash.set('zero', 0);
    await stash.set('empty', '');
    await stash.set('false', false);
    assert.equal(await stash.get('zero', 'fallback'), 0, 'a falsy value is not absent');
    assert.equal(await stash.get('empty', 'fallback'), '');
    assert.equal(await stash.get('false', 'fallback'), false);
  });

  test('null and undefined values are stored, not missing', async (h) => {
    const stash = h.open();
    await stash.set('null', null);
    assert.equal(await stash.get('null'), null, 'get gives back null, not undefined');
    assert.equal(await stash.get('null', 'fallback'), null, 'a stored null is not replaced by the fallback');
    assert.equal(await stash.has('null'), true);
    await stash.set('undefined', undefined);
    assert.equal(await stash.has('undefined'), true, 'a stored undefined is present');
    assert.equal(await stash.has('never-set'), false, 'an absent key is not');
    assert.equal(await stash.get('undefined'), undefined);
    assert.equal(await stash.get('undefined', 'fallback'), undefined, 'a stored undefined is not replaced by the fallback');
    assert.equal(await stash.size(), 2);
    assert.deepStrictEqual(await stash.getMany(['null', 'undefined', 'never-set']), [null, undefined, undefined]);
    assert.equal(await stash.setDefault('null', 'other'), null, 'setDefault keeps a stored null');
    assert.equal(await stash.get('null'), null);
    assert.equal(await stash.pop('undefined'), undefined, 'pop of a stored undefined returns it without KeyNotFoundError');
    assert.equal(await stash.has('undefined'), false);
  });

  test('pop returns the value and removes it; KeyNotFoundError when absent without fallback', async (h) => {
    const stash = h.open();
    await stash.set('k', { v: 1 });
    assert.deepStrictEqual(await stash.pop('k'), { v: 1 });
    assert.equal(await stash.has('k'), false);
    assert.equal(await stash.size(), 0);
    await assert.rejects(() => stash.pop('k'), KeyNotFoundError, 'absent and no fallback');
    assert.equal(await stash.pop('k', 'fallback'), 'fallback');
    assert.equal(await stash.pop('k', undefined), undefined, 'an explicit undefined fallback counts as a fallback');
    assert.equal(await stash.pop('k', null), null);
    await stash.set('k', 0);
    assert.equal(await stash.pop('k', 'fallback'), 0, 'a present key ignores the fallback');
    assert.equal(await stash.has('k'), false);
  });

  test('setDefault stores only when absent', async (h) => {
    const stash = h.open();
    assert.deepStrictEqual(await stash.setDefault('k', [1]), [1], 'the default is returned');
    assert.deepStrictEqual(await stash.get('k'), [1], 'and stored');
    assert.deepStrictEqual(await stash.setDefault('k', [2]), [1], 'a present value wins');
    assert.deepStrictEqual(await stash.get('k'), [1]);
    assert.equal(await stash.size(), 1);
  });

  test('clear empties the stash and it stays usable', async (h) => {
    const stash = h.open();
    await stash.setMany([['a', 1], ['b', 2], [{ c: 3 }, 3]]);
    assert.equal(await stash.size(), 3);
    await stash.clear();
    assert.equal(await stash.size(), 0);
    assert.equal(await stash.has('a'), false);
    assert.deepStrictEqual(await collect(stash.keys()), []);
    await stash.clear();
    assert.equal(await stash.size(), 0, 'clearing an empty stash is harmless');
    await stash.set('a', 'again');
    assert.equal(await stash.get('a'), 'again');
    assert.equal(await stash.size(), 1);
  });

  test('concurrent writes from one process are all kept', async (h) => {
    const stash = h.open();
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) writes.push(stash.set(`k${i % 100}`, { i, round: Math.floor(i / 100) }));
    await Promise.all(writes);
    assert.equal(await stash.size(), 100);
    const values = await stash.getMany(Array.from({ length: 100 }, (_, i) => `k${i}`));
    const wrong = values.filter((value, i) => !(value && value.i % 100 === i && value.round >= 0 && value.round <= 2));
    assert.deepStrictEqual(wrong, [], 'each key holds one of its own writes');
  });

  // ---- keys ----

  {
    // ---- keys: equal when structurally equal ----
    test('1, 1n, "1" and [1] are four keys', async (h) => {
      const stash = h.open();
      const keys = [1, 1n, '1', [1], true, 'true', 0, '0', false, null, '', [], {}, [[1]], new Set([1]), new Map([[1, 1]])];
      for (const [i, key] of keys.entries()) await stash.set(key, i);
      assert.equal(await stash.size(), keys.length);
      assert.deepStrictEqual(await stash.getMany(keys), keys.map((_, i) => i), 'each key reads its own value');
    });

    test('objects with their properties in another order are one key', async (h) => {
      const stash = h.open();
      await stash.set({ a: 1, b: 2, c: { x: 1, y: [1, 2] } }, 'first');
      await stash.set({ c: { y: [1, 2], x: 1 }, b: 2, a: 1 }, 'second');
      assert.equal(await stash.size(), 1);
      assert.equal(await stash.get({ b: 2, c: { x: 1, y: [1, 2] }, a: 1 }), 'second');
      assert.equal(await stash.has({ a: 1, b: 2 }), false, 'a different object is a different key');
      assert.equal(await stash.has({ a: 1, b: 2, c: { x: 1, y: [2, 1] } }), false, 'array order matters');
    });

    test('a Set or a Map is the same key in any insertion order', async (h) => {
      const stash = h.open();
      await stash.set(new Set(['x', 2, 'y', 1n]), 'set');
      assert.equal(await stash.get(new Set([1n, 'y', 2, 'x'])), 'set');
      await stash.set(new Map<unknown, unknown>([['a', 1], [2, 'b'], [{ k: 1 }, null]]), 'map');
      assert.equal(await stash.get(new Map<unknown, unknown>([[{ k: 1 }, null], [2, 'b'], ['a', 1]])), 'map');
      await stash.set({ inner: new Set([new Map([['p', 1], ['q', 2]]), 3]) }, 'nested');
      assert.equal(await stash.get({ inner: new Set([3, new Map([['q', 2], ['p', 1]])]) }), 'nested');
      assert.equal(await stash.size(), 3);
      assert.equal(await stash.has(new Set(['x', 2, 'y'])), false, 'a Set with fewer members is another key');
      assert.equal(await stash.has(new Map<unknown, unknown>([['a', 2], [2, 'b']])), false, 'a Map with another value is another key');
      assert.equal(await stash.has(['x', 2, 'y', 1n]), false, 'an array of the same members is another key');
    });

    test('a Date key is its instant', async (h) => {
      const stash = h.open();
      await stash.set(new Date(1_000), 'one second');
      assert.equal(await stash.get(new Date(1_000)), 'one second', 'another Date object with the same instant');
      assert.equal(await stash.get(new Date('1970-01-01T00:00:01.000Z')), 'one second');
      assert.equal(await stash.has(new Date(1_001)), false);
      await stash.set({ at: new Date(5) }, 'inside');
      assert.equal(await stash.get({ at: new Date(5) }), 'inside');
      assert.equal(await stash.size(), 2);
    });

    test('nested arrays and objects are compared all the way down', async (h) => {
      const stash = h.open();
      const deep = () => ({ list: [1, [2, [3, [4, { five: [5n, new Date(5), null] }]]]], tag: 'deep' });
      await stash.set(deep(), 'v');
      assert.equal(await stash.get(deep()), 'v');
      const changed = deep();
      (((changed.list[1] as unknown[])[1] as unknown[])[1] as unknown[])[0] = 40;
      assert.equal(await stash.has(changed), false, 'one change deep inside is another key');
    });

    test('a function key is its source text', async (h) => {
      const stash = h.open();
      const make = (n: number) => (x: number) => x + n;
      await stash.set(make(1), 'adder');
      assert.equal(await stash.get(make(2)), 'adder', 'another function with the same source is the same key');
      assert.equal(await stash.has((x: number) => x * 2), false, 'other source, other key');
      assert.equal(await stash.size(), 1);
    });

    test('long, unicode and empty-string keys', async (h) => {
      const stash = h.open();
      const long = 'k'.repeat(100_000);
      const longToo = `${'k'.repeat(99_999)}j`;
      await stash.set(long, 'long');
      await stash.set(longToo, 'long too');
      await stash.set({ text: long }, 'long inside');
      assert.equal(await stash.get(long), 'long', 'a 100 KB key');
      assert.equal(await stash.get(longToo), 'long too', 'differing in the last character only');
      assert.equal(await stash.get({ text: long }), 'long inside');
      const unicode = ['ünïcødé', '漢字かな', '😀👍🏽', 'e\u0301', '\u00e9', 'zero\u0000byte', 'line\nbreak'];
      for (const key of unicode) await stash.set(key, `v:${key}`);
      for (const key of unicode) assert.equal(await stash.get(key), `v:${key}`, JSON.stringify(key));
      await stash.set('', 'empty');
      assert.equal(await stash.get(''), 'empty', 'the empty string is a key');
      assert.equal(await stash.size(), 3 + unicode.length + 1, 'composed and decomposed é are different keys');
      const keys = await collect(stash.keys());
      assert.ok(keys.some((key) => key === long), 'iteration gives the 100 KB key back whole');
      assert.ok(keys.includes(''), 'and the empty string');
    });
  }

  // ---- values ----

  test('values of every kind round-trip', async (h) => {
    const stash = h.open();
    const values: Record<string, unknown> = {
      string: 'text ✓ 😀', empty: '', number: 3.25, negative: -7, nan: NaN, infinity: -Infinity, bigint: -(2n ** 80n),
      boolean: false, null: null, date: new Date(86_400_000),
      map: new Map<unknown, unknown>([[{ k: 1 }, [1, 2]], ['s', new Set([1])]]),
      set: new Set<unknown>(['a', 2, null, [3]]),
      nested: { a: [1, { b: [2, { c: 'deep', d: new Date(3) }] }], m: new Map([['x', { y: 1n }]]) },
      array: [1, 'two', null, [3, [4]], { five: 5 }],
      megabyte: 'x'.repeat(MB),
      entropy: bigValues(100_000).valueOf(12),
    };
    for (const [name, value] of Object.entries(values)) await stash.set(name, value);
    for (const [name, value] of Object.entries(values)) assert.deepStrictEqual(await stash.get(name), value, name);

    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    await stash.set('buffer', bytes);
    const gotBytes = await stash.get('buffer');
    assert.ok(gotBytes instanceof Uint8Array, 'a Buffer comes back as bytes');
    assert.ok(Buffer.from(gotBytes).equals(bytes), 'with the same contents');

    await stash.set('holes', { a: undefined, b: [undefined, 1] });
    const holes = await stash.get('holes');
    assert.ok(holes && 'a' in holes, 'a property holding undefined is kept');
    assert.equal(holes?.a, undefined);
    assert.deepStrictEqual(holes?.b, [undefined, 1], 'undefined inside an array is kept');

    const original = { list: [1, 2], map: new Map([['k', 1]]) };
    await stash.set('snapshot', original);
    original.list.push(3);
    original.map.set('k', 2);
    assert.deepStrictEqual(await stash.get('snapshot'), { list: [1, 2], map: new Map([['k', 1]]) },
      'a stored value does not follow later changes of the object');
    const read = await stash.get('snapshot');
    read.list.push(9);
    assert.deepStrictEqual(await stash.get('snapshot'), { list: [1, 2], map: new Map([['k', 1]]) },
      'changing a read value does not change the stored one');
  });

  test('a value the serializer cannot carry rejects with SerializationError and stores nothing', async (h) => {
    const stash = h.open();
    await stash.set('k', 'kept');
    await assert.rejects(() => stash.set('k', { fine: 1, bad: Symbol('nope') }), SerializationError);
    await assert.rejects(() => stash.set('new', { bad: Symbol('nope') }), SerializationError);
    assert.equal(await stash.get('k'), 'kept', 'the old value is untouched');
    assert.equal(await stash.has('new'), false, 'nothing was stored under the new key');
    await assert.rejects(() => stash.set({ key: Symbol('nope') }, 1), SerializationError, 'a key it cannot carry too');
    await assert.rejects(() => stash.get(new WeakMap()), SerializationError, 'also when reading');
    assert.equal(await stash.size(), 1);
  });

  // ---- iteration ----

  test('iteration gives back the original keys and values', async (h) => {
    const stash = h.open();
    const keys = roundTripKeys();
    for (const [i, key] of keys.entries()) await stash.set(key, { index: i, key });
    assert.equal(await stash.size(), keys.length, 'every key is distinct');

    const byIndex = (pairs: [unknown, { index: number; key: unknown }][]) => {
      const keysOut: unknown[] = new Array(keys.length);
      for (const [key, value] of pairs) {
        keysOut[value.index] = key;
        assert.deepStrictEqual(value.key, key, `the value stored under key ${value.index} is its own`);
      }
      return keysOut;
    };
    const iterated: [unknown, { index: number; key: unknown }][] = [];
    for await (const pair of stash) iterated.push(pair);
    assert.equal(iterated.length, keys.length, 'for await gives each entry once');
    assert.deepStrictEqual(byIndex(iterated), keys, 'for await gives the original keys');
    assert.deepStrictEqual(byIndex(await collect(stash.entries())), keys, 'entries() gives the original keys');

    const keysOut = await collect(stash.keys());
    assert.equal(keysOut.length, keys.length);
    const values = await collect(stash.values());
    assert.deepStrictEqual(values.map((value) => value.index).sort((a, b) => a - b), keys.map((_, i) => i), 'values() gives every value once');
    for (const key of keysOut) {
      assert.ok(await stash.has(key), 'every iterated key finds its entry');
    }
    const remapped = new Array(keys.length);
    for (const key of keysOut) remapped[(await stash.get(key)).index] = key;
    assert.deepStrictEqual(remapped, keys, 'keys() gives the original keys');
  });

  test('raw entries decode to the original keys and values', async (h) => {
    const stash = h.open();
    const keys = roundTripKeys();
    for (const [i, key] of keys.entries()) await stash.set(key, { index: i, when: new Date(i) });
    const decoded = new Array(keys.length);
    let count = 0;
    for await (const [rawKey, rawValue] of stash.rawEntries()) {
      assert.ok(rawKey instanceof Uint8Array && rawValue instanceof Uint8Array, 'raw entries are bytes');
      const value = stash.decodeValue(rawValue);
      assert.deepStrictEqual(value.when, new Date(value.index));
      decoded[value.index] = stash.decodeKey(rawKey);
      count++;
    }
    assert.equal(count, keys.length);
    assert.deepStrictEqual(decoded, keys);

    const rawKeys = await collect(stash.rawKeys());
    assert.equal(rawKeys.length, keys.length);
    const rawValues = await collect(stash.rawValues());
    assert.deepStrictEqual(rawValues.map((raw) => stash.decodeValue(raw).index).sort((a, b) => a - b), keys.map((_, i) => i));
    const fromRawKeys = await stash.getMany(rawKeys.map((raw) => stash.decodeKey(raw)));
    assert.deepStrictEqual(fromRawKeys.map((value) => value.index).sort((a, b) => a - b), keys.map((_, i) => i),
      'decoded raw keys find their entries');
  });

  test(`iteration streams ${bigCount} entries in bounded memory`, async (h) => {
    const gc = collector();
    const stash = h.open();
    const { length, valueOf } = bigValues(bigCount);
    function* entries(): Generator<[number, string]> {
      for (let i = 0; i < bigCount; i++) yield [i, valueOf(i)];
    }
    let started = performance.now();
    await stash.setMany(entries());
    const populateMs = performance.now() - started;
    assert.equal(await stash.size(), bigCount);

    const seen = new Uint8Array(bigCount);
    let count = 0;
    let wrong = 0;
    let repeated = 0;
    let maxGrowth = 0;
    const sampleEvery = Math.max(1, Math.floor(bigCount / 20));
    gc();
    const baseline = liveBytes();
    started = performance.now();
    for await (const [key, value] of stash) {
      if (typeof key !== 'number' || !(key >= 0 && key < bigCount) || value !== valueOf(key)) wrong++;
      else if (seen[key]++) repeated++;
      if (++count % sampleEvery === 0) {
        gc();
        maxGrowth = Math.max(maxGrowth, liveBytes() - baseline);
      }
    }
    const iterateMs = performance.now() - started;
    assert.equal(count, bigCount, 'every entry once');
    assert.equal(wrong, 0, 'every key and value is the one stored');
    assert.equal(repeated, 0, 'no entry repeats');
    assert.ok(maxGrowth < heapGrowthLimit,
      `heap growth while iterating ${(maxGrowth / MB).toFixed(1)} MB stays under ${heapGrowthLimit / MB} MB ` +
      `(holding every ${length}-character value would take ${(bigCount * length / MB).toFixed(0)} MB)`);
    started = performance.now();
    await stash.clear();
    assert.equal(await stash.size(), 0, 'a big stash clears');
  });

  // ---- bulk ----

  test('getMany and setMany', async (h) => {
    const stash = h.open();
    await stash.setMany([['a', 1], [{ b: 2 }, 2]]);
    async function* more(): AsyncGenerator<[unknown, unknown]> {
      yield ['c', 3];
      yield [[4], new Set([4])];
    }
    await stash.setMany(more());
    assert.deepStrictEqual(await stash.getMany(['a', { b: 2 }, 'c', [4], 'missing']), [1, 2, 3, new Set([4]), undefined]);
    assert.deepStrictEqual(await stash.getMany([]), []);
    assert.equal(await stash.size(), 4);
  });

  test('update accepts a Map, pairs, an async generator, a plain object and another stash', async (h) => {
    const stash = h.open();
    await stash.update(new Map<unknown, unknown>([['map', 1], [{ from: 'map' }, [1]]]));
    await stash.update([['pairs', 2], [[2], 'array key']]);
    await stash.update((async function* () {
      yield ['async', 3] as [string, number];
      yield [new Set(['gen']), 'set key'] as [Set<string>, string];
    })());
    await stash.update({ plain: 4, 'with space': { deep: true } });
    assert.equal(await stash.get('map'), 1);
    assert.deepStrictEqual(await stash.get({ from: 'map' }), [1]);
    assert.equal(await stash.get('pairs'), 2);
    assert.equal(await stash.get([2]), 'array key');
    assert.equal(await stash.get('async'), 3);
    assert.equal(await stash.get(new Set(['gen'])), 'set key');
    assert.equal(await stash.get('plain'), 4, 'plain object properties are string keys');
    assert.deepStrictEqual(await stash.get('with space'), { deep: true });
    assert.equal(await stash.size(), 8);

    const source = h.open({ name: 'source' });
    await source.set({ k: [1, 2] }, new Map([['v', 1]]));
    await source.set('plain', 'overwritten by the other stash');
    await source.set(7n, null);
    await stash.update(source);
    assert.deepStrictEqual(await stash.get({ k: [1, 2] }), new Map([['v', 1]]), 'entries of another stash keep their keys');
    assert.equal(await stash.get('plain'), 'overwritten by the other stash');
    assert.equal(await stash.get(7n), null);
    assert.equal(await stash.has(7n), true);
    assert.equal(await stash.size(), 10);
    assert.equal(await source.size(), 3, 'the source stash is unchanged');
  });

  // ---- stashes side by side ----

  test('stashes with another name or other settings in one root do not see each other', async (h) => {
    const variants: [string, Partial<HashStashOptions>][] = [
      ['default', {}],
      ['other name', { name: 'other' }],
      ['nested name', { name: 'main/inner' }],
      ['raw', { compress: 'raw' }],
      ['zlib', { compress: 'zlib' }],
      ['b64', { b64: true }],
      ['devalue', { serializer: 'devalue' }],
      ['v8', { serializer: 'v8' }],
    ];
    const stashes = variants.map(([label, extra]) => [label, h.open(extra)] as const);
    for (const [label, stash] of stashes) await stash.set('shared key', label);
    for (const [label, stash] of stashes) await stash.set(`only ${label}`, true);
    for (const [label, stash] of stashes) {
      assert.equal(await stash.get('shared key'), label, `${label} reads its own value`);
      assert.equal(await stash.size(), 2, `${label} counts only its own entries`);
      assert.deepStrictEqual((await collect(stash.keys())).sort(), ['only ' + label, 'shared key'].sort(), `${label} lists only its own keys`);
    }
    assert.equal(new Set(stashes.map(([, stash]) => stash.path)).size, variants.length, 'every variant has its own path');
    await stashes[0]![1].clear();
    assert.equal(await stashes[1]![1].size(), 2, 'clearing one leaves the others');
    assert.equal(await stashes[2]![1].size(), 2, 'clearing a stash leaves a stash named inside it');
    assert.equal(await stashes[3]![1].size(), 2);
  });

  test('a stash written with other settings reads back with the same settings', async (h) => {
    const settings: Partial<HashStashOptions>[] = [
      { serializer: 'devalue', compress: 'zlib' },
      { serializer: 'v8', compress: 'gzip', b64: true },
      { compress: 'brotli' },
      { compress: 'raw', b64: true },
      { serializer: 'hashstash', compress: 'lz4', b64: false },
    ];
    for (const extra of settings) {
      const label = JSON.stringify(extra);
      const value = { text: 'y'.repeat(2_000), list: [1, 2, 3], when: new Date(7) };
      const writer = h.open(extra);
      await writer.set({ settings: label }, value);
      await writer.set('small', 1);
      const reader = await h.reopen(writer, extra);
      assert.equal(reader.path, writer.path, `${label}: same path`);
      assert.deepStrictEqual(await reader.get({ settings: label }), value, `${label}: reads back`);
      assert.equal(await reader.size(), 2, `${label}: size`);
    }
    const writer = h.open({ name: 'raw-alias', compress: 'raw' });
    await writer.set('k', 'v');
    const reader = await h.reopen(writer, { name: 'raw-alias', compress: false });
    assert.equal(reader.path, writer.path, "compress: false is the 'raw' folder");
    assert.equal(await reader.get('k'), 'v', "compress: false reads what 'raw' wrote");
  });

  test('two stashes over the same root and name share entries', async (h) => {
    const one = h.open();
    const two = h.open();
    await one.set('from one', 1);
    assert.equal(await two.get('from one'), 1);
    await two.set('from two', 2);
    assert.equal(await one.get('from two'), 2);
    await two.delete('from one');
    assert.equal(await one.has('from one'), false);
    assert.equal(await one.size(), 1);
  });

  if (config.persistent) {
    test('close, then a new stash over the same path sees the data', async (h) => {
      const stash = h.open();
      await stash.setMany([['a', 1], [{ b: [2] }, new Map([[2, 'two']])]]);
      await stash.close();
      const again = h.open();
      assert.equal(again.path, stash.path);
      assert.equal(await again.size(), 2);
      assert.equal(await again.get('a'), 1);
      assert.deepStrictEqual(await again.get({ b: [2] }), new Map([[2, 'two']]));
      await again.set('c', 3);
      await again.close();
      const third = h.open();
      assert.equal(await third.get('c'), 3);
    });
  }

  test('the clear option empties the stash when it is first used', async (h) => {
    const writer = h.open();
    await writer.setMany([['a', 1], ['b', 2]]);
    const neighbour = h.open({ name: 'neighbour' });
    await neighbour.set('n', 1);
    const clearing = await h.reopen(writer, { clear: true });
    assert.equal(await clearing.size(), 0, 'empty on first use');
    assert.equal(await clearing.get('a'), undefined);
    await clearing.set('c', 3);
    assert.equal(await clearing.size(), 1, 'cleared once, not before every operation');
    assert.equal(await neighbour.get('n'), 1, 'another stash in the root is untouched');
    const after = await h.reopen(clearing);
    assert.deepStrictEqual(await collect(after.keys()), ['c']);
  });

  test('readonly: every write rejects with ReadOnlyError and the data is unchanged', async (h) => {
    const writer = h.open();
    await writer.setMany([['a', 1], ['b', { two: 2 }]]);
    const stash = await h.reopen(writer, { readonly: true });
    assert.equal(await stash.get('a'), 1, 'reads work');
    assert.equal(await stash.size(), 2);
    const writes: [string, () => Promise<unknown>][] = [
      ['set of a new key', () => stash.set('c', 3)],
      ['set of a present key', () => stash.set('a', 9)],
      ['delete', () => stash.delete('a')],
      ['pop', () => stash.pop('a')],
      ['pop with a fallback', () => stash.pop('a', 0)],
      ['clear', () => stash.clear()],
      ['update', () => stash.update([['c', 3]])],
      ['update from a Map', () => stash.update(new Map([['a', 9]]))],
      ['setMany', () => stash.setMany([['c', 3]])],
      ['setDefault of a missing key', () => stash.setDefault('c', 3)],
    ];
    for (const [label, write] of writes) await assert.rejects(write, ReadOnlyError, label);
    assert.equal(await stash.setDefault('a', 5), 1, 'setDefault of a present key reads it');
    if (config.sync) {
      const view = stash.sync;
      assert.throws(() => view.set('c', 3), ReadOnlyError, 'sync set');
      assert.throws(() => view.delete('a'), ReadOnlyError, 'sync delete');
      assert.throws(() => view.pop('a'), ReadOnlyError, 'sync pop');
      assert.throws(() => view.clear(), ReadOnlyError, 'sync clear');
      assert.throws(() => view.update([['c', 3]]), ReadOnlyError, 'sync update');
      assert.throws(() => view.setDefault('c', 3), ReadOnlyError, 'sync setDefault');
      assert.equal(view.get('a'), 1, 'sync reads work');
    }
    assert.equal(await stash.size(), 2, 'nothing was added or removed');
    assert.equal(await stash.get('a'), 1, 'nothing was overwritten');
    assert.deepStrictEqual(await stash.get('b'), { two: 2 });
    assert.equal(await stash.has('c'), false);
    const writable = await h.reopen(stash);
    assert.equal(await writable.size(), 2, 'a writable stash over the same path sees the same data');
  });

  // ---- sync view ----

  if (config.sync) {
    test('stash.sync gives the same results synchronously', async (h) => {
      const stash = h.open();
      const view = stash.sync;
      view.set('a', 1);
      view.set({ x: [1] }, new Map([[1, 'one']]));
      assert.equal(view.get('a'), 1, 'get is synchronous');
      assert.deepStrictEqual(view.get({ x: [1] }), new Map([[1, 'one']]));
      assert.equal(view.get('missing'), undefined);
      assert.equal(view.get('missing', 'fallback'), 'fallback');
      assert.equal(view.has('a'), true);
      assert.equal(view.size(), 2);
      assert.equal(await stash.get('a'), 1, 'the async stash sees sync writes');
      await stash.set('b', null);
      assert.equal(view.get('b'), null, 'the sync view sees async writes');
      assert.equal(view.has('b'), true);

      const entries = [...view];
      assert.equal(entries.length, 3, 'the view is a plain iterable of entries');
      assert.deepStrictEqual(new Map(entries.map(([key, value]) => [JSON.stringify(key), value])).get('{"x":[1]}'), new Map([[1, 'one']]));
      const keys = view.keys();
      assert.equal(typeof (keys as Iterable<unknown>)[Symbol.iterator], 'function', 'keys() is a plain iterable');
      assert.deepStrictEqual([...keys].map((key) => JSON.stringify(key)).sort(), ['"a"', '"b"', '{"x":[1]}']);
      assert.deepStrictEqual([...view.values()].length, 3);
      assert.deepStrictEqual([...view.entries()].length, 3);

      assert.equal(view.setDefault('c', 3), 3);
      assert.equal(view.setDefault('c', 4), 3);
      assert.equal(view.pop('c'), 3);
      assert.throws(() => view.pop('c'), KeyNotFoundError);
      assert.equal(view.pop('c', 'fallback'), 'fallback');
      assert.equal(view.delete('a'), true);
      assert.equal(view.delete('a'), false);
      view.update([['d', 4]]);
      assert.deepStrictEqual(view.getMany(['d', 'missing']), [4, undefined]);
      assert.equal(view.size(), 3);
      view.clear();
      assert.equal(view.size(), 0);
      assert.equal(await stash.size(), 0);
    });
  } else {
    test('stash.sync throws UnsupportedError', async (h) => {
      const stash = h.open();
      assert.throws(() => stash.sync, UnsupportedError);
      await stash.set('a', 1);
      assert.equal(stash.engine.capabilities.sync, false);
    });
  }

  test('the engine declares its capabilities', async (h) => {
    const stash = h.open();
    assert.equal(stash.engine.name, config.engine);
    assert.equal(stash.engine.capabilities.sync, config.sync);
    assert.equal(stash.engine.capabilities.persistent, config.persistent);
  });

  // ---- identity and lifetime ----

  test('path, String() and toJSON describe the stash', async (h) => {
    const stash = h.open({ name: 'described' });
    const settings = `${config.engine}.hashstash.lz4`;
    assert.equal(stash.path, `${h.root}/described/${settings}`, 'path is <root>/<name>/<engine>.<serializer>.<compress>');
    assert.equal(h.open({ name: 'described', b64: true, compress: false }).path, `${h.root}/described/${config.engine}.hashstash.raw+b64`);
    const kind = config.engine[0]!.toUpperCase() + config.engine.slice(1);
    assert.equal(String(stash), `${kind}HashStash(${stash.path})`);
    const json = stash.toJSON();
    assert.equal(json.engine, config.engine);
    assert.equal(json.name, 'described');
    assert.equal(json.root, h.root);
    if (config.onDisk) {
      const { existsSync, statSync } = await import('node:fs');
      assert.equal(existsSync(stash.path), false, 'the constructor touches nothing on disk');
      assert.equal(await stash.get('k'), undefined);
      assert.equal(existsSync(stash.path), false, 'nor does a read of an empty stash');
      await stash.set('k', 1);
      assert.ok(statSync(stash.path).isDirectory(), 'the first write creates the stash folder');
    }
  });

  test('close() twice is harmless and await using closes at scope exit', async (h) => {
    const keeper = h.open();
    let engineClosed = 0;
    {
      await using stash = h.open();
      await stash.set('scoped', 1);
      const engine = stash.engine;
      const closeEngine = engine.close.bind(engine);
      engine.close = async () => { engineClosed++; await closeEngine(); };
      assert.equal(engineClosed, 0);
    }
    assert.equal(engineClosed, 1, 'leaving the scope closed the engine');
    const after = await h.reopen(keeper);
    assert.equal(await after.get('scoped'), 1, 'what was written inside the scope is there after it');
    await after.close();
    await assert.doesNotReject(() => after.close(), 'a second close resolves');
  });
}
