import t, { type Test } from 'tap';
import { Buffer } from 'node:buffer';
import { DecodeError, SerializationError } from '../../src/errors.js';
import { registerClass, unregisterClass } from '../../src/serializers/classes.js';
import { hashstashSerializer } from '../../src/serializers/hashstash.js';
import { StoredFunction } from '../../src/serializers/stored-function.js';
import { differenceBetween } from './same-structure.js';

const { serialize, deserialize } = hashstashSerializer;
const roundTrip = <T>(value: T, trustCode = false): T => deserialize(serialize(value), { trustCode }) as T;
const text = (value: unknown): string => Buffer.from(serialize(value)).toString('utf8');

function sameAfterRoundTrip(t: Test, value: unknown, message: string): unknown {
  const back = roundTrip(value);
  t.equal(differenceBetween(value, back), undefined, message);
  return back;
}

t.test('names itself hashstash with the header id h', async (t) => {
  t.equal(hashstashSerializer.name, 'hashstash');
  t.equal(hashstashSerializer.id, 0x68);
});

t.test('plain JSON values are written as JSON.stringify writes them', async (t) => {
  const value = { name: 'cat', goodness: 'good', random: 0.25, tags: ['a', 'b'], nested: { ok: true, none: null } };
  t.equal(text(value), JSON.stringify(value));
  t.equal(text('just a string'), '"just a string"');
  t.equal(text([1, 'two', false]), '[1,"two",false]');
  t.strictSame(roundTrip(value), value);
  t.ok(Buffer.isBuffer(serialize(value)) || serialize(value) instanceof Uint8Array, 'bytes');
});

t.test('reads from a plain Uint8Array as well as a Buffer', async (t) => {
  const bytes = new Uint8Array(serialize({ when: new Date(3), list: [1, 2] }));
  t.equal(differenceBetween({ when: new Date(3), list: [1, 2] }, deserialize(bytes)), undefined);
});

t.test('primitives JSON cannot say', async (t) => {
  t.equal(roundTrip(undefined), undefined);
  t.ok(Number.isNaN(roundTrip(NaN)));
  t.equal(roundTrip(Infinity), Infinity);
  t.equal(roundTrip(-Infinity), -Infinity);
  t.ok(Object.is(roundTrip(-0), -0), '-0 stays -0');
  t.ok(Object.is(roundTrip(0), 0), '0 stays +0');
  t.equal(roundTrip(123), 123);
  t.equal(roundTrip(1n), 1n);
  t.equal(roundTrip(-(2n ** 200n)), -(2n ** 200n));
  const inside = roundTrip({ u: undefined, n: NaN, z: -0, i: -Infinity, b: 10n });
  t.ok(Object.hasOwn(inside, 'u') && inside.u === undefined, 'undefined property kept');
  t.ok(Number.isNaN(inside.n));
  t.ok(Object.is(inside.z, -0));
  t.equal(inside.i, -Infinity);
  t.equal(inside.b, 10n);
  const elements = roundTrip([undefined, 1, undefined]);
  t.equal(elements.length, 3);
  t.ok(0 in elements && 2 in elements, 'undefined elements are elements, not holes');
});

t.test('a top-level number cannot be truncated into another number', async (t) => {
  const bytes = serialize(12345);
  t.equal(deserialize(bytes), 12345);
  t.throws(() => deserialize(bytes.subarray(0, bytes.length - 1)), DecodeError);
});

t.test('every proper prefix of any output is a DecodeError, never a value', async (t) => {
  const samples: unknown[] = [
    { a: 1, b: 'é😀' },
    'str',
    true,
    null,
    42,
    -0,
    [1, [2]],
    new Date(0),
    new Map([[1, 2]]),
    { '~': 1 },
  ];
  for (const sample of samples) {
    const bytes = serialize(sample);
    for (let end = 0; end < bytes.length; end++) {
      t.throws(() => deserialize(bytes.subarray(0, end)), DecodeError, `${text(sample)} cut at ${end}`);
    }
  }
});

