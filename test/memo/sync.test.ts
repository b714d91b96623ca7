import t from 'tap';
import { ConfigError, HashStash, UnsupportedError, type EngineName } from '../../src/index.js';

for (const engine of ['lmdb', 'sqlite', 'pairtree', 'memory'] as EngineName[]) {
  t.test(`${engine}: stash.sync.run and stash.sync.stashed return plain values, computed once`, async (t) => {
    const stash = new HashStash({ root: t.testdir(), engine });
    t.teardown(() => stash.close());
    let calls = 0;
    const area = (shape: { w: number; h: number }) => {
      calls++;
      return shape.w * shape.h;
    };
    const first = stash.sync.run(area, { w: 2, h: 3 });
    t.equal(first, 6, 'a value, not a promise');
    t.equal(stash.sync.run(area, { h: 3, w: 2 }), 6);
    t.equal(calls, 1, 'structurally equal arguments hit');
    const wrapped = stash.sync.stashed(area);
    t.equal(wrapped({ w: 2, h: 3 }), 6);
    t.equal(calls, 1, 'the sync wrapper shares the sub-stash of sync.run');
    t.equal(await stash.stashed(area)({ w: 2, h: 3 }), 6, 'and so does the async wrapper');
    t.equal(calls, 1);
    t.equal(wrapped.stash.getFunc({ w: 2, h: 3 }), 6);
    t.equal(wrapped.stash.getFunc({ w: 9, h: 9 }), undefined);
    t.same([...wrapped.stash], [[[{ w: 2, h: 3 }], 6]], 'iterates as [args, result]');
  });
}

t.test('sync: undefined and null results are cached; force recomputes', async (t) => {
  const stash = new HashStash({ root: t.testdir(), engine: 'memory' });
  let calls = 0;
  const nothing = (x: number) => {
    calls++;
    return x > 0 ? undefined : null;
  };
  t.equal(stash.sync.run(nothing, 1), undefined);
  t.equal(stash.sync.run(nothing, 1), undefined);
  t.equal(stash.sync.run(nothing, 0), null);
  t.equal(stash.sync.run(nothing, 0), null);
  t.equal(calls, 2);
  const forced = stash.sync.stashed(nothing, { force: true });
  forced(1);
  t.equal(calls, 3);
});

t.test('sync: async functions and promise results are refused', async (t) => {
  const stash = new HashStash({ root: t.testdir(), engine: 'memory' });
  t.throws(() => stash.sync.stashed(async (x: number) => x), ConfigError);
  const sneaky = stash.sync.stashed((x: number) => Promise.resolve(x));
  t.throws(() => sneaky(1), UnsupportedError);
  t.equal(sneaky.stash.size(), 0, 'nothing was stored');
});

t.test('sync: a recursive memoized function reads its own results', async (t) => {
  const stash = new HashStash({ root: t.testdir(), engine: 'memory' });
  let calls = 0;
  const fib: (n: number) => number = stash.sync.stashed((n: number): number => {
    calls++;
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
  });
  t.equal(fib(40), 102334155);
  t.equal(calls, 41, 'each n computed once');
});

t.test('sync memo on an asynchronous-only engine throws UnsupportedError', async (t) => {
  for (const engine of ['redis', 'mongo'] as EngineName[]) {
    const stash = new HashStash({
      root: 'memo-sync-test',
      engine,
      url: engine === 'redis' ? 'redis://127.0.0.1:1' : 'mongodb://127.0.0.1:1',
    });
    t.throws(() => stash.sync.run((x: number) => x, 1), UnsupportedError, engine);
    t.throws(() => stash.sync.stashed((x: number) => x), UnsupportedError, engine);
  }
});
