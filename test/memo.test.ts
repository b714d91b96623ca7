import t from 'tap';
import { HashStash, stashed, ConfigError, SerializationError, type EngineName } from '../src/index.js';

const LOCAL_ENGINES: EngineName[] = ['pairtree', 'lmdb', 'sqlite', 'memory'];
const open = (root: string, engine: EngineName = 'pairtree') => new HashStash({ root, engine });

for (const engine of LOCAL_ENGINES) {
  t.test(`${engine}: stash.run computes once, then reads the stash`, async (t) => {
    const stash = open(t.testdir(), engine);
    t.teardown(() => stash.close());
    let calls = 0;
    const double = (x: number, opts: { times: number }) => {
      calls++;
      return x * opts.times;
    };
    t.equal(await stash.run(double, 21, { times: 2 }), 42);
    t.equal(await stash.run(double, 21, { times: 2 }), 42);
    t.equal(calls, 1);
    t.equal(await stash.run(double, 21, { times: 3 }), 63);
    t.equal(calls, 2, 'other arguments compute again');
  });

  t.test(`${engine}: null and undefined results are cached, and undefined is told apart from absent`, async (t) => {
    const stash = open(t.testdir(), engine);
    t.teardown(() => stash.close());
    let calls = 0;
    const nothing = () => {
      calls++;
      return null;
    };
    const missing = (_x: number) => {
      calls++;
      return undefined;
    };
    t.equal(await stash.run(nothing), null);
    t.equal(await stash.run(nothing), null);
    t.equal(await stash.run(missing, 1), undefined);
    t.equal(await stash.run(missing, 1), undefined);
    t.equal(calls, 2);
    const wrapped = stash.stashed(missing);
    t.equal(await wrapped.stash.has([1]), true, 'the undefined result is stored');
    t.equal(await wrapped.stash.has([2]), false);
  });

  t.test(`${engine}: concurrent calls with equal arguments compute once`, async (t) => {
    const stash = open(t.testdir(), engine);
    t.teardown(() => stash.close());
    let calls = 0;
    const slow = async (x: { a: number; b: number }) => {
      calls++;
      await new Promise((r) => setTimeout(r, 30));
      return x.a + x.b;
    };
    const wrapped = stash.stashed(slow);
    const results = await Promise.all([
      wrapped({ a: 1, b: 2 }),
      wrapped({ b: 2, a: 1 }),
      wrapped({ a: 1, b: 2 }),
      wrapped({ a: 2, b: 2 }),
    ]);
    t.same(results, [3, 3, 3, 4]);
    t.equal(calls, 2, 'structurally equal arguments are one entry, and in flight they share one computation');
    t.equal(await wrapped({ a: 1, b: 2 }), 3);
    t.equal(calls, 2);
    t.same(await Promise.all([stash.run(slow, { a: 5, b: 5 }), wrapped({ a: 5, b: 5 })]), [10, 10]);
    t.equal(calls, 3, 'stash.run and stash.stashed of one function share their computations under way');
  });
}

t.test('results survive a new stash object on the same root', async (t) => {
  const root = t.testdir();
  let calls = 0;
  const triple = async (x: number) => {
    calls++;
    return x * 3;
  };
  t.equal(await new HashStash({ root, engine: 'pairtree' }).run(triple, 5), 15);
  t.equal(await new HashStash({ root, engine: 'pairtree' }).run(triple, 5), 15);
  t.equal(calls, 1);
});

t.test('a failed computation is not stored, and the next call tries again', async (t) => {
  const stash = open(t.testdir());
  let calls = 0;
  const flaky = (x: number) => {
    calls++;
    if (calls === 1) throw new Error('first call fails');
    return x;
  };
  const asyncFlaky = async (x: number) => {
    calls++;
    if (calls === 3) throw new Error('third call fails');
    return x;
  };
  await t.rejects(stash.run(flaky, 1), { message: 'first call fails' }, 'a synchronous throw becomes a rejection');
  t.equal(await stash.run(flaky, 1), 1);
  t.equal(calls, 2);
  await t.rejects(stash.run(asyncFlaky, 1), { message: 'third call fails' });
  t.equal(await stash.run(asyncFlaky, 1), 1);
  t.equal(calls, 4);
});

t.test('arguments that cannot be keys reject with SerializationError', async (t) => {
  const stash = open(t.testdir());
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const echo = (x: unknown) => x;
  const result = stash.stashed(echo)(cyclic);
  t.type(result, Promise, 'the error comes as a rejection, not a throw');
  await t.rejects(result, SerializationError);
});