t.test('Dates, including invalid ones', async (t) => {
  const back = roundTrip({ at: new Date(1700000000123), bad: new Date(NaN) });
  t.ok(back.at instanceof Date);
  t.equal(back.at.getTime(), 1700000000123);
  t.ok(back.bad instanceof Date);
  t.ok(Number.isNaN(back.bad.getTime()));
});

t.test('Map and Set keep entries, order and object keys', async (t) => {
  const objectKey = { id: 1 };
  const map = new Map<unknown, unknown>([
    ['b', 1],
    [objectKey, new Set([3, 'x', undefined])],
    [NaN, -0],
  ]);
  const back = sameAfterRoundTrip(t, { map }, 'map') as { map: Map<unknown, unknown> };
  t.ok(back.map instanceof Map);
  t.strictSame([...back.map.keys()].slice(0, 2), ['b', { id: 1 }]);
  t.ok(back.map.has(NaN));
  t.ok(Object.is(back.map.get(NaN), -0));
  sameAfterRoundTrip(t, new Set([new Date(1), [1, 2], 'x']), 'set at the top');
});

t.test('RegExp keeps source and flags', async (t) => {
  const re = /a+(b)\/c/gimsuy;
  re.lastIndex = 3;
  const back = roundTrip(re);
  t.ok(back instanceof RegExp);
  t.equal(back.source, re.source);
  t.equal(back.flags, re.flags);
  t.equal(roundTrip(new RegExp('[\\p{L}--[a-z]]', 'v')).flags, 'v');
});

t.test('binary data: every typed array, Buffer, ArrayBuffer, DataView', async (t) => {
  const values = [
    new Int8Array([-128, 0, 127]),
    new Uint8Array([0, 255]),
    new Uint8ClampedArray([0, 128, 255]),
    new Int16Array([-32768, 1, 32767]),
    new Uint16Array([65535, 2]),
    new Int32Array([-(2 ** 31), 2 ** 31 - 1]),
    new Uint32Array([2 ** 32 - 1, 7]),
    new Float32Array([1.5, -0, NaN, Infinity]),
    new Float64Array([Math.PI, -0, NaN, -Infinity, 5e-324]),
    new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]),
    new BigUint64Array([2n ** 64n - 1n, 0n]),
  ];
  for (const value of values) {
    const back = roundTrip(value);
    t.equal(Object.getPrototypeOf(back), Object.getPrototypeOf(value), value.constructor.name);
    t.equal(differenceBetween(value, back), undefined, value.constructor.name + ' bytes');
  }
  const buffer = roundTrip(Buffer.from('hello, world'));
  t.ok(Buffer.isBuffer(buffer), 'a Buffer comes back as a Buffer');
  t.equal(buffer.toString(), 'hello, world');

  const big = new Float64Array(1000).map((_, i) => i / 3);
  const view = new Float64Array(big.buffer, 8 * 10, 5);
  const viewBack = roundTrip(view);
  t.equal(viewBack.length, 5, 'a view carries only the bytes it covers');
  t.equal(viewBack[0], 10 / 3);

  const arrayBuffer = new Uint8Array([1, 2, 3]).buffer;
  const abBack = roundTrip(arrayBuffer);
  t.ok(abBack instanceof ArrayBuffer);
  t.strictSame([...new Uint8Array(abBack)], [1, 2, 3]);

  const dataView = new DataView(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2);
  const dvBack = roundTrip(dataView);
  t.ok(dvBack instanceof DataView);
  t.equal(dvBack.byteLength, 2);
  t.equal(dvBack.getUint8(0), 8);
});

t.test('typed array bytes are stored little-endian', async (t) => {
  t.match(text(new Uint16Array([1])), /"v":"AQA="/);
});

