import { isDeepStrictEqual, types } from 'node:util';
import t from 'tap';
import { DecodeError, SerializationError } from '../../src/errors.js';
import { registerClass, unregisterClass } from '../../src/serializers/classes.js';
import { devalueSerializer } from '../../src/serializers/devalue.js';
import { StoredFunction } from '../../src/serializers/stored-function.js';

const roundTrip = <T>(value: T, trustCode = false): T =>
  devalueSerializer.deserialize(devalueSerializer.serialize(value), { trustCode }) as T;
const text = (value: unknown) => Buffer.from(devalueSerializer.serialize(value)).toString('utf8');

t.test('name and id', async (t) => {
  t.equal(devalueSerializer.name, 'devalue');
  t.equal(devalueSerializer.id, 0x64);
});

t.test('output is the UTF-8 of devalue text', async (t) => {
  t.equal(text({ a: [1, 'é'] }), '[{"a":1},[2,3],1,"é"]');
  t.equal(text(undefined), '-1');
});

t.test('carries what devalue carries natively', async (t) => {
  const value = {
    nums: [0, -0, NaN, Infinity, -Infinity, 1.5, Number.MAX_SAFE_INTEGER],
    nothing: [undefined, null],
    big: [0n, -12345678901234567890123n],
    boxed: [Object('s'), Object(1), Object(true), Object(5n)],
    when: new Date('2024-05-01T12:34:56.789Z'),
    re: /a+b?/giu,
    map: new Map<unknown, unknown>([
      ['x', 1],
      [{ k: 1 }, new Set([1, 'a'])],
    ]),
    set: new Set([1, '1', 1n]),
    url: new URL('https://example.com/a?b=c#d'),
    params: new URLSearchParams('a=1&b=2'),
    bytes: new Uint8Array([1, 2, 255]),
    floats: new Float64Array([1.5, -2.25]),
    ints: new BigInt64Array([-1n, 2n]),
    buffer: new Uint8Array([9, 8, 7]).buffer,
    view: new DataView(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2),
    sparse: [1, , 3], // eslint-disable-line no-sparse-arrays
    bare: Object.assign(Object.create(null) as object, { a: 1 }),
    unicode: 'ünïcödé 𝄞 \u2028 <script>',
    lone: '\ud800',
  };
  const back = roundTrip(value);
  t.same(back, value);
  t.ok(Object.is(back.nums[1], -0), '-0 stays -0');
  t.ok(Number.isNaN(back.nums[2]), 'NaN');
  t.ok(1 in back.nothing && back.nothing[0] === undefined, 'undefined in arrays');
  t.ok(back.map instanceof Map && back.set instanceof Set && back.when instanceof Date && back.url instanceof URL);
  t.equal(back.re.flags, 'giu');
  t.ok(back.floats instanceof Float64Array && back.ints instanceof BigInt64Array);
  t.equal(back.view.byteLength, 2);
  t.equal(back.view.getUint8(0), 2);
  t.notOk(1 in back.sparse, 'holes stay holes');
  t.equal(Object.getPrototypeOf(back.bare), null);
  t.equal(back.lone, '\ud800', 'lone surrogates survive');
  t.ok(Number.isNaN(roundTrip(new Date(NaN)).getTime()), 'an invalid Date stays invalid');
  t.equal(roundTrip(undefined), undefined);
  t.equal(roundTrip('top-level string'), 'top-level string');
});

t.test('keeps shared references and cycles', async (t) => {
  const shared = { n: 1 };
  const cyclic: Record<string, unknown> = { shared, again: shared, list: [shared] };
  cyclic['self'] = cyclic;
  const back = roundTrip(cyclic) as typeof cyclic & { shared: object; again: object; list: object[] };
  t.equal(back['self'], back);
  t.equal(back.shared, back.again);
  t.equal(back.list[0], back.shared);

  const ab = new ArrayBuffer(8);
  const views = roundTrip({ a: new Uint8Array(ab), b: new Uint16Array(ab, 2, 2) });
  t.equal(views.a.buffer, views.b.buffer, 'typed arrays keep sharing one buffer');
});

t.test('a Buffer comes back as a Buffer, with only its own bytes', async (t) => {
  const pooled = Buffer.from('hello'); // lives in Node's shared pool
  const back = roundTrip({ b: pooled, again: pooled });
  t.ok(Buffer.isBuffer(back.b));
  t.equal(back.b.toString(), 'hello');
  t.equal(back.b, back.again, 'shared Buffer stays shared');
  t.notMatch(text(pooled), /[A-Za-z0-9+/]{100}/, 'the pool is not written');
});

