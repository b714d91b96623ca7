import t from 'tap';
import { Buffer } from 'node:buffer';
import { DecodeError, SerializationError } from '../../src/errors.js';
import { decodeKey, encodeKey, keyText } from '../../src/keys/encode.js';
import { registerClass, unregisterClass } from '../../src/serializers/classes.js';
import { StoredFunction } from '../../src/serializers/stored-function.js';

const text = (key: unknown): string => Buffer.from(encodeKey(key)).toString('utf8');
const sameKey = (a: unknown, b: unknown): boolean => Buffer.compare(encodeKey(a), encodeKey(b)) === 0;
const roundTrip = (key: unknown, trustCode = false): unknown => decodeKey(encodeKey(key), { trustCode });

t.test('keys stay readable text: a string key is its JSON', async (t) => {
  t.equal(text('abc'), '"abc"');
  t.equal(text(''), '""');
  t.equal(text('say "hi"\n'), JSON.stringify('say "hi"\n'));
  t.equal(text('é😀'), '"é😀"');
  t.equal(text('x'.repeat(100)), JSON.stringify('x'.repeat(100)));
  t.equal(text('\ud800'), '"\\ud800"', 'a lone surrogate is escaped, so the bytes are valid UTF-8');
  t.equal(text(12.5), '12.5');
  t.equal(text(1e21), '1e+21');
  t.equal(text({ b: 1, a: [true, null] }), '{"a":[true,null],"b":1}');
  for (const key of ['abc', 'é', 'x'.repeat(100), 7, -3.25, { a: 1 }]) {
    t.equal(text(key), keyText(key), 'encodeKey is keyText as UTF-8: ' + keyText(key));
  }
});

t.test('object key order does not matter, at any depth', async (t) => {
  t.ok(sameKey({ a: 1, b: 2 }, { b: 2, a: 1 }));
  t.ok(sameKey({ outer: { y: [1, { q: 1, p: 2 }], x: 0 } }, { outer: { x: 0, y: [1, { p: 2, q: 1 }] } }));
  t.ok(sameKey({ 10: 'a', 9: 'b', z: 1 }, { z: 1, 9: 'b', 10: 'a' }));
  t.notOk(sameKey({ a: 1 }, { a: 2 }));
  t.notOk(sameKey({ a: 1 }, { A: 1 }));
});

t.test('a Set or Map is the same key in any insertion order', async (t) => {
  t.ok(sameKey(new Set([3, 'a', { k: 1 }]), new Set([{ k: 1 }, 'a', 3])));
  t.ok(
    sameKey(
      new Map<unknown, unknown>([
        ['x', 1],
        [2, 'y'],
      ]),
      new Map<unknown, unknown>([
        [2, 'y'],
        ['x', 1],
      ]),
    ),
  );
  t.ok(sameKey(new Map([[{ b: 1, a: 2 }, new Set([2, 1])]]), new Map([[{ a: 2, b: 1 }, new Set([1, 2])]])));
  t.notOk(sameKey(new Set([1, 2]), new Set([1, 2, 3])));
  t.notOk(sameKey(new Map([['x', 1]]), new Map([['x', 2]])));
  t.notOk(sameKey(new Set([1]), [1]), 'a Set is not an array');
});

t.test('1, 1n, "1" and [1] are four different keys; so are other look-alikes', async (t) => {
  const lookalikes: unknown[] = [
    1,
    1n,
    '1',
    [1],
    true,
    'true',
    null,
    'null',
    undefined,
    [],
    {},
    '',
    0,
    new Set(),
    new Map(),
    [undefined],
    [null],
    new Date(1),
    { '~': 'Date', v: 1 },
    { '~': 'bigint', v: '1' },
    Object.create(null),
    new Uint8Array([1]),
    Buffer.from([1]),
  ];
  const texts = lookalikes.map(text);
  t.equal(new Set(texts).size, lookalikes.length, texts.join('  '));
});

t.test('a Date key is its instant', async (t) => {
  t.ok(sameKey(new Date('2024-01-01T00:00:00Z'), new Date(Date.UTC(2024, 0, 1))));
  t.notOk(sameKey(new Date(0), new Date(1)));
  t.ok(sameKey(new Date(NaN), new Date('not a date')), 'every invalid Date is one key');
  const back = roundTrip(new Date(5)) as Date;
  t.ok(back instanceof Date);
  t.equal(back.getTime(), 5);
});

t.test('-0 and 0 are one key, and NaN is one key, as in a Map', async (t) => {
  t.ok(sameKey(-0, 0));
  t.ok(sameKey({ a: [-0] }, { a: [0] }));
  t.ok(sameKey(new Set([-0]), new Set([0])));
  t.ok(sameKey(NaN, Number('x')));
  t.notOk(sameKey(NaN, undefined));
  t.ok(sameKey(Infinity, 1 / 0));
  t.notOk(sameKey(Infinity, -Infinity));
});

