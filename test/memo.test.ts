import t from 'tap';
import { HashStash, stashed, ConfigError } from '../src/index.js';

const open = (root: string) => new HashStash({ root, engine: 'pairtree' });

t.test('stash.run computes once, then reads the stash', async (t) => {
  const stash = open(t.testdir());
  let calls = 0;
  const double = (x: number, opts: { times: number }) => { calls++; return x * opts.times; };
  t.equal(await stash.run(double, 21, { times: 2 }), 42);
  t.equal(await stash.run(double, 21, { times: 2 }), 42);
  t.equal(calls, 1);
  t.equal(await stash.run(double, 21, { times: 3 }), 63);
  t.equal(calls, 2, 'other arguments compute again');
});

t.test('results survive a new stash object on the same root', async (t) => {
  const root = t.testdir();
  let calls = 0;
  const triple = async (x: number) => { calls++; return x * 3; };
  t.equal(await new HashStash({ root, engine: 'pairtree' }).run(triple, 5), 15);
  t.equal(await new HashStash({ root, engine: 'pairtree' }).run(triple, 5), 15);
  t.equal(calls, 1);
});

t.test('null and undefined results are cached like any other', async (t) => {
  const stash = open(t.testdir());
  let calls = 0;
  const nothing = () => { calls++; return null; };
  const missing = (_x: number) => { calls++; return undefined; };
  t.equal(await stash.run(nothing), null);
  t.equal(await stash.run(nothing), null);
  t.equal(await stash.run(missing, 1), undefined);
  t.equal(await stash.run(missing, 1), undefined);
  t.equal(calls, 2);
});

t.test('concurrent calls with equal arguments compute once', async (t) => {
  const stash = open(t.testdir());
  let calls = 0;
  const slow = async (x: { a: number; b: number }) => { calls++; await new Promise((r) => setTimeout(r, 50)); return x.a + x.b; };
  const wrapped = stash.stashed(slow);
  const results = await Promise.all([wrapped({ a: 1, b: 2 }), wrapped({ b: 2, a: 1 }), wrapped({ a: 1, b: 2 })]);
  t.same(results, [3, 3, 3]);
  t.equal(calls, 1, 'structurally equal arguments are one entry, and in flight they share one computation');
});

t.test('the function sub-stash: [args, result] pairs, getFunc, and identity by source', async (t) => {
  const stash = open(t.testdir());
  const add = stash.stashed((a: number, b: number) => a + b);
  await add(1, 2);
  await add(3, 4);
  const pairs = [];
  for await (const pair of add.stash) pairs.push(pair);
  t.same(pairs.sort((x, y) => x[1] - y[1]), [[[1, 2], 3], [[3, 4], 7]]);
  t.equal(await add.stash.getFunc(3, 4), 7);
  t.equal(await add.stash.getFunc(9, 9), undefined);
  const edited = stash.stashed((a: number, b: number) => a + b + 0);
  t.not(edited.stash.path, add.stash.path, 'editing the body starts a fresh sub-stash');
  t.ok(add.stash.path.startsWith(stash.path.slice(0, stash.path.lastIndexOf('/'))), 'the sub-stash lives under its parent');
});

t.test('force recomputes; name and version fix the identity', async (t) => {
  const stash = open(t.testdir());
  let calls = 0;
  const f = (x: number) => { calls++; return x + calls; };
  const forced = stash.stashed(f, { force: true });
  await forced(1);
  await forced(1);
  t.equal(calls, 2);
  const v1 = stash.stashed((x: number) => x, { name: 'ident', version: 1 });
  const v1again = stash.stashed((x: number) => x * 1, { name: 'ident', version: 1 });
  const v2 = stash.stashed((x: number) => x, { name: 'ident', version: 2 });
  t.equal(v1.stash.path, v1again.stash.path);
  t.not(v1.stash.path, v2.stash.path);
  t.throws(() => stash.stashed(f, { forse: true } as never), ConfigError);
});

t.test('standalone stashed opens its stash from options', async (t) => {
  const root = t.testdir();
  let calls = 0;
  const cube = stashed((x: number) => { calls++; return x ** 3; }, { root, engine: 'pairtree' });
  t.equal(await cube(3), 27);
  t.equal(await cube(3), 27);
  t.equal(calls, 1);
  t.ok(cube.stash.path.startsWith(root));
});