t.test('an empty Buffer stays a Buffer (devalue takes a falsy reducer payload as "not mine")', async (t) => {
  const back = roundTrip({ empty: Buffer.alloc(0) });
  t.ok(Buffer.isBuffer(back.empty));
  t.equal(back.empty.length, 0);
});

t.test('errors come back as real errors of their class, with message, stack, cause and own properties', async (t) => {
  const inner = new RangeError('inner');
  const error = new TypeError('boom', { cause: inner }) as TypeError & { code?: string };
  error.code = 'E_BOOM';
  const back = roundTrip({ error, again: error });
  t.ok(back.error instanceof TypeError);
  t.ok(types.isNativeError(back.error), 'a real error, which structured clone and deepStrictEqual treat as one');
  t.equal(back.error.message, 'boom');
  t.equal(back.error.stack, error.stack);
  t.ok(back.error.cause instanceof RangeError);
  t.equal((back.error.cause as Error).message, 'inner');
  t.equal(back.error.code, 'E_BOOM');
  t.equal(back.again, back.error, 'a shared error stays shared');
  t.strictSame(Object.keys(back.error), ['code'], 'message, stack and cause stay non-enumerable');
  t.ok(isDeepStrictEqual(back.error, error));

  const aggregate = roundTrip(new AggregateError([new Error('one')], 'many'));
  t.ok(aggregate instanceof AggregateError);
  t.equal((aggregate.errors[0] as Error).message, 'one');

  t.notOk(Object.hasOwn(roundTrip(new Error()), 'message'), 'an error made without a message has none of its own');

  class HttpError extends RangeError {}
  HttpError.prototype.name = 'HttpError';
  const sub = roundTrip(new HttpError('404'));
  t.ok(sub instanceof RangeError, 'an unregistered subclass comes back as the built-in it extends');
  t.equal(sub.name, 'HttpError', 'with its name');

  class DevalueHttpError extends Error {
    status = 404;
  }
  registerClass(DevalueHttpError);
  t.teardown(() => unregisterClass(DevalueHttpError));
  const registered = roundTrip(new DevalueHttpError('not found'));
  t.ok(registered instanceof DevalueHttpError, 'a registered subclass comes back as itself');
  t.ok(types.isNativeError(registered));
  t.equal(registered.status, 404);
});

t.test('an error its own contents lead back to is refused when written, not misread later', async (t) => {
  const error = new Error('loop') as Error & { self?: unknown };
  error.self = error;
  const direct = t.throws(
    () => devalueSerializer.serialize({ list: [error] }),
    SerializationError,
  ) as unknown as SerializationError;
  t.equal(direct.path, '$.list[0]');
  t.match(direct.message, 'lead back to it');
  const a = new Error('a');
  const b = new Error('b', { cause: { holder: a } });
  a.cause = b;
  t.throws(() => devalueSerializer.serialize(a), SerializationError, 'through causes');
  const forged = Buffer.from('[["hs:error",1],{"c":2,"self":0},"Error"]');
  t.throws(
    () => devalueSerializer.deserialize(forged),
    DecodeError,
    'forged data with such a loop is refused when read',
  );
});

t.test('registered classes come back with their prototype, without running the constructor', async (t) => {
  let constructed = 0;
  class DevaluePoint {
    parent?: DevaluePoint;
    constructor(
      readonly x: number,
      readonly y: number,
    ) {
      constructed++;
    }
    norm() {
      return Math.hypot(this.x, this.y);
    }
  }
  registerClass(DevaluePoint);
  t.teardown(() => unregisterClass(DevaluePoint));
  const a = new DevaluePoint(3, 4);
  const b = new DevaluePoint(1, 1);
  b.parent = a;
  const value = { a, b, list: [a] };
  constructed = 0;
  const back = roundTrip(value);
  t.equal(constructed, 0);
  t.ok(back.a instanceof DevaluePoint);
  t.equal(back.a.norm(), 5);
  t.equal(back.b.parent, back.a, 'references between instances survive');
  t.equal(back.list[0], back.a);

  const cyclic = new DevaluePoint(0, 0);
  cyclic.parent = cyclic;
  const cyclicBack = roundTrip(cyclic);
  t.equal(cyclicBack.parent, cyclicBack, 'a cycle through an instance survives');

  const stored = devalueSerializer.serialize(new DevaluePoint(1, 2));
  unregisterClass(DevaluePoint);
  const error = t.throws(() => devalueSerializer.deserialize(stored), DecodeError) as unknown as Error;
  t.match(error.message, 'DevaluePoint', 'reading a class no longer registered names it');
  registerClass(DevaluePoint);
  t.ok(devalueSerializer.deserialize(stored) instanceof DevaluePoint, 'and reads once it is registered again');
});

