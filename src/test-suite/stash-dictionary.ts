/** The facade conformance suite, part one: the dictionary, keys compared by structure, values of every kind. */
import assert from 'node:assert/strict';
import { KeyNotFoundError, SerializationError } from '../errors.js';
import { bigValues, collect, MB, type SuiteConfig, type SuiteTest } from './stash-support.js';

/** Registers these tests of the facade conformance suite (see `stashConformance`). */
export function dictionaryCases(test: SuiteTest, _config: SuiteConfig): void {
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
    assert.equal(
      await stash.get('undefined', 'fallback'),
      undefined,
      'a stored undefined is not replaced by the fallback',
    );
    assert.equal(await stash.size(), 2);
    assert.deepStrictEqual(await stash.getMany(['null', 'undefined', 'never-set']), [null, undefined, undefined]);
    assert.equal(await stash.setDefault('null', 'other'), null, 'setDefault keeps a stored null');
    assert.equal(await stash.get('null'), null);
    assert.equal(
      await stash.pop('undefined'),
      undefined,
      'pop of a stored undefined returns it without KeyNotFoundError',
    );
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
    await stash.setMany([
      ['a', 1],
      ['b', 2],
      [{ c: 3 }, 3],
    ]);
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
    const stash = h.open<string, { i: number; round: number }>();
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
      const keys = [
        1,
        1n,
        '1',
        [1],
        true,
        'true',
        0,
        '0',
        false,
        null,
        '',
        [],
        {},
        [[1]],
        new Set([1]),
        new Map([[1, 1]]),
      ];
      for (const [i, key] of keys.entries()) await stash.set(key, i);
      assert.equal(await stash.size(), keys.length);
      assert.deepStrictEqual(
        await stash.getMany(keys),
        keys.map((_, i) => i),
        'each key reads its own value',
      );
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
      await stash.set(
        new Map<unknown, unknown>([
          ['a', 1],
          [2, 'b'],
          [{ k: 1 }, null],
        ]),
        'map',
      );
      assert.equal(
        await stash.get(
          new Map<unknown, unknown>([
            [{ k: 1 }, null],
            [2, 'b'],
            ['a', 1],
          ]),
        ),
        'map',
      );
      await stash.set(
        {
          inner: new Set([
            new Map([
              ['p', 1],
              ['q', 2],
            ]),
            3,
          ]),
        },
        'nested',
      );
      assert.equal(
        await stash.get({
          inner: new Set([
            3,
            new Map([
              ['q', 2],
              ['p', 1],
            ]),
          ]),
        }),
        'nested',
      );
      assert.equal(await stash.size(), 3);
      assert.equal(await stash.has(new Set(['x', 2, 'y'])), false, 'a Set with fewer members is another key');
      assert.equal(
        await stash.has(
          new Map<unknown, unknown>([
            ['a', 2],
            [2, 'b'],
          ]),
        ),
        false,
        'a Map with another value is another key',
      );
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
      assert.ok(
        keys.some((key) => key === long),
        'iteration gives the 100 KB key back whole',
      );
      assert.ok(keys.includes(''), 'and the empty string');
    });
  }

  // ---- values ----

  test('values of every kind round-trip', async (h) => {
    const stash = h.open();
    const values: Record<string, unknown> = {
      string: 'text ✓ 😀',
      empty: '',
      number: 3.25,
      negative: -7,
      nan: NaN,
      infinity: -Infinity,
      bigint: -(2n ** 80n),
      boolean: false,
      null: null,
      date: new Date(86_400_000),
      map: new Map<unknown, unknown>([
        [{ k: 1 }, [1, 2]],
        ['s', new Set([1])],
      ]),
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
    const holes = (await stash.get('holes')) as { a?: undefined; b?: unknown } | undefined;
    assert.ok(holes && 'a' in holes, 'a property holding undefined is kept');
    assert.equal(holes?.a, undefined);
    assert.deepStrictEqual(holes?.b, [undefined, 1], 'undefined inside an array is kept');

    const original = { list: [1, 2], map: new Map([['k', 1]]) };
    await stash.set('snapshot', original);
    original.list.push(3);
    original.map.set('k', 2);
    assert.deepStrictEqual(
      await stash.get('snapshot'),
      { list: [1, 2], map: new Map([['k', 1]]) },
      'a stored value does not follow later changes of the object',
    );
    const read = (await stash.get('snapshot')) as { list: number[] };
    read.list.push(9);
    assert.deepStrictEqual(
      await stash.get('snapshot'),
      { list: [1, 2], map: new Map([['k', 1]]) },
      'changing a read value does not change the stored one',
    );
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
}