t.test('sparse arrays keep holes and length', async (t) => {
  const sparse: unknown[] = [1, , 3]; // eslint-disable-line no-sparse-arrays
  sparse[10] = 'x';
  const back = roundTrip(sparse);
  t.equal(back.length, 11);
  t.notOk(1 in back, 'hole stays a hole');
  t.ok(0 in back && 2 in back && 10 in back);
  t.equal(back[10], 'x');

  const huge: unknown[] = [];
  huge.length = 1e9;
  huge[0] = 'first';
  huge[1e9 - 1] = 'last';
  const started = Date.now();
  const bytes = serialize(huge);
  const hugeBack = deserialize(bytes) as unknown[];
  t.ok(Date.now() - started < 2000, 'a billion-long array with two elements is quick');
  t.ok(bytes.length < 200, 'and small');
  t.equal(hugeBack.length, 1e9);
  t.equal(hugeBack[0], 'first');
  t.equal(hugeBack[1e9 - 1], 'last');
  t.notOk(5 in hugeBack);
  const empty = roundTrip(new Array(3));
  t.equal(empty.length, 3);
  t.notOk(0 in empty);
});

t.test('URL and null-prototype objects', async (t) => {
  const url = roundTrip(new URL('https://example.com/a?b=c#d'));
  t.ok(url instanceof URL);
  t.equal(url.href, 'https://example.com/a?b=c#d');
  const bare = Object.create(null) as Record<string, unknown>;
  bare.a = 1;
  bare['__proto__'] = 'data, not a prototype';
  const back = roundTrip(bare);
  t.equal(Object.getPrototypeOf(back), null);
  t.equal(back.a, 1);
  t.equal(Object.getOwnPropertyDescriptor(back, '__proto__')?.value, 'data, not a prototype');
});

t.test('an own "__proto__" property stays data in both forms', async (t) => {
  const plain = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as Record<string, unknown>;
  const plainBack = roundTrip(plain);
  t.equal(Object.getPrototypeOf(plainBack), Object.prototype);
  t.strictSame(Object.getOwnPropertyDescriptor(plainBack, '__proto__')?.value, { polluted: true });
  const tagged = JSON.parse('{"__proto__":{"when":0},"a":1}') as Record<string, { when: unknown }>;
  tagged['__proto__'].when = new Date(0);
  const taggedBack = roundTrip(tagged);
  t.equal(Object.getPrototypeOf(taggedBack), Object.prototype);
  t.ok((Object.getOwnPropertyDescriptor(taggedBack, '__proto__')?.value as { when: unknown }).when instanceof Date);
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
});

t.test('shared references and cycles keep object identity', async (t) => {
  const shared = { n: 1 };
  const value: Record<string, unknown> = { x: shared, y: shared, list: [shared] };
  const back = roundTrip(value) as { x: unknown; y: unknown; list: unknown[] };
  t.equal(back.x, back.y, 'a.x === a.y');
  t.equal(back.list[0], back.x);

  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic.self = cyclic;
  const cyclicBack = roundTrip(cyclic);
  t.equal(cyclicBack.self, cyclicBack);

  const array: unknown[] = [];
  array.push(array, new Map([['me', array]]));
  const arrayBack = roundTrip(array);
  t.equal(arrayBack[0], arrayBack);
  t.equal((arrayBack[1] as Map<string, unknown>).get('me'), arrayBack);

  const date = new Date(5);
  const set = new Set<unknown>([date]);
  set.add(set);
  const setBack = roundTrip({ date, set });
  t.ok(setBack.set.has(setBack.date), 'shared Date');
  t.ok(setBack.set.has(setBack.set), 'Set containing itself');

  const error = new Error('outer') as Error & { self?: unknown };
  error.self = error;
  const errorBack = roundTrip<Error & { self?: unknown }>(error);
  t.equal(errorBack.self, errorBack);

  const fn = (x: number) => x;
  const fnBack = roundTrip({ a: fn, b: fn });
  t.equal(fnBack.a, fnBack.b, 'shared function');
  sameAfterRoundTrip(t, { x: shared, y: shared, cyclic, array }, 'everything at once');
});