t.test('a function key is its source text', async (t) => {
  const makeAdder = () => (x: number) => x + 1;
  t.ok(sameKey(makeAdder(), makeAdder()), 'two functions with one source are one key');
  t.notOk(
    sameKey(
      (x: number) => x + 1,
      (x: number) => x + 2,
    ),
  );
  const back = roundTrip(makeAdder());
  t.ok(back instanceof StoredFunction, 'decodes to a StoredFunction');
  t.equal((back as StoredFunction).source, makeAdder().toString());
  t.ok(sameKey(back, makeAdder()), 'the decoded key encodes to the same key');
  const trusted = roundTrip(makeAdder(), true) as (x: number) => number;
  t.equal(trusted(1), 2, 'with trustCode it is the function');
});

t.test('a registered class instance is its class name and sorted data', async (t) => {
  class Point {
    constructor(
      public x: number,
      public y: number,
    ) {}
  }
  class Vector {
    constructor(
      public x: number,
      public y: number,
    ) {}
  }
  registerClass(Point);
  registerClass(Vector);
  t.teardown(() => {
    unregisterClass(Point);
    unregisterClass(Vector);
  });
  const reordered = Object.assign(Object.create(Point.prototype) as Point, { y: 2, x: 1 });
  t.ok(sameKey(new Point(1, 2), reordered));
  t.notOk(sameKey(new Point(1, 2), new Vector(1, 2)), 'the class is part of the key');
  t.notOk(sameKey(new Point(1, 2), { x: 1, y: 2 }));
  const back = roundTrip(new Point(1, 2));
  t.ok(back instanceof Point);
  t.strictSame({ ...(back as Point) }, { x: 1, y: 2 });
  t.throws(() => encodeKey(new (class Unknown {})()), {
    name: 'SerializationError',
    message: /registerClass\(Unknown\)/,
  });
});

t.test('a cycle in a key is a SerializationError with its path; sharing is fine', async (t) => {
  const loop: Record<string, unknown> = { a: { b: [] as unknown[] } };
  (loop.a as { b: unknown[] }).b.push(1, loop);
  const error = t.throws(() => encodeKey(loop), SerializationError) as SerializationError;
  t.equal(error?.path, '$.a.b[1]');
  const selfSet = new Set<unknown>();
  selfSet.add(selfSet);
  t.throws(() => encodeKey({ s: selfSet }), { name: 'SerializationError', path: '$.s<member 0>' });

  const shared = { n: 1 };
  t.ok(sameKey({ x: shared, y: shared }, { x: { n: 1 }, y: { n: 1 } }), 'a shared object is written out each time');
  t.throws(() => encodeKey(Symbol('k')), { name: 'SerializationError', path: '$' });
  let deep: unknown[] = [];
  for (let i = 0; i < 100_000; i++) deep = [deep];
  t.throws(() => encodeKey(deep), { name: 'SerializationError', message: /nested too deeply/ });
});

t.test('a revoked Proxy in a key is a SerializationError with its path', async (t) => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  t.throws(() => encodeKey({ k: [proxy] }), { name: 'SerializationError', path: '$.k[0]', message: /revoked Proxy/ });
});

t.test('decodeKey gives back the key', async (t) => {
  const keys: unknown[] = [
    'abc',
    '',
    'é',
    42,
    -1.5,
    10n,
    true,
    false,
    null,
    undefined,
    NaN,
    Infinity,
    [1, 'a', [null]],
    { b: { c: [1] }, a: 'x' },
    new Set(['x', 1]),
    new Map<unknown, unknown>([
      [{ k: 1 }, 'v'],
      ['s', new Date(3)],
    ]),
    new Date(1700000000000),
    /re/g,
    new Uint8Array([1, 2]),
    Buffer.from('buf'),
    new URL('https://example.com/'),
    { '~': 'Date', v: 0 },
    Object.assign(Object.create(null) as object, { z: 1 }),
    [1, , 3], // eslint-disable-line no-sparse-arrays
  ];
  for (const key of keys) {
    const back = roundTrip(key);
    t.ok(sameKey(back, key), 'round trip of ' + keyText(key));
    t.equal(Object.prototype.toString.call(back), Object.prototype.toString.call(key));
  }
  t.strictSame(roundTrip({ b: { c: [1] }, a: 'x' }), { a: 'x', b: { c: [1] } });
  t.strictSame(roundTrip({ '~': 'Date', v: 0 }), { '~': 'Date', v: 0 }, 'user data with the tag key stays data');
  t.strictSame([...(roundTrip(new Set(['x', 1])) as Set<unknown>)].sort(), [1, 'x']);
  t.notOk(1 in (roundTrip([1, , 3]) as unknown[]), 'holes stay holes'); // eslint-disable-line no-sparse-arrays
  t.ok(Object.is(roundTrip(-0), 0), '-0 reads back as the key 0');
});

t.test('decodeKey of bytes encodeKey did not write is a DecodeError', async (t) => {
  const bad = [
    Buffer.from('"unterminated'),
    Uint8Array.from([0x22, 0xc3, 0x22]),
    Buffer.from('{"~":"Mystery"}'),
    Buffer.from('{"~":"hs1","v":1}'),
    Buffer.from('[{"~":"ref","i":9}]'),
    new Uint8Array(0),
  ];
  for (const bytes of bad) t.throws(() => decodeKey(bytes), DecodeError, Buffer.from(bytes).toString());
});
