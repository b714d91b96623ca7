import { serialize as nodeSerialize } from 'node:v8';
import t from 'tap';
import { DecodeError, SerializationError } from '../../src/errors.js';
import { v8Serializer } from '../../src/serializers/v8.js';

const roundTrip = <T>(value: T): T => v8Serializer.deserialize(v8Serializer.serialize(value)) as T;

t.test('name and id', async (t) => {
  t.equal(v8Serializer.name, 'v8');
  t.equal(v8Serializer.id, 0x76);
});

t.test('output is Node structured clone', async (t) => {
  const value = { a: [1, 'x'] };
  t.same(Buffer.from(v8Serializer.serialize(value)), nodeSerialize(value));
});

t.test('carries what structured clone carries', async (t) => {
  const value = {
    nums: [0, -0, NaN, Infinity, -Infinity, 1.5],
    nothing: [undefined, null],
    big: [0n, -12345678901234567890123n],
    boxed: [Object('s'), Object(1), Object(true)],
    when: new Date('2024-05-01T12:34:56.789Z'),
    re: /a+b?/giu,
    map: new Map<unknown, unknown>([
      ['x', 1],
      [{ k: 1 }, new Set([1, 'a'])],
    ]),
    set: new Set([1, '1', 1n]),
    bytes: new Uint8Array([1, 2, 255]),
    floats: new Float64Array([1.5, -2.25]),
    ints: new BigInt64Array([-1n, 2n]),
    buffer: new Uint8Array([9, 8, 7]).buffer,
    sparse: [1, , 3], // eslint-disable-line no-sparse-arrays
    unicode: 'ünïcödé 𝄞',
  };
  const back = roundTrip(value);
  t.same(back, value);
  t.ok(Object.is(back.nums[1], -0));
  t.ok(back.map instanceof Map && back.set instanceof Set && back.when instanceof Date && back.re instanceof RegExp);
  t.ok(back.floats instanceof Float64Array && back.ints instanceof BigInt64Array);
  t.notOk(1 in back.sparse, 'holes stay holes');
  t.ok(Number.isNaN(roundTrip(new Date(NaN)).getTime()), 'an invalid Date stays invalid');
  t.equal(roundTrip(undefined), undefined);
});

t.test('keeps shared references and cycles', async (t) => {
  const shared = { n: 1 };
  const cyclic: Record<string, unknown> = { shared, again: shared };
  cyclic['self'] = cyclic;
  const back = roundTrip(cyclic);
  t.equal(back['self'], back);
  t.equal(back['shared'], back['again']);
});

t.test('errors keep their built-in class, message, stack and cause', async (t) => {
  const error = new TypeError('boom', { cause: new RangeError('inner') });
  const back = roundTrip(error);
  t.ok(back instanceof TypeError);
  t.equal(back.message, 'boom');
  t.equal(back.stack, error.stack);
  t.ok(back.cause instanceof RangeError);
});

t.test('what v8 loses, as the serializer documents it', async (t) => {
  class Point {
    constructor(readonly x: number) {}
  }
  const point = roundTrip(new Point(1));
  t.notOk(point instanceof Point, 'class instances come back as plain objects');
  t.same(point, { x: 1 });
  const error = Object.assign(new Error('x'), { code: 'E1' });
  t.equal(roundTrip<typeof error>(error).code, undefined, 'own properties of errors are lost');
  t.same(roundTrip(new URL('https://example.com/')), {}, 'a URL comes back as {}');
});

t.test('a Buffer comes back as a Buffer', async (t) => {
  const back = roundTrip({ b: Buffer.from('hello') });
  t.ok(Buffer.isBuffer(back.b));
  t.equal(back.b.toString(), 'hello');
});

t.test('typed arrays read back own their memory instead of viewing the stored bytes', async (t) => {
  const stored = Buffer.from(
    v8Serializer.serialize({ u8: new Uint8Array([1, 2, 3, 4]), f64: new Float64Array([1.5]), b: Buffer.from('abcd') }),
  );
  const back = v8Serializer.deserialize(stored) as { u8: Uint8Array; f64: Float64Array; b: Buffer };
  stored.fill(0x41); // an engine reusing its read buffer
  t.same([...back.u8], [1, 2, 3, 4]);
  t.same([...back.f64], [1.5]);
  t.equal(back.b.toString(), 'abcd');
  t.equal(back.u8.buffer.byteLength, 4, 'no larger buffer kept alive');
});

t.test('what v8 cannot clone is a SerializationError with the exact path', async (t) => {
  class Holder {
    constructor(readonly inner: unknown) {}
  }
  const cases: Array<[string, unknown, string]> = [
    ['a function deep inside', { a: [1, { b: () => 2 }] }, '$.a[1].b'],
    ['a symbol at the top', Symbol('top'), '$'],
    ['a function at the top', () => 1, '$'],
    ['a Map value', { m: new Map([['k', { x: Symbol('s') }]]) }, '$.m<value 0>.x'],
    [
      'a Map key',
      {
        m: new Map<unknown, unknown>([
          [1, 1],
          [() => 1, 2],
        ]),
      },
      '$.m<key 1>',
    ],
    ['a Set member', { s: new Set([1, Promise.resolve()]) }, '$.s<member 1>'],
    ['a key that is not an identifier', { 'a b': [Symbol('s')] }, '$["a b"][0]'],
    ['a WeakMap', { w: [new WeakMap()] }, '$.w[0]'],
    ['an error cause', { e: new Error('x', { cause: { f() {} } }) }, '$.e.cause.f'],
    ['inside a class instance', { h: new Holder({ deep: Symbol('s') }) }, '$.h.inner.deep'],
    ['a proxy', { p: new Proxy({}, {}) }, '$.p'],
    ['a SharedArrayBuffer', { s: new SharedArrayBuffer(4) }, '$.s'],
  ];
  for (const [label, value, path] of cases) {
    const error = t.throws(
      () => v8Serializer.serialize(value),
      SerializationError,
      label,
    ) as unknown as SerializationError;
    t.equal(error?.path, path, `${label}: path`);
    t.ok(error?.cause instanceof Error, `${label}: v8's error is the cause`);
  }
  const shared = { ok: 1 };
  const error = t.throws(() =>
    v8Serializer.serialize({ a: shared, b: shared, c: { bad: () => 1 } }),
  ) as unknown as SerializationError;
  t.equal(error.path, '$.c.bad', 'shared references are walked once');
});

t.test('garbage is a DecodeError, never a wrong value', async (t) => {
  const garbage: Record<string, Uint8Array> = {
    empty: new Uint8Array(0),
    text: Buffer.from('garbage'),
    'devalue bytes': Buffer.from('[{"a":1},2]'),
    'a version tag alone': new Uint8Array([0xff]),
    'a bad tag': new Uint8Array([0xff, 0x0f, 0x01]),
  };
  for (const [label, bytes] of Object.entries(garbage)) {
    t.throws(() => v8Serializer.deserialize(bytes), DecodeError, label);
  }
  const stored = v8Serializer.serialize({ a: [1, 2, { b: 'text' }], m: new Map([[1, 2]]), u: new Uint8Array(9) });
  for (let cut = 0; cut < stored.length; cut++) {
    t.throws(() => v8Serializer.deserialize(stored.subarray(0, cut)), DecodeError, `truncated to ${cut} bytes`);
  }
});
