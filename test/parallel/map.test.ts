import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { HashStash, stashMapped, type MapProgress } from '../../src/index.js';
import { calls, WORK } from '../fixtures/parallel/helpers.js';
import { Point } from '../fixtures/parallel/work.js';

const open = (root: string, engine: 'lmdb' | 'memory' | 'pairtree' = 'lmdb') => new HashStash({ root, engine });
const loggedSquare = { module: WORK, export: 'loggedSquare' };

t.test('a map computes every item, then a second identical map runs no function at all', async (t) => {
  const dir = t.testdir();
  const stash = open(dir);
  const log = join(dir, 'calls.log');
  t.strictSame(await stash.map(loggedSquare, [1, 2, 3, 4], { numProc: 2, args: [log] }).all(), [1, 4, 9, 16]);
  t.strictSame(calls(log).sort(), [1, 2, 3, 4]);

  let workersStarted = 0;
  const countWorker = () => {
    workersStarted++;
  };
  process.on('worker', countWorker);
  const again = stash.map(loggedSquare, [1, 2, 3, 4], { numProc: 2, args: [log] });
  t.strictSame(await again.all(), [1, 4, 9, 16]);
  process.off('worker', countWorker);
  t.strictSame(calls(log).sort(), [1, 2, 3, 4], 'no call was made');
  t.equal(workersStarted, 0, 'no worker thread was started');
  t.match(again.progress, { total: 4, done: 0, cached: 4, failed: 0, pending: 0 });

  const more = stash.map(loggedSquare, [1, 2, 3, 4, 5, 6], { numProc: 2, args: [log] });
  t.strictSame(await more.all(), [1, 4, 9, 16, 25, 36]);
  t.strictSame(calls(log).sort(), [1, 2, 3, 4, 5, 6], 'only the two new items were computed');
  t.match(more.progress, { done: 2, cached: 4 });
  await stash.close();
});

t.test('the shared args are part of every key', async (t) => {
  const stash = open(t.testdir());
  const power = (x: number, n: number) => x ** n;
  t.strictSame(await stash.map(power, [2, 3], { numProc: 1, args: [2] }).all(), [4, 9]);
  t.strictSame(await stash.map(power, [2, 3], { numProc: 1, args: [3] }).all(), [8, 27]);
  await stash.close();
});

t.test('per-item options are passed last and keyed', async (t) => {
  const stash = open(t.testdir());
  const power = (x: number, opts: { n: number }) => x ** opts.n;
  const results = stash.map(power, [2, 3, 4], { numProc: 1, options: [{ n: 2 }, { n: 3 }, { n: 2 }] });
  t.strictSame(await results.all(), [4, 27, 16]);
  const entries = [];
  for await (const entry of results.entries()) entries.push(entry);
  t.strictSame(entries, [
    [[2, { n: 2 }], 4],
    [[3, { n: 3 }], 27],
    [[4, { n: 2 }], 16],
  ]);
  await stash.close();
});

t.test('results are stored like stash.run: a later run hits, and a map finds what run stored', async (t) => {
  const dir = t.testdir();
  const stash = open(dir);
  const cube = (x: number) => x * x * x;
  await stash.map(cube, [1, 2, 3], { numProc: 1 }).all();
  const memo = stash.stashed(cube);
  t.equal(await memo.stash.size(), 3);
  t.equal(await memo.stash.getFunc(2), 8);

  const log = join(dir, 'calls.log');
  const { loggedSquare: square } = (await import(WORK.href)) as typeof import('../fixtures/parallel/work.js');
  await stash.map(loggedSquare, [8], { numProc: 1, args: [log] }).all();
  t.equal(await stash.run(square, 8, log), 64);
  t.strictSame(calls(log), [8], 'stash.run read what the map stored');

  t.equal(await stash.run(square, 7, log), 49);
  const map = stash.map(loggedSquare, [7], { numProc: 1, args: [log] });
  t.strictSame(await map.all(), [49]);
  t.strictSame(calls(log), [8, 7], 'the map read what stash.run stored');
  t.equal(map.progress.cached, 1);
  await stash.close();
});

