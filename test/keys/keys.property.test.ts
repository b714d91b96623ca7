import t from 'tap';
import fc from 'fast-check';
import { Buffer } from 'node:buffer';
import { decodeKey, encodeKey } from '../../src/keys/encode.js';

/**
 * Keys built from everything key equality has rules for: objects (order-free), arrays (with holes), Sets and Maps
 * (order-free), Dates, -0/NaN, bigints, undefined, null-prototype objects, and strings that look like the encoding's
 * own tags.
 */
const { key } = fc.letrec<{ key: unknown; leaf: unknown }>((tie) => ({
  leaf: fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 6 }),
    fc.constantFrom('~', 'Date', 'bigint', '1', 'NaN', '-0', '"', '\\'),
    fc.double(),
    fc.integer({ min: -3, max: 3 }),
    fc.bigInt({ min: -5n, max: 5n }),
    fc.boolean(),
    fc.constantFrom(null, undefined, -0, NaN, Infinity),
    fc.date({ noInvalidDate: false }),
  ),
  key: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    fc.array(tie('key'), { maxLength: 4 }),
    fc.sparseArray(tie('key'), { maxLength: 5 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c', '~', '10', '9', 'é', '__proto__', 'v'), tie('key'), { maxKeys: 4 }),
    fc.array(tie('key'), { maxLength: 4 }).map((members) => new Set(members)),
    fc.array(fc.tuple(tie('key'), tie('key')), { maxLength: 3 }).map((entries) => new Map(entries)),
  ),
}));

/**
 * The key equality rules, written independently of the encoder as a readable string: two keys are equal exactly when
 * these strings are.
 */
function reference(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(['string', value]);
    case 'number':
      return JSON.stringify(['number', Number.isNaN(value) ? 'NaN' : value === 0 ? '0' : String(value)]);
    case 'bigint':
      return JSON.stringify(['bigint', String(value)]);
    case 'boolean':
    case 'undefined':
      return JSON.stringify([typeof value, String(value)]);
  }
  if (value === null) return '["null"]';
  if (value instanceof Date) return JSON.stringify(['date', String(value.getTime())]);
  if (value instanceof Set) return JSON.stringify(['set', [...value].map(reference).sort()]);
  if (value instanceof Map) {
    return JSON.stringify(['map', [...value].map(([k, v]) => JSON.stringify([reference(k), reference(v)])).sort()]);
  }
  if (Array.isArray(value)) {
    return JSON.stringify(['array', value.length, Object.keys(value).map((i) => [i, reference(value[+i])])]);
  }
  const record = value as Record<string, unknown>;
  const kind = Object.getPrototypeOf(record) === null ? 'null-prototype object' : 'object';
  return JSON.stringify([
    kind,
    Object.keys(record)
      .sort()
      .map((k) => [k, reference(record[k])]),
  ]);
}

/** A structurally equal key built differently: other property order, other Set/Map insertion order, -0 for 0. */
function variant(value: unknown, random: () => number): unknown {
  const shuffle = <T>(items: T[]): T[] => {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  };
  if (value === 0) return random() < 0.5 ? -0 : 0;
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof Set) return new Set(shuffle([...value].map((member) => variant(member, random))));
  if (value instanceof Map)
    return new Map(shuffle([...value].map(([k, v]) => [variant(k, random), variant(v, random)])));
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    copy.length = value.length;
    for (const index of Object.keys(value)) copy[+index] = variant(value[+index], random);
    return copy;
  }
  const copy = Object.create(Object.getPrototypeOf(value) as object | null) as Record<string, unknown>;
  for (const k of shuffle(Object.keys(value))) {
    Object.defineProperty(copy, k, {
      value: variant((value as Record<string, unknown>)[k], random),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

t.test('structurally equal keys encode to identical bytes', async (t) => {
  fc.assert(
    fc.property(key, fc.integer(), (k, seed) => {
      let state = seed >>> 0 || 1;
      const random = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
      return sameBytes(encodeKey(k), encodeKey(variant(k, random)));
    }),
    { numRuns: 300 },
  );
  t.pass('300 keys and their reordered variants matched');
});

t.test('distinct keys never collide', async (t) => {
  fc.assert(
    fc.property(fc.uniqueArray(key, { selector: reference, minLength: 2, maxLength: 12 }), (keys) => {
      const texts = keys.map((k) => Buffer.from(encodeKey(k)).toString('latin1'));
      return new Set(texts).size === keys.length;
    }),
    { numRuns: 200 },
  );
  t.pass('200 sets of distinct keys had distinct encodings');
});

t.test('two random keys encode alike exactly when the reference says they are equal', async (t) => {
  const nearby = fc.oneof(
    fc.tuple(key, key),
    key.map((k) => [k, k] as const),
  );
  fc.assert(
    fc.property(nearby, ([a, b]) => sameBytes(encodeKey(a), encodeKey(b)) === (reference(a) === reference(b))),
    { numRuns: 300 },
  );
  t.pass('300 pairs agreed with the reference');
});

t.test('decodeKey gives back an equal key', async (t) => {
  fc.assert(
    fc.property(key, (k) => {
      const bytes = encodeKey(k);
      const back = decodeKey(bytes);
      return reference(back) === reference(k) && sameBytes(encodeKey(back), bytes);
    }),
    { numRuns: 300 },
  );
  t.pass('300 keys decoded to equal keys');
});
