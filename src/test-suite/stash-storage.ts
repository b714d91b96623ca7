/** The facade conformance suite, part two: iteration, bulk writes, stashes side by side, lifetime, options, the sync view. */
import assert from 'node:assert/strict';
import { KeyNotFoundError, ReadOnlyError, UnsupportedError } from '../errors.js';
import type { HashStashOptions } from '../options.js';
import {
  bigValues,
  collect,
  collector,
  liveBytes,
  MB,
  roundTripKeys,
  type SuiteConfig,
  type SuiteTest,
} from './stash-support.js';

/** Registers these tests of the facade conformance suite (see `stashConformance`). */
export function storageCases(test: SuiteTest, config: SuiteConfig): void {
  const { bigCount, heapGrowthLimit } = config;
  // ---- iteration ----

  test('iteration gives back the original keys and values', async (h) => {
    const stash = h.open<unknown, { index: number; key: unknown }>();
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
    assert.deepStrictEqual(
      values.map((value) => value.index).sort((a, b) => a - b),
      keys.map((_, i) => i),
      'values() gives every value once',
    );
    for (const key of keysOut) {
      assert.ok(await stash.has(key), 'every iterated key finds its entry');
    }
    const remapped = new Array<unknown>(keys.length);
    for (const key of keysOut) remapped[(await stash.get(key))!.index] = key;
    assert.deepStrictEqual(remapped, keys, 'keys() gives the original keys');
  });

  test('raw entries decode to the original keys and values', async (h) => {
    const stash = h.open<unknown, { index: number; when: Date }>();
    const keys = roundTripKeys();
    for (const [i, key] of keys.entries()) await stash.set(key, { index: i, when: new Date(i) });
    const decoded = new Array<unknown>(keys.length);
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
    assert.deepStrictEqual(
      rawValues.map((raw) => stash.decodeValue(raw).index).sort((a, b) => a - b),
      keys.map((_, i) => i),
    );
    const fromRawKeys = await stash.getMany(rawKeys.map((raw) => stash.decodeKey(raw)));
    assert.deepStrictEqual(
      fromRawKeys.map((value) => value!.index).sort((a, b) => a - b),
      keys.map((_, i) => i),
      'decoded raw keys find their entries',
    );
  });

  test(`iteration streams ${bigCount} entries in bounded memory`, async (h) => {
    const gc = collector();
    const stash = h.open();
    const { length, valueOf } = bigValues(bigCount);
    function* entries(): Generator<[number, string]> {
      for (let i = 0; i < bigCount; i++) yield [i, valueOf(i)];
    }
    await stash.setMany(entries());
    assert.equal(await stash.size(), bigCount);

    const seen = new Uint8Array(bigCount);
    let count = 0;
    let wrong = 0;
    let repeated = 0;
    let maxGrowth = 0;
    const sampleEvery = Math.max(1, Math.floor(bigCount / 20));
    gc();
    const baseline = liveBytes();
    for await (const [key, value] of stash) {
      if (typeof key !== 'number' || !(key >= 0 && key < bigCount) || value !== valueOf(key)) wrong++;
      else if (seen[key]++) repeated++;
      if (++count % sampleEvery === 0) {
        gc();
        maxGrowth = Math.max(maxGrowth, liveBytes() - baseline);
      }
    }
    assert.equal(count, bigCount, 'every entry once');
    assert.equal(wrong, 0, 'every key and value is the one stored');
    assert.equal(repeated, 0, 'no entry repeats');
    assert.ok(
      maxGrowth < heapGrowthLimit,
      `heap growth while iterating ${(maxGrowth / MB).toFixed(1)} MB stays under ${heapGrowthLimit / MB} MB ` +
        `(holding every ${length}-character value would take ${((bigCount * length) / MB).toFixed(0)} MB)`,
    );
    await stash.clear();
    assert.equal(await stash.size(), 0, 'a big stash clears');
  });

  // ---- bulk ----

  test('getMany and setMany', async (h) => {
    const stash = h.open();
    await stash.setMany([
      ['a', 1],
      [{ b: 2 }, 2],
    ]);
    async function* more(): AsyncGenerator<[unknown, unknown]> {
      yield ['c', 3];
      yield [[4], new Set([4])];
    }
    await stash.setMany(more());
    assert.deepStrictEqual(await stash.getMany(['a', { b: 2 }, 'c', [4], 'missing']), [
      1,
      2,
      3,
      new Set([4]),
      undefined,
    ]);
    assert.deepStrictEqual(await stash.getMany([]), []);
    assert.equal(await stash.size(), 4);
  });

  test('update accepts a Map, pairs, an async generator, a plain object and another stash', async (h) => {
    const stash = h.open();
    await stash.update(
      new Map<unknown, unknown>([
        ['map', 1],
        [{ from: 'map' }, [1]],
      ]),
    );
    await stash.update([
      ['pairs', 2],
      [[2], 'array key'],
    ]);
    await stash.update(
      (async function* () {
        yield ['async', 3] as [string, number];
        yield [new Set(['gen']), 'set key'] as [Set<string>, string];
      })(),
    );
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
    assert.deepStrictEqual(
      await stash.get({ k: [1, 2] }),
      new Map([['v', 1]]),
      'entries of another stash keep their keys',
    );
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
      assert.deepStrictEqual(
        (await collect(stash.keys())).sort(),
        ['only ' + label, 'shared key'].sort(),
        `${label} lists only its own keys`,
      );
    }
    assert.equal(
      new Set(stashes.map(([, stash]) => stash.path)).size,
      variants.length,
      'every variant has its own path',
    );
    await stashes[0][1].clear();
    assert.equal(await stashes[1][1].size(), 2, 'clearing one leaves the others');
    assert.equal(await stashes[2][1].size(), 2, 'clearing a stash leaves a stash named inside it');
    assert.equal(await stashes[3][1].size(), 2);
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
      await stash.setMany([
        ['a', 1],
        [{ b: [2] }, new Map([[2, 'two']])],
      ]);
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
    await writer.setMany([
      ['a', 1],
      ['b', 2],
    ]);
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
    await writer.setMany([
      ['a', 1],
      ['b', { two: 2 }],
    ]);
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
      assert.deepStrictEqual(
        new Map(entries.map(([key, value]) => [JSON.stringify(key), value])).get('{"x":[1]}'),
        new Map([[1, 'one']]),
      );
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
    assert.equal(
      stash.path,
      `${h.root}/described/${settings}`,
      'path is <root>/<name>/<engine>.<serializer>.<compress>',
    );
    assert.equal(
      h.open({ name: 'described', b64: true, compress: false }).path,
      `${h.root}/described/${config.engine}.hashstash.raw+b64`,
    );
    const kind = config.engine[0].toUpperCase() + config.engine.slice(1);
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
      engine.close = async () => {
        engineClosed++;
        await closeEngine();
      };
      assert.equal(engineClosed, 0);
    }
    assert.equal(engineClosed, 1, 'leaving the scope closed the engine');
    const after = await h.reopen(keeper);
    assert.equal(await after.get('scoped'), 1, 'what was written inside the scope is there after it');
    await after.close();
    await assert.doesNotReject(() => after.close(), 'a second close resolves');
  });
}
