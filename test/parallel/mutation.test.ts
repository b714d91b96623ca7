import t from 'tap';
import { HashStash } from '../../src/index.js';

const open = (root: string) => new HashStash({ root, engine: 'lmdb' });
const tagged = (x: number) => ({ x, tags: ['computed'] });
const pristine = (items: number[]) => items.map((x) => ({ x, tags: ['computed'] }));

/** Reads the map, changing every result as soon as it arrives (well before a batch of results is written). */
async function readAndChange(
  results: AsyncIterable<{ x: number; tags: string[] }>,
): Promise<{ x: number; tags: string[] }[]> {
  const seen = [];
  for await (const value of results) {
    value.tags.push('changed by the reader');
    value.x = -1;
    seen.push(value);
  }
  return seen;
}

t.test('what a reader does to a result is not what the stash stores (stashRuns)', async (t) => {
  const stash = open(t.testdir());
  t.teardown(() => stash.close());
  const items = [1, 2, 1];
  const results = stash.map(tagged, items, { numProc: 1 });
  const seen = await readAndChange(results);
  t.not(seen[0], seen[2], 'equal items do not share one object');
  t.strictSame(
    seen[2],
    { x: -1, tags: ['computed', 'changed by the reader'] },
    'each item was changed once, its own copy',
  );
  await results.all();
  const again = stash.map(tagged, items, { numProc: 1 });
  t.strictSame(await again.all(), pristine(items), 'the stored results are the ones the function returned');
  t.equal(again.progress.cached, 3, 'all read back from the stash');
});

t.test('what a reader does to a result is not what the stash stores (stashMap)', async (t) => {
  const stash = open(t.testdir());
  t.teardown(() => stash.close());
  const items = [3, 4, 3];
  const options = { numProc: 1, stashRuns: false, stashMap: true };
  const results = stash.map(tagged, items, options);
  await readAndChange(results);
  await results.all();
  const again = stash.map(tagged, items, options);
  t.strictSame(await again.all(), pristine(items), 'the stored list holds the results as returned');
  t.equal(again.progress.cached, 3, 'read back as the stored list');
});

t.test('stashMap with results read from the stash stores them as read, whatever readers did', async (t) => {
  const stash = open(t.testdir());
  t.teardown(() => stash.close());
  await stash.map(tagged, [5, 6], { numProc: 1 }).all(); // stored per item
  const options = { numProc: 1, stashMap: true };
  const results = stash.map(tagged, [5, 6, 7], options);
  await readAndChange(results);
  await results.all();
  t.strictSame(await stash.map(tagged, [5, 6, 7], options).all(), pristine([5, 6, 7]));
});