t.test('the function sub-stash: [args, result] pairs, getFunc, and identity by source', async (t) => {
  const stash = open(t.testdir());
  const add = stash.stashed((a: number, b: number) => a + b);
  await add(1, 2);
  await add(3, 4);
  const pairs = [];
  for await (const pair of add.stash) pairs.push(pair);
  t.same(
    pairs.sort((x, y) => x[1] - y[1]),
    [
      [[1, 2], 3],
      [[3, 4], 7],
    ],
  );
  t.equal(await add.stash.getFunc(3, 4), 7);
  t.equal(await add.stash.getFunc(9, 9), undefined);
  const edited = stash.stashed((a: number, b: number) => a + b + 0);
  t.not(edited.stash.path, add.stash.path, 'editing the body starts a fresh sub-stash');
  t.equal(await edited(1, 2), 3);
  t.equal(await edited.stash.size(), 1, 'the edited function computed into its own sub-stash');
  t.ok(
    add.stash.path.startsWith(stash.path.slice(0, stash.path.lastIndexOf('/'))),
    'the sub-stash lives under its parent',
  );
});

t.test('the sub-stash is named after the function, and memoizing a wrapper keeps the inner identity', async (t) => {
  const stash = open(t.testdir());
  function fitModel(x: number) {
    return x;
  }
  const wrapped = stash.stashed(fitModel);
  t.match(wrapped.stash.path, /stashed_result\/fitModel\.[0-9a-f]{12}\//);
  t.equal(wrapped.name, 'fitModel');
  t.equal(stash.stashed(wrapped).stash.path, wrapped.stash.path);
  const odd = { 'weird name/..': (x: number) => x }['weird name/..'];
  t.match(
    stash.stashed(odd).stash.path,
    /stashed_result\/weird_name_\.\.\.[0-9a-f]{12}\//,
    'unsafe characters become _',
  );
});

t.test('a bound function has no source to hash: it needs a name', async (t) => {
  const stash = open(t.testdir());
  const bound = function (this: { k: number }, x: number) {
    return this.k * x;
  }.bind({ k: 2 });
  t.throws(() => stash.stashed(bound), ConfigError);
  await t.rejects(stash.run(bound, 1), ConfigError);
  const named = stash.stashed(bound, { name: 'times-two' });
  t.equal(await named(4), 8);
});

t.test('force recomputes and overwrites; name and version fix the identity', async (t) => {
  const stash = open(t.testdir());
  let calls = 0;
  const f = (x: number) => {
    calls++;
    return x + calls;
  };
  const plain = stash.stashed(f);
  t.equal(await plain(1), 2);
  const forced = stash.stashed(f, { force: true });
  t.equal(forced.stash.path, plain.stash.path, 'force reads and writes the same sub-stash');
  t.equal(await forced(1), 3);
  t.equal(await forced(1), 4);
  t.equal(calls, 3);
  t.equal(await plain(1), 4, 'the forced result overwrote the stored one');
  const v1 = stash.stashed((x: number) => x, { name: 'ident', version: 1 });
  const v1again = stash.stashed((x: number) => x * 1, { name: 'ident', version: 1 });
  const v2 = stash.stashed((x: number) => x, { name: 'ident', version: 2 });
  t.equal(v1.stash.path, v1again.stash.path);
  t.not(v1.stash.path, v2.stash.path);
  t.throws(() => stash.stashed(f, { forse: true } as never), ConfigError);
  t.throws(() => stash.stashed(f, { name: '../escape' }), ConfigError);
  t.throws(() => stash.stashed(f, { force: 'yes' } as never), ConfigError);
  t.throws(() => stash.stashed(f, 'options' as never), ConfigError);
  t.throws(() => stash.stashed(42 as never, {}), ConfigError);
});

t.test('standalone stashed opens its stash from options', async (t) => {
  const root = t.testdir();
  let calls = 0;
  const cube = stashed(
    (x: number) => {
      calls++;
      return x ** 3;
    },
    { root, engine: 'pairtree' },
  );
  t.equal(await cube(3), 27);
  t.equal(await cube(3), 27);
  t.equal(calls, 1);
  t.ok(cube.stash.path.startsWith(root));
  const named = stashed((x: number) => x, { root, engine: 'pairtree', name: 'cube', version: 'b' });
  t.match(named.stash.path, /stashed_result\/cube\.vb\//);
  t.throws(() => stashed((x: number) => x, { root, engine: 'nope' as never }), ConfigError);
});

t.test('property: structurally equal arguments hit the entry their first call stored', async (t) => {
  const fc = (await import('fast-check')).default;
  const stash = open(t.testdir(), 'memory');
  let calls = 0;
  const identity = stash.stashed((value: unknown) => {
    calls++;
    return value;
  });
  const reordered = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(reordered);
    if (value && typeof value === 'object')
      return Object.fromEntries(
        Object.entries(value)
          .reverse()
          .map(([k, v]) => [k, reordered(v)]),
      );
    return value;
  };
  await fc.assert(
    fc.asyncProperty(fc.jsonValue(), async (value) => {
      await identity(value);
      const before = calls;
      t.strictSame(await identity(reordered(value)), await identity(value));
      return calls === before;
    }),
    { numRuns: 100 },
  );
});

t.test('stashOf reads the sub-stash of a memo, and refuses a plain function', async (t) => {
  const { stashOf } = await import('../src/index.js');
  const stash = open(t.testdir(), 'memory');
  const wrapped = stash.stashed((x: number) => x);
  t.equal(stashOf(wrapped), wrapped.stash);
  t.throws(() => stashOf((x: number) => x), ConfigError);
});
