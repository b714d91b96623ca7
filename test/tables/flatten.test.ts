import t from 'tap';
import { flattenRecord } from '../../src/tables/flatten.js';

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

t.test('nested plain objects become dotted columns; the key goes under _key', async (t) => {
  t.strictSame(flattenRecord('k', { a: 1, etc: { goes_to: { heaven: true, hell: false } }, b: 'x' }), {
    _key: 'k',
    a: 1,
    'etc.goes_to.heaven': true,
    'etc.goes_to.hell': false,
    b: 'x',
  });
});

t.test('deep nesting is flattened all the way down', async (t) => {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let depth = 0; depth < 50; depth++) value = { n: value };
  const record = flattenRecord('deep', value);
  t.same(Object.keys(record), ['_key', `${'n.'.repeat(50)}leaf`]);
});

t.test('a value that is not a plain object goes under _value', async (t) => {
  for (const value of [
    42,
    'text',
    null,
    undefined,
    true,
    12n,
    [1, { a: 2 }],
    new Date(0),
    new Map([[1, 2]]),
    new Set([1]),
    new Point(1, 2),
    new Uint8Array([1]),
  ]) {
    const record = flattenRecord('k', value);
    t.same(Object.keys(record), ['_key', '_value'], `${Object.prototype.toString.call(value)} stays whole`);
    t.equal(record._value, value);
  }
});

t.test('arrays, Dates, Maps and class instances inside a record stay values', async (t) => {
  const when = new Date(5);
  const point = new Point(3, 4);
  const tags = ['a', { b: 1 }];
  const record = flattenRecord('k', { tags, when, point, inner: { map: new Map(), list: [] } });
  t.equal(record.tags, tags);
  t.equal(record.when, when);
  t.equal(record.point, point);
  t.ok(record['inner.map'] instanceof Map);
  t.same(record['inner.list'], []);
});

t.test('an empty nested object is kept as a value, and an empty value as _value', async (t) => {
  t.strictSame(flattenRecord('k', { a: {}, b: { c: {} } }), { _key: 'k', a: {}, 'b.c': {} });
  t.strictSame(flattenRecord('k', {}), { _key: 'k', _value: {} });
});

t.test('a plain-object key stays whole in _key and is flattened into _key.<field> columns too', async (t) => {
  const key = { user: 'bob', at: { day: 3 } };
  const record = flattenRecord(key, 'v');
  t.strictSame(record, { _key: key, '_key.user': 'bob', '_key.at.day': 3, _value: 'v' });
  t.same(Object.keys(record), ['_key', '_key.user', '_key.at.day', '_value'], 'the key first, then its fields');
  t.strictSame(flattenRecord({}, 1), { _key: {}, _value: 1 }, 'an empty object key stays whole');
  t.strictSame(flattenRecord(['a', 1], 1), { _key: ['a', 1], _value: 1 }, 'an array key stays whole');
});

t.test('field names with dots and backslashes are escaped, so different records never share a column', async (t) => {
  const dotted = flattenRecord('k', { 'a.b': 1 });
  const nested = flattenRecord('k', { a: { b: 2 } });
  t.strictSame(dotted, { _key: 'k', 'a\\.b': 1 });
  t.strictSame(nested, { _key: 'k', 'a.b': 2 });
  t.strictSame(flattenRecord('k', { 'x\\y': 1, n: { 'p.q': 2 } }), { _key: 'k', 'x\\\\y': 1, 'n.p\\.q': 2 });
});

t.test('value fields named like the metadata columns do not overwrite them', async (t) => {
  const record = flattenRecord(
    'real',
    { _key: 'fake', _value: 1, _version: 2, _timestamp: 3, inner: { _key: 4 } },
    { version: 7, timestamp: 8 },
  );
  t.strictSame(record, {
    _key: 'real',
    _version: 7,
    _timestamp: 8,
    '\\_key': 'fake',
    '\\_value': 1,
    '\\_version': 2,
    '\\_timestamp': 3,
    'inner._key': 4,
  });
});

t.test('metadata follows the key', async (t) => {
  t.same(Object.keys(flattenRecord('k', { a: 1 }, { version: 1, timestamp: 10 })), [
    '_key',
    '_version',
    '_timestamp',
    'a',
  ]);
});

t.test('a field named __proto__ is a column, not a prototype change', async (t) => {
  const value = JSON.parse('{"__proto__": {"polluted": 1}, "ok": 2}') as unknown;
  const record = flattenRecord('k', value);
  t.equal(Object.getPrototypeOf(record), Object.prototype);
  t.equal((record as { polluted?: unknown }).polluted, undefined);
  t.same(Object.keys(record), ['_key', '__proto__.polluted', 'ok']);
});

t.test('a cycle stops flattening where the object meets itself', async (t) => {
  const value: Record<string, unknown> = { a: 1 };
  value.self = value;
  const record = flattenRecord('k', { outer: value });
  t.same(Object.keys(record), ['_key', 'outer.a', 'outer.self']);
  t.equal(record['outer.self'], value);
});

t.test('null-prototype objects are plain objects', async (t) => {
  const value = Object.assign(Object.create(null) as object, { a: { b: 1 } });
  t.strictSame(flattenRecord('k', value), { _key: 'k', 'a.b': 1 });
});
