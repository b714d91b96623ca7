import t from 'tap';
import { ConfigError, HashStash, stashed, stashOf } from '../../src/index.js';

t.test('@stashed(options) on an async method: computed once per arguments, this passed but not keyed', async (t) => {
  const root = t.testdir();
  let calls = 0;
  class Model {
    constructor(readonly scale: number) {}
    @stashed({ root, engine: 'lmdb' })
    async fit(xs: number[]) {
      calls++;
      return xs.map((x) => x * this.scale);
    }
  }
  const a = new Model(2);
  t.same(await a.fit([1, 2]), [2, 4]);
  t.same(await a.fit([1, 2]), [2, 4]);
  t.equal(calls, 1);
  t.same(await new Model(10).fit([1, 2]), [2, 4], 'another instance hits the same entry: this is not part of the key');
  t.equal(calls, 1);
  t.same(await stashOf(Model.prototype.fit).getFunc([1, 2]), [2, 4], 'the method carries its sub-stash');
  t.match(stashOf(Model.prototype.fit).path, /stashed_result\/fit\.[0-9a-f]{12}\//);
  await stashOf(Model.prototype.fit).close();
});

t.test('keyThis makes the instance part of the key', async (t) => {
  const root = t.testdir();
  let calls = 0;
  class Model {
    constructor(
      readonly id: string,
      readonly scale: number,
    ) {}
    @stashed({ root, engine: 'pairtree', keyThis: (self: Model) => self.id })
    async fit(x: number) {
      calls++;
      return x * this.scale;
    }
  }
  t.equal(await new Model('a', 2).fit(3), 6);
  t.equal(await new Model('b', 5).fit(3), 15);
  t.equal(await new Model('a', 99).fit(3), 6, 'instances with the same id share entries');
  t.equal(calls, 2);
  t.equal(await stashOf(Model.prototype.fit).getFunc(new Model('b', 0), 3), 15, 'getFunc takes the instance first');
  const keys = [];
  for await (const key of stashOf(Model.prototype.fit).keys()) keys.push(key);
  t.same(
    keys.sort(),
    [
      ['a', 3],
      ['b', 3],
    ],
    'the key is [keyThis(this), ...args]',
  );

  class Point {
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
    @stashed({ root, engine: 'pairtree', keyThis: true })
    async norm() {
      calls++;
      return Math.hypot(this.x, this.y);
    }
  }
  t.equal(await new Point(3, 4).norm(), 5);
  t.equal(await new Point(3, 4).norm(), 5, 'keyThis: true keys by the instance data, so equal instances hit');
  t.equal(await new Point(6, 8).norm(), 10);
  t.equal(calls, 4);
});

t.test('@stash.stashed() and bare @stashed, on static and private methods', async (t) => {
  const stash = new HashStash({ root: t.testdir(), engine: 'memory' });
  let calls = 0;
  class Tools {
    @stash.stashed()
    static async square(x: number) {
      calls++;
      return x * x;
    }
    @stash.stashed({ name: 'private-cube' })
    async #cube(x: number) {
      calls++;
      return x ** 3;
    }
    cube(x: number) {
      return this.#cube(x);
    }
  }
  t.equal(await Tools.square(4), 16);
  t.equal(await Tools.square(4), 16);
  t.equal(await new Tools().cube(2), 8);
  t.equal(await new Tools().cube(2), 8);
  t.equal(calls, 2);
  t.match(stashOf(Tools.square).path, /stashed_result\/square\./);

  class Defaults {
    @stashed
    async ping(x: number) {
      return x;
    }
  }
  t.match(stashOf(Defaults.prototype.ping).path, /default_stash|main/, 'bare @stashed uses the default stash');
});

t.test('a decorator factory checks its options when the class is defined', async (t) => {
  t.throws(() => stashed({ forse: true } as never), ConfigError);
  t.throws(() => stashed({ engine: 'nope' } as never), ConfigError);
  t.throws(() => new HashStash({ engine: 'memory' }).stashed({ keyThis: 'id' } as never), ConfigError);
  t.throws(
    () => (stashed as (...args: unknown[]) => unknown)({}, {}),
    ConfigError,
    'two arguments without a function are refused',
  );
});

t.test('getters, setters, fields and classes are refused with a clear error', async (t) => {
  const stash = new HashStash({ root: t.testdir(), engine: 'memory' });
  // `any`: applied where TypeScript refuses a method decorator (a getter, a field, a class, by hand), to see it throw.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  const decorate: any = stash.stashed();
  t.throws(
    () => {
      class Shape {
        @decorate
        get area() {
          return 1;
        }
      }
      return Shape;
    },
    { name: 'ConfigError', message: /'area' is a getter/ },
  );
  t.throws(() => {
    class Shape {
      @decorate
      size = 1;
    }
    return Shape;
  }, ConfigError);
  t.throws(() => {
    @decorate
    class Shape {}
    return Shape;
  }, ConfigError);
  // eslint-disable-next-line @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- `decorate` is `any` (above)
  t.throws(() => decorate(() => 1, { name: 'x' }), ConfigError, 'the decorator applied by hand without a context');
});

t.test('@stash.sync.stashed keeps a synchronous method synchronous', async (t) => {
  const stash = new HashStash({ root: t.testdir(), engine: 'lmdb' });
  t.teardown(() => stash.close());
  let calls = 0;
  class Counter {
    @stash.sync.stashed()
    words(text: string) {
      calls++;
      return text.split(' ').length;
    }
  }
  const counter = new Counter();
  t.equal(counter.words('a b c'), 3);
  t.equal(counter.words('a b c'), 3);
  t.equal(calls, 1);
  t.equal(stashOf(Counter.prototype.words).getFunc('a b c'), 3);
});

t.test('types: @stashed takes async methods, @stash.sync.stashed synchronous ones', async (t) => {
  const stash = new HashStash({ root: t.testdir(), engine: 'memory' });
  class Typed {
    // @ts-expect-error: a memoized method returns a promise, so a synchronous method's type cannot hold it
    @stashed({ root: t.testdir(), engine: 'memory' }) sync(x: number) {
      return x;
    }
    @stash.stashed() async fine(x: number) {
      return x;
    }
  }
  t.equal(await new Typed().fine(1), 1);
  t.throws(
    () => {
      class Later {
        // @ts-expect-error: the synchronous memo cannot store a promise
        @stash.sync.stashed() async later(x: number) {
          return x;
        }
      }
      return Later;
    },
    ConfigError,
    'at run time an async method is refused when the class is defined',
  );
});