t.test('Errors keep class, message, stack, cause and extra properties', async (t) => {
  const cause = new RangeError('inner');
  const error = new TypeError('outer', { cause }) as TypeError & { code?: string; extra?: unknown };
  error.code = 'E_OUTER';
  error.extra = { when: new Date(0) };
  const back = roundTrip<typeof error>(error);
  t.ok(back instanceof TypeError);
  t.equal(back.message, 'outer');
  t.equal(back.stack, error.stack);
  t.equal(back.code, 'E_OUTER');
  t.ok((back.extra as { when: unknown }).when instanceof Date);
  t.ok(back.cause instanceof RangeError);
  t.equal((back.cause as Error).message, 'inner');
  t.notOk(Object.keys(back).includes('message'), 'message stays non-enumerable');

  for (const ErrorClass of [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError]) {
    const revived = roundTrip(new ErrorClass('m'));
    t.equal(Object.getPrototypeOf(revived), ErrorClass.prototype, ErrorClass.name);
    t.equal(revived.name, ErrorClass.name);
  }
  const aggregate = roundTrip(new AggregateError([new Error('one'), 'two'], 'many'));
  t.ok(aggregate instanceof AggregateError);
  t.equal(aggregate.message, 'many');
  t.equal(aggregate.errors.length, 2);
  t.ok(aggregate.errors[0] instanceof Error);
  t.equal(aggregate.errors[1], 'two');

  const undefinedCause = roundTrip(new Error('x', { cause: undefined }));
  t.ok(Object.hasOwn(undefinedCause, 'cause'), 'an explicit undefined cause is kept');
  t.notOk(Object.hasOwn(roundTrip(new Error('x')), 'cause'));
  const renamed = new Error('custom');
  renamed.name = 'RenamedError';
  t.equal(roundTrip(renamed).name, 'RenamedError');
});

t.test('an unregistered Error subclass comes back as its built-in base, keeping name and properties', async (t) => {
  class NotFound extends RangeError {
    override name = 'NotFound';
    code = 404;
  }
  const back = roundTrip(new NotFound('gone'));
  t.ok(back instanceof RangeError);
  t.equal(back.name, 'NotFound');
  t.equal(back.message, 'gone');
  t.equal((back as unknown as { code: number }).code, 404);

  class Quiet extends Error {}
  Quiet.prototype.name = 'Quiet';
  t.equal(roundTrip(new Quiet('hush')).name, 'Quiet', 'a name from the prototype');
});

t.test('a registered Error subclass comes back as itself without calling its constructor', async (t) => {
  let constructed = 0;
  class AppError extends Error {
    constructor(message: string) {
      super(message);
      constructed++;
    }
  }
  registerClass(AppError);
  t.teardown(() => unregisterClass(AppError));
  const back = roundTrip(new AppError('app'));
  t.equal(constructed, 1);
  t.ok(back instanceof AppError);
  t.equal(back.message, 'app');
  t.equal(Object.prototype.toString.call(back), '[object Error]');
});

