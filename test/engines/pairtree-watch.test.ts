/**
 * The pairtree change log's edges: a watcher follows the log across rotations (it is renamed to `log.1` past 1 MiB)
 * without reporting a gap it did not have, and gets a change record larger than one read (a key of 400 KB) whole.
 */
import t from 'tap';
import { HashStash, type StashChange } from '../../src/index.js';

t.setTimeout(300_000);

async function readKeys(iterator: AsyncIterator<StashChange<string>>, count: number): Promise<StashChange<string>[]> {
  const seen: StashChange<string>[] = [];
  while (seen.length < count) {
    const next = await iterator.next();
    if (next.done) throw new Error(`the watch ended after ${seen.length} of ${count} changes`);
    seen.push(next.value);
  }
  return seen;
}

t.test('a watcher reads every change across log rotations, and reports no gap it did not have', async (t) => {
  await using stash = new HashStash<string, number>({ root: t.testdir(), engine: 'pairtree' });
  const controller = new AbortController();
  const iterator = stash.watch({ signal: controller.signal })[Symbol.asyncIterator]();
  // Batches of ~200 KB of change records, each read before the next is written: the watcher is never more than one
  // rotation behind, so every change must arrive, in order, with no 'missed'. 16 batches: ~3 MB, three rotations.
  const padding = 'k'.repeat(1_000);
  for (let batch = 0; batch < 16; batch++) {
    const keys = Array.from({ length: 200 }, (_, i) => `${padding}-${batch}-${i}`);
    for (const key of keys) await stash.set(key, batch);
    const seen = await readKeys(iterator, keys.length);
    t.same(
      seen.map((change) => (change.type === 'set' ? change.key : change.type)),
      keys,
      `batch ${batch}: every set, in order`,
      { diagnostic: false },
    );
    if (t.passing() === false) break;
  }
  controller.abort();
});

t.test('a change record larger than one read arrives whole', async (t) => {
  await using stash = new HashStash<string, number>({ root: t.testdir(), engine: 'pairtree' });
  const controller = new AbortController();
  const iterator = stash.watch({ signal: controller.signal })[Symbol.asyncIterator]();
  const huge = 'x'.repeat(400_000);
  await stash.set(huge, 1);
  await stash.set('after', 2);
  const [first, second] = await readKeys(iterator, 2);
  t.equal(first?.type, 'set');
  t.ok(first?.type === 'set' && first.key === huge, 'the 400 KB key, whole');
  t.same(second, { type: 'set', key: 'after' }, 'and the change after it');
  controller.abort();
});