t.test('registered classes with their own serialize and deserialize', async (t) => {
  class DevalueMoney {
    constructor(
      readonly cents: bigint,
      readonly currency: string,
    ) {}
  }
  registerClass(DevalueMoney, {
    name: 'money',
    serialize: (m) => `${m.cents} ${m.currency}`,
    deserialize: (data: string) => {
      const [cents, currency] = data.split(' ');
      return new DevalueMoney(BigInt(cents), currency);
    },
  });
  t.teardown(() => unregisterClass(DevalueMoney));
  const back = roundTrip({ price: new DevalueMoney(1999n, 'EUR') });
  t.ok(back.price instanceof DevalueMoney);
  t.equal(back.price.cents, 1999n);
  t.equal(back.price.currency, 'EUR');
  t.match(text(new DevalueMoney(1n, 'USD')), '"1 USD"', 'what serialize returned is stored');

  class DevalueNode {
    next: DevalueNode | undefined;
  }
  registerClass(DevalueNode, { serialize: (node) => ({ next: node.next }) });
  t.teardown(() => unregisterClass(DevalueNode));
  const loop = new DevalueNode();
  loop.next = new DevalueNode();
  loop.next.next = loop;
  const error = t.throws(
    () => devalueSerializer.serialize({ loop }),
    SerializationError,
  ) as unknown as SerializationError;
  t.equal(error.path, '$.loop', 'an instance its own data leads back to is refused with its path');
  t.match(error.message, 'DevalueNode');
});

t.test('user keys that start with NUL are not mistaken for class markers', async (t) => {
  const plain = { '\u0000class': 'NotAClass', '\u0000\u0000x': 1, '\u0000error': 'Error' };
  t.strictSame(roundTrip(plain), plain);
  class DevalueMarked {
    constructor(readonly n: number) {}
  }
  registerClass(DevalueMarked);
  t.teardown(() => unregisterClass(DevalueMarked));
  const mixed = { plain, instance: new DevalueMarked(1) };
  t.match(text(mixed), /^~/, 'a registered instance takes the marked form');
  const back = roundTrip(mixed);
  t.strictSame(back.plain, plain);
  t.ok(back.instance instanceof DevalueMarked);
  const bare = Object.assign(Object.create(null) as object, plain);
  t.same(roundTrip({ bare, instance: new DevalueMarked(2) }).bare, bare);
});

t.test('functions are stored as name and source and read back as StoredFunction', async (t) => {
  function add(a: number, b: number) {
    return a + b;
  }
  const back = roundTrip({ add, arrow: (x: number) => x * 2 });
  t.ok(back.add instanceof StoredFunction, 'never evaluated by default');
  t.equal((back.add as unknown as StoredFunction).name, 'add');
  t.equal((back.add as unknown as StoredFunction).source, add.toString());
  t.equal((back.arrow as unknown as StoredFunction).name, 'arrow');

  const trusted = roundTrip({ add, arrow: (x: number) => x * 2 }, true);
  t.equal(trusted.add(2, 3), 5, 'trustCode revives callable functions');
  t.equal(trusted.arrow(4), 8);

  const again = roundTrip({ f: back.add }, true);
  t.equal(again.f(1, 2), 3, 'a StoredFunction stores the same function again');
});

t.test('reading never runs stored code unless trustCode', async (t) => {
  const g = globalThis as { devalueSideEffect?: number };
  const forged = Buffer.from('[["hs:function",1],[2,3],"f","(globalThis.devalueSideEffect = 1, function f() {})"]');
  const value = devalueSerializer.deserialize(forged);
  t.ok(value instanceof StoredFunction);
  t.equal(g.devalueSideEffect, undefined, 'nothing ran');
  devalueSerializer.deserialize(forged, { trustCode: true });
  t.equal(g.devalueSideEffect, 1, 'trustCode evaluates it');
  delete g.devalueSideEffect;
});