t.test('registered classes: default restore, custom serialize/deserialize', async (t) => {
  let constructed = 0;
  class Point {
    when = new Date(7);
    constructor(
      public x: number,
      public y: number,
    ) {
      constructed++;
    }
    norm(): number {
      return Math.hypot(this.x, this.y);
    }
  }
  registerClass(Point);
  t.teardown(() => unregisterClass(Point));
  const point = new Point(3, 4);
  const back = roundTrip({ a: point, b: point });
  t.equal(constructed, 1, 'no constructor call on read');
  t.ok(back.a instanceof Point);
  t.equal(back.a.norm(), 5);
  t.ok(back.a.when instanceof Date, 'properties are serialized as values');
  t.equal(back.a, back.b);

  class Node {
    next: Node | undefined;
  }
  registerClass(Node);
  t.teardown(() => unregisterClass(Node));
  const node = new Node();
  node.next = node;
  const nodeBack = roundTrip(node);
  t.equal(nodeBack.next, nodeBack, 'a cycle through a registered instance');

  class Money {
    constructor(
      readonly cents: bigint,
      readonly currency: string,
    ) {}
  }
  registerClass(Money, {
    name: 'app.Money',
    serialize: (m) => [m.cents, m.currency],
    deserialize: ([cents, currency]: [bigint, string]) => new Money(cents, currency),
  });
  t.teardown(() => unregisterClass(Money));
  t.match(text(new Money(5n, 'EUR')), /"c":"app.Money","v":\[\{"~":"bigint","v":"5"\},"EUR"\]/);
  const money = roundTrip([new Money(150n, 'EUR')])[0];
  t.ok(money instanceof Money);
  t.equal(money.cents, 150n);
  t.equal(money.currency, 'EUR');

  class SubPoint extends Point {}
  t.throws(() => serialize(new SubPoint(1, 2)), {
    name: 'SerializationError',
    message: /class SubPoint.*registerClass\(SubPoint\)/,
  });
});

t.test('a cycle through a class with its own deserialize cannot be stored', async (t) => {
  class Box {
    inner: unknown;
  }
  registerClass(Box, {
    serialize: (box) => ({ inner: box.inner }),
    deserialize: (data: { inner: unknown }) => Object.assign(new Box(), data),
  });
  t.teardown(() => unregisterClass(Box));
  const box = new Box();
  box.inner = [box];
  t.throws(() => serialize({ box }), { name: 'SerializationError', path: '$.box<Box data>.inner[0]' });
  const shared = new Box();
  shared.inner = 1;
  const back = roundTrip([shared, shared]);
  t.equal(back[0], back[1], 'sharing without a cycle is fine');
});

t.test('reading an instance of a class this process has not registered is a DecodeError', async (t) => {
  class Ghost {
    boo = true;
  }
  registerClass(Ghost);
  const bytes = serialize(new Ghost());
  unregisterClass(Ghost);
  t.throws(() => deserialize(bytes), { name: 'DecodeError', message: /class "Ghost".*registerClass\(Ghost\)/ });
});

t.test('functions come back as StoredFunction unless trustCode', async (t) => {
  function add(a: number, b: number): number {
    return a + b;
  }
  const stored = roundTrip(add) as unknown as StoredFunction;
  t.ok(stored instanceof StoredFunction);
  t.equal(stored.name, 'add');
  t.equal(stored.source, add.toString());
  t.equal(String(stored), add.toString());
  t.equal(stored.toFunction()(2, 3), 5);
  const trusted = roundTrip(add, true);
  t.equal(typeof trusted, 'function');
  t.equal(trusted(1, 2), 3);
  t.equal(text(stored), text(add), 'storing a StoredFunction stores the same function');
});

t.test(
  'a stored source that is not a function is a DecodeError from toFunction, with the SyntaxError as its cause',
  async (t) => {
    const failure = (() => {
      try {
        new StoredFunction('bad', 'this is not ) code').toFunction();
      } catch (error) {
        return error;
      }
    })();
    t.ok(
      failure instanceof DecodeError && failure.cause instanceof SyntaxError,
      'a DecodeError caused by the SyntaxError',
    );
    t.throws(() => new StoredFunction('n', '42').toFunction(), {
      name: 'DecodeError',
      message: /does not evaluate to a function/,
    });
    t.throws(() => new StoredFunction('n', 'a: 1').toFunction(), { name: 'DecodeError', message: /not a method/ });
  },
);