t.test('iteration ends once every result is stored', async (t) => {
  const dir = t.testdir();
  const stash = open(dir);
  const log = join(dir, 'calls.log');
  const seen: unknown[] = [];
  for await (const value of stash.map(loggedSquare, [1, 2, 3, 4, 5], { numProc: 2, args: [log] })) seen.push(value);
  t.strictSame(seen, [1, 4, 9, 16, 25]);
  const { loggedSquare: square } = (await import(WORK.href)) as typeof import('../fixtures/parallel/work.js');
  t.equal(await stash.stashed(square).stash.size(), 5, 'every result is stored when the loop ends');
  await stash.close();
});

t.test('ordered iteration follows the input; unordered follows completion', async (t) => {
  const stash = open(t.testdir());
  // The first item finishes only after the other two (a file each), whenever the second thread starts.
  const finishAfter = { module: WORK, export: 'finishAfter' };
  const items = [
    { name: 'last', after: ['first', 'second'] },
    { name: 'first', after: [] },
    { name: 'second', after: ['first'] },
  ];
  const ordered = [];
  const once = { numProc: 2, args: [mkdtempSync(join(tmpdir(), 'hashstash-order-'))] };
  for await (const value of stash.map(finishAfter, items, once)) ordered.push(value);
  t.strictSame(ordered, ['last', 'first', 'second']);
  const unordered = [];
  const again = { numProc: 2, ordered: false, force: true, args: [mkdtempSync(join(tmpdir(), 'hashstash-order-'))] };
  for await (const value of stash.map(finishAfter, items, again)) unordered.push(value);
  t.strictSame(unordered, ['first', 'second', 'last']);
  await stash.close();
});

t.test('values the serializer carries survive the thread boundary: Maps, Dates, registered classes', async (t) => {
  const stash = open(t.testdir());
  const [map] = await stash.map((x: number) => new Map([[x, new Date(x)]]), [5], { numProc: 1 }).all();
  t.ok(map instanceof Map);
  t.ok(map.get(5) instanceof Date);
  t.equal(map.get(5)!.getTime(), 5);
  const [p] = await stash.map({ module: WORK, export: 'point' }, [3], { numProc: 1 }).all();
  t.ok(p instanceof Point, 'the class registered by the module comes back as itself');
  t.equal((p as Point).norm(), 5);
  await stash.close();
});

t.test('force recomputes and overwrites; stashRuns: false stores nothing per item', async (t) => {
  const dir = t.testdir();
  const stash = open(dir);
  const log = join(dir, 'calls.log');
  await stash.map(loggedSquare, [1, 2], { numProc: 1, args: [log] }).all();
  await stash.map(loggedSquare, [1, 2], { numProc: 1, args: [log], force: true }).all();
  t.equal(calls(log).length, 4);

  const other = join(dir, 'other.log');
  await stash.map(loggedSquare, [1, 2], { numProc: 1, args: [other], stashRuns: false }).all();
  await stash.map(loggedSquare, [1, 2], { numProc: 1, args: [other], stashRuns: false }).all();
  t.equal(calls(other).length, 4, 'nothing was stored to read back');
  await stash.close();
});

t.test('stashMap stores the whole list under the map key, and reads it back without item lookups', async (t) => {
  const dir = t.testdir();
  const stash = open(dir);
  const log = join(dir, 'calls.log');
  const options = { numProc: 1, args: [log], stashRuns: false, stashMap: true };
  t.strictSame(await stash.map(loggedSquare, [3, 4], options).all(), [9, 16]);
  t.equal(await stash.size(), 1, 'one entry in the parent stash: the map');
  const again = stash.map(loggedSquare, [3, 4], options);
  t.strictSame(await again.all(), [9, 16]);
  t.equal(calls(log).length, 2);
  t.equal(again.progress.cached, 2);
  await stash.close();
});