t.test('what devalue cannot carry is a SerializationError with the exact path', async (t) => {
  const cases: Array<[string, unknown, string]> = [
    ['a symbol deep inside', { a: [1, { b: Symbol('s') }] }, '$.a[1].b'],
    ['a symbol at the top', Symbol('top'), '$'],
    ['a Map value', { m: new Map([['k', { x: Symbol('s') }]]) }, '$.m.get("k").x'],
    ['a key that is not an identifier', { 'a b': [Symbol('s')] }, '$["a b"][0]'],
    ['an unregistered class', { list: [1, 2, new (class Unregistered {})()] }, '$.list[2]'],
    ['a native function', { f: Math.max }, '$.f'],
    ['a bound function', { f: function named() {}.bind(null) }, '$.f'],
    ['a WeakMap', { w: new WeakMap() }, '$.w'],
    ['a Promise', { p: Promise.resolve(1) }, '$.p'],
    ['symbol keys', { o: { [Symbol('k')]: 1 } }, '$.o'],
    ['inside an error', { e: new Error('x', { cause: { s: Symbol('s') } }) }, '$.e.cause.s'],
  ];
  for (const [label, value, path] of cases) {
    const error = t.throws(
      () => devalueSerializer.serialize(value),
      SerializationError,
      label,
    ) as unknown as SerializationError;
    t.equal(error?.path, path, `${label}: path`);
  }
  const unregistered = t.throws(() => devalueSerializer.serialize(new (class Widget {})())) as unknown as Error;
  t.match(unregistered.message, /Widget.*registerClass/, 'an unregistered class is named, with the fix');
});

function revoked<T extends object>(target: T): T {
  const { proxy, revoke } = Proxy.revocable(target, {});
  revoke();
  return proxy;
}

t.test('a revoked Proxy is a SerializationError with its path, not a TypeError', async (t) => {
  const cases: [string, unknown, string][] = [
    ['in an object', { x: [1, { p: revoked({}) }] }, '$.x[1].p'],
    ['a Map value', { m: new Map([['k', revoked([])]]) }, '$.m.get("k")'],
    ['a revoked function', { f: revoked(function f() {}) }, '$.f'],
    ['the value itself', revoked({}), '$'],
  ];
  for (const [label, value, path] of cases) {
    t.throws(
      () => devalueSerializer.serialize(value),
      { name: 'SerializationError', path, message: /revoked Proxy/ },
      label,
    );
  }
});

t.test(
  'a value nested deeper than the stack allows is a SerializationError naming its depth, not a RangeError',
  async (t) => {
    let deep: unknown = {};
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    t.throws(() => devalueSerializer.serialize(deep), {
      name: 'SerializationError',
      path: '$',
      message: /nested too deeply to serialize \(100001 levels/,
    });
    let deepArrays: unknown[] = [new Map([[1, new Set([2])]])];
    for (let i = 0; i < 100_000; i++) deepArrays = [deepArrays];
    t.throws(
      () => devalueSerializer.serialize(deepArrays),
      { name: 'SerializationError', message: /\(100003 levels/ },
      'counting Map and Set levels',
    );
  },
);

t.test('garbage is a DecodeError, never a wrong value', async (t) => {
  const garbage: Record<string, Uint8Array> = {
    empty: new Uint8Array(0),
    'not JSON': Buffer.from('garbage'),
    'invalid UTF-8': Buffer.from([0x5b, 0xff, 0xfe, 0x5d]),
    'a byte-order mark': Buffer.from('\ufeff[1]'),
    'JSON but not devalue': Buffer.from('{"a":1}'),
    'an index out of range': Buffer.from('[{"a":5}]'),
    'an unknown type': Buffer.from('[["Nope",1],2]'),
    'a malformed function': Buffer.from('[["hs:function",1],5]'),
    'an unknown marker': Buffer.from('~[{"\\u0000nope":1},"x"]'),
    'an unregistered class marker': Buffer.from('~[{"\\u0000class":1},"NotRegistered"]'),
    'an unknown error class': Buffer.from('[["hs:error",1],{"c":2},"NotAnError"]'),
    'a malformed error': Buffer.from('[["hs:error",1],{"c":2,"m":3},"Error",5]'),
    'v8 bytes': Buffer.from([0xff, 0x0f, 0x6f, 0x22, 0x01, 0x61, 0x49, 0x02, 0x7b, 0x01]),
  };
  for (const [label, bytes] of Object.entries(garbage)) {
    t.throws(() => devalueSerializer.deserialize(bytes), DecodeError, label);
  }
  class DevalueTruncated {}
  registerClass(DevalueTruncated);
  t.teardown(() => unregisterClass(DevalueTruncated));
  const stored = devalueSerializer.serialize({
    a: [1, 2, { b: 'text' }],
    e: new Error('x'),
    i: new DevalueTruncated(),
  });
  for (let cut = 0; cut < stored.length; cut++) {
    t.throws(() => devalueSerializer.deserialize(stored.subarray(0, cut)), DecodeError, `truncated to ${cut} bytes`);
  }
});