t.test('every kind of function source revives with trustCode', async (t) => {
  const object = {
    method(x: number) {
      return x * 2;
    },
    async asyncMethod() {
      return 'async method';
    },
    *generatorMethod() {
      yield 1;
    },
    get size() {
      return 42;
    },
    ['computed' + 'Name']() {
      return 'computed';
    },
  };
  class Counter {
    count = 1;
    increment(): number {
      return ++this.count;
    }
    static make(): Counter {
      return new Counter();
    }
  }
  // Every shape of function, each called as itself after the round trip: through `any` on purpose, one use per shape.
  /* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-function-type */
  const kinds: Record<string, [Function, (fn: any) => unknown, unknown]> = {
    declaration: [
      function double(x: number) {
        return x * 2;
      },
      (f) => f(4),
      8,
    ],
    expression: [
      function (x: number) {
        return x + 1;
      },
      (f) => f(1),
      2,
    ],
    arrow: [(x: number) => x - 1, (f) => f(1), 0],
    arrowNoParens: [eval('x => x * 10') as Function, (f) => f(2), 20],
    asyncArrow: [async () => 'async', (f) => f(), undefined],
    generator: [
      function* count() {
        yield 1;
        yield 2;
      },
      (f) => [...f()],
      [1, 2],
    ],
    asyncGenerator: [
      async function* agen() {
        yield 1;
      },
      (f) => typeof f().next,
      'function',
    ],
    class: [Counter, (C) => new C().increment(), 2],
    staticMethod: [Counter.make, (f) => typeof f, 'function'],
    method: [object.method, (f) => f(21), 42],
    asyncMethod: [object.asyncMethod, (f) => typeof f().then, 'function'],
    generatorMethod: [object.generatorMethod, (f) => [...f()], [1]],
    getter: [Object.getOwnPropertyDescriptor(object, 'size')!.get!, (f) => f(), 42],
    computedMethod: [(object as unknown as Record<string, Function>)['computedName'], (f) => f(), 'computed'],
  };
  /* eslint-enable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-function-type */
  for (const [kind, [fn, use, expected]] of Object.entries(kinds)) {
    const revived = roundTrip(fn, true) as (...args: never[]) => unknown;
    t.equal(typeof revived, 'function', kind);
    const result = use(revived);
    if (expected !== undefined) t.strictSame(result, expected, kind);
    t.equal(revived.toString(), fn.toString(), kind + ' source');
  }
  t.equal(await roundTrip<() => Promise<string>>(object.asyncMethod, true)(), 'async method');
});

t.test('loading without trustCode never evaluates stored code', async (t) => {
  const flag = '__hashstashEvaluated';
  const globals = globalThis as Record<string, unknown>;
  class Evil {
    static {
      (globalThis as Record<string, unknown>)['__hashstashEvaluated'] = true;
    }
  }
  delete globals[flag];
  const bytes = serialize({ Evil });
  const stored = deserialize(bytes) as { Evil: unknown };
  t.ok(stored.Evil instanceof StoredFunction);
  t.equal(globals[flag], undefined, 'nothing ran');
  deserialize(bytes, { trustCode: true });
  t.equal(globals[flag], true, 'the same bytes do run code with trustCode, so the check above can fail');
  delete globals[flag];
});

t.test('native and bound functions cannot be stored', async (t) => {
  t.throws(() => serialize({ f: Math.max }), {
    name: 'SerializationError',
    path: '$.f',
    message: /function max.*native or bound/,
  });
  t.throws(() => serialize([(() => 1).bind(null)]), { name: 'SerializationError', path: '$[0]' });
});