t.test('precompute: false waits for the first read', async (t) => {
  const dir = t.testdir();
  const stash = open(dir);
  const log = join(dir, 'calls.log');
  const lazy = stash.map(loggedSquare, [1, 2], { numProc: 1, args: [log], precompute: false });
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.strictSame(calls(log), [], 'nothing ran before the results were asked for');
  t.strictSame(await lazy.all(), [1, 4]);
  await stash.close();
});

t.test('equal items are computed once; empty maps are empty', async (t) => {
  const dir = t.testdir();
  const stash = open(dir);
  const log = join(dir, 'calls.log');
  t.strictSame(await stash.map(loggedSquare, [2, 2, 3, 2], { numProc: 2, args: [log] }).all(), [4, 4, 9, 4]);
  t.strictSame(calls(log).sort(), [2, 3]);
  const many = [...Array.from({ length: 1100 }, (_, i) => i % 1050), 0];
  const results = stash.map((x: number) => -x, many, { numProc: 2 });
  t.strictSame(
    await results.all(),
    many.map((x) => -x),
    'equal items across lookup batches, finished or not',
  );
  t.match(results.progress, { done: 1050, cached: 51 });
  t.strictSame(await stash.map((x: number) => x, []).all(), []);
  t.strictSame(await stash.map((x: number) => x * 2, new Set([1, 2])).all(), [2, 4], 'any iterable of items');
  await stash.close();
});

t.test('any engine works, since the parent writes: the memory engine', async (t) => {
  const stash = open(t.testdir(), 'memory');
  const twice = (x: number) => 2 * x;
  t.strictSame(await stash.map(twice, [1, 2, 3], { numProc: 2 }).all(), [2, 4, 6]);
  const again = stash.map(twice, [1, 2, 3], { numProc: 2 });
  await again.all();
  t.equal(again.progress.cached, 3);
  await stash.close();
});

t.test('a readonly stash is read, never written', async (t) => {
  const dir = t.testdir();
  const twice = (x: number) => 2 * x;
  const writer = open(dir, 'pairtree');
  await writer.map(twice, [1], { numProc: 1 }).all();
  const reader = new HashStash({ root: dir, engine: 'pairtree', readonly: true });
  const map = reader.map(twice, [1, 2], { numProc: 1 });
  t.strictSame(await map.all(), [2, 4]);
  t.match(map.progress, { cached: 1, done: 1 });
  t.equal(await writer.stashed(twice).stash.size(), 1);
});

t.test('progress events count done, cached and failed items', async (t) => {
  const stash = open(t.testdir());
  const twice = (x: number) => 2 * x;
  await stash.map(twice, [1, 2], { numProc: 1 }).all();
  const seen: MapProgress[] = [];
  const map = stash.map(twice, [1, 2, 3, 4], { numProc: 1, precompute: false }).on('progress', (p) => seen.push(p));
  await map.all();
  t.ok(seen.length >= 2);
  t.match(seen.at(-1), { total: 4, done: 2, cached: 2, failed: 0, pending: 0 });
  t.ok(seen.at(-1)!.rate > 0);
  await stash.close();
});

t.test('stashMapped gives a function of the items on its own stash', async (t) => {
  const dir = t.testdir();
  const log = join(dir, 'calls.log');
  const mapped = stashMapped({ root: dir, engine: 'pairtree' }, { numProc: 1, args: [log] })(loggedSquare);
  t.strictSame(await mapped([5, 6]).all(), [25, 36]);
  t.strictSame(await mapped([5, 6, 7], { numProc: 2 }).all(), [25, 36, 49]);
  t.strictSame(calls(log).sort(), [5, 6, 7]);
  t.equal(mapped.stash.root, dir);
});

t.test('progress: true reports on stderr; without a terminal, a last line with the counts', async (t) => {
  const stash = open(t.testdir());
  const written: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = (chunk: string) => {
    written.push(String(chunk));
    return true;
  };
  try {
    await stash.map((x: number) => x + 1, [1, 2, 3], { numProc: 1, progress: true, desc: 'Adding one' }).all();
  } finally {
    process.stderr.write = write;
  }
  t.match(written.join(''), /^Adding one: 3\/3 \(done 3, cached 0, failed 0\) .*\n$/);
  await stash.close();
});