t.test('a value nested deeper than JSON can go is a SerializationError, not a stack overflow', async (t) => {
  let deep: unknown[] = [];
  for (let i = 0; i < 100_000; i++) deep = [deep];
  t.throws(() => serialize(deep), {
    name: 'SerializationError',
    path: '$',
    message: /nested too deeply to serialize \(100001 levels/,
  });
  let deepTagged: unknown[] = [new Date(0)];
  for (let i = 0; i < 100_000; i++) deepTagged = [deepTagged];
  t.throws(() => serialize(deepTagged), { name: 'SerializationError', message: /nested too deeply/ });
  let fine: unknown[] = [];
  for (let i = 0; i < 1000; i++) fine = [fine];
  t.equal(differenceBetween(fine, roundTrip(fine)), undefined, 'a thousand levels are fine');
});

function revoked<T extends object>(target: T): T {
  const { proxy, revoke } = Proxy.revocable(target, {});
  revoke();
  return proxy;
}

t.test('a revoked Proxy is a SerializationError with its path, not a TypeError', async (t) => {
  const cases: [string, unknown, string][] = [
    ['in plain JSON', { x: [1, { p: revoked({}) }] }, '$.x[1].p'],
    ['in a tagged tree', { when: new Date(0), p: revoked([]) }, '$.p'],
    ['a Map value', { m: new Map([['k', revoked({})]]) }, '$.m<value 0>'],
    ['a revoked function', { f: revoked(function f() {}) }, '$.f'],
    ['the value itself', revoked({}), '$'],
  ];
  for (const [label, value, path] of cases) {
    t.throws(() => serialize(value), { name: 'SerializationError', path, message: /revoked Proxy/ }, label);
  }
  const live = new Proxy({ a: 1 }, {});
  t.same(roundTrip({ live }), { live: { a: 1 } }, 'a live Proxy is written as what it shows');
});

t.test('SerializationError names the path inside the value', async (t) => {
  const cases: [unknown, string, RegExp][] = [
    [Symbol('s'), '$', /symbol/],
    [{ a: { b: [0, 1, 2, Symbol('x')] } }, '$.a.b[3]', /symbol/],
    [{ 'weird key': new WeakMap() }, '$["weird key"]', /WeakMap/],
    [
      {
        m: new Map<unknown, unknown>([
          ['ok', 1],
          ['bad', Promise.resolve()],
        ]),
      },
      '$.m<value 1>',
      /Promise/,
    ],
    [
      {
        m: new Map<unknown, unknown>([
          [1, 1],
          [Symbol('k'), 2],
        ]),
      },
      '$.m<key 1>',
      /symbol/,
    ],
    [{ s: new Set([1, 2, new WeakSet()]) }, '$.s<member 2>', /WeakSet/],
    [{ e: new Error('x', { cause: { deep: Symbol() } }) }, '$.e.cause.deep', /symbol/],
    [[1, , new Number(3)], '$[2]', /boxed Number/], // eslint-disable-line no-sparse-arrays
    [{ x: new (class Widget {})() }, '$.x', /class Widget; call registerClass\(Widget\)/],
    [{ u: undefined, b: new SharedArrayBuffer(1) }, '$.b', /SharedArrayBuffer/],
  ];
  for (const [value, path, message] of cases) {
    const error = t.throws(() => serialize(value), SerializationError, path) as SerializationError;
    t.equal(error?.path, path);
    t.match(error?.message, message);
    t.match(error?.message, ` at ${path}`);
  }
});

t.test('user objects holding the reserved "~" key come back intact', async (t) => {
  const lookalikes = [
    { '~': 'Date', v: 0 },
    { '~': 'ref', i: 0 },
    { '~': 'hs1', v: { '~': 'Date', v: 1 } },
    { '~': null },
    { '~': 'object', v: {} },
  ];
  for (const lookalike of lookalikes) {
    t.strictSame(roundTrip(lookalike), lookalike, 'top level: ' + JSON.stringify(lookalike));
    t.strictSame(roundTrip({ inner: lookalike }), { inner: lookalike }, 'nested in plain JSON');
    const tagged = roundTrip({ inner: lookalike, when: new Date(0) });
    t.strictSame(tagged.inner, lookalike, 'nested in a tagged tree');
    t.strictSame(roundTrip([lookalike, undefined])[0], lookalike, 'in an array in a tagged tree');
  }
});

t.test('corrupt input is a DecodeError, never a wrong value', async (t) => {
  const bad: [string, Uint8Array][] = [
    ['invalid UTF-8', Uint8Array.from([0x22, 0xff, 0xfe, 0x22])],
    ['not JSON', Buffer.from('{nope')],
    ['empty', new Uint8Array(0)],
    ['unknown marker', Buffer.from('{"~":"hs2","v":1}')],
    ['marker without v', Buffer.from('{"~":"hs1"}')],
    ['unknown tag', Buffer.from('{"~":"hs1","v":{"~":"Teleporter","v":1}}')],
    ['nested unknown tag', Buffer.from('{"~":"hs1","v":[1,{"~":42}]}')],
    ['reference to an unknown id', Buffer.from('{"~":"hs1","v":[{"~":"ref","i":5}]}')],
    ['reference not an integer', Buffer.from('{"~":"hs1","v":[{"~":"ref","i":"0"}]}')],
    ['Date with text', Buffer.from('{"~":"hs1","v":{"~":"Date","v":"yesterday"}}')],
    ['bigint not digits', Buffer.from('{"~":"hs1","v":{"~":"bigint","v":"12a"}}')],
    ['RegExp bad flags', Buffer.from('{"~":"hs1","v":{"~":"RegExp","s":"a","f":"zz"}}')],
    ['Map entry not a pair', Buffer.from('{"~":"hs1","v":{"~":"Map","v":[[1]]}}')],
    ['Set not a list', Buffer.from('{"~":"hs1","v":{"~":"Set","v":3}}')],
    ['sparse index beyond length', Buffer.from('{"~":"hs1","v":{"~":"sparse","n":2,"v":[[5,1]]}}')],
    ['sparse length too big', Buffer.from('{"~":"hs1","v":{"~":"sparse","n":1e20,"v":[]}}')],
    ['typed array bad base64', Buffer.from('{"~":"hs1","v":{"~":"Float64Array","v":"!!!!"}}')],
    ['typed array partial element', Buffer.from('{"~":"hs1","v":{"~":"Float64Array","v":"AAAA"}}')],
    ['URL not a URL', Buffer.from('{"~":"hs1","v":{"~":"URL","v":"not a url"}}')],
    ['Error of unknown class', Buffer.from('{"~":"hs1","v":{"~":"Error","c":"Panic","m":"x"}}')],
    ['class not registered', Buffer.from('{"~":"hs1","v":{"~":"class","c":"Nobody","p":{}}}')],
    ['function without source', Buffer.from('{"~":"hs1","v":{"~":"function","n":"f"}}')],
    ['escaped object without v', Buffer.from('{"~":"hs1","v":{"~":"object"}}')],
  ];
  for (const [what, bytes] of bad) t.throws(() => deserialize(bytes), DecodeError, what);
  t.throws(
    () => deserialize(Buffer.from('{"~":"hs1","v":{"~":"function","n":"f","s":"not valid {"}}'), { trustCode: true }),
    DecodeError,
    'a trusted function whose source does not evaluate',
  );
});

t.test('the format is data on disk: this output must never change', async (t) => {
  const value = {
    text: 'é',
    when: new Date(0),
    tags: new Set(['a']),
    counts: new Map([['x', 1n]]),
    nothing: undefined,
    bytes: Buffer.from([1, 2]),
    hole: [1, , 2], // eslint-disable-line no-sparse-arrays
    '~': 'mine',
  };
  t.equal(
    text(value),
    '{"~":"hs1","v":{"~":"object","v":{"text":"é","when":{"~":"Date","v":0},"tags":{"~":"Set","v":["a"]},' +
      '"counts":{"~":"Map","v":[["x",{"~":"bigint","v":"1"}]]},"nothing":{"~":"undefined"},' +
      '"bytes":{"~":"Buffer","v":"AQI="},"hole":{"~":"sparse","n":3,"v":[[0,1],[2,2]]},"~":"mine"}}}',
  );
});
