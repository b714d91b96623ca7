import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HashStash, type EngineName } from '../src/index.js';

/**
 * A stash opened with `readonly: true` leaves its root as it found it, through every path that could write: the
 * dictionary, the sync view, sub-stashes, memos (`stashed`, `run`, `sync.stashed`), `map` (with `stashMap`) and
 * temporary stashes. The tree under the root is compared entry by entry: names, sizes, modification times, bytes.
 * (sqlite is left out: its -wal/-shm files on a read-only open are another change.)
 */

/** LMDB's reader table: every reader, readonly or not, registers in it when it opens, so only its presence is compared. */
const LMDB_LOCK = 'data.mdb-lock';

function snapshot(root: string): Map<string, string> {
  const seen = new Map<string, string>();
  const walk = (folder: string) => {
    let names: string[];
    try {
      names = readdirSync(folder);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(folder, name);
      const stat = statSync(path);
      if (stat.isDirectory()) {
        seen.set(path, `folder, modified ${stat.mtimeMs}`);
        walk(path);
      } else if (name === LMDB_LOCK) {
        seen.set(path, 'lmdb lock file');
      } else {
        const digest = createHash('sha256').update(readFileSync(path)).digest('hex');
        seen.set(path, `${stat.size} bytes, modified ${stat.mtimeMs}, sha256 ${digest}`);
      }
    }
  };
  walk(root);
  return seen;
}

const twice = (x: number) => 2 * x;
const thrice = (x: number) => 3 * x;

/** What a writer leaves: an entry, a sub-stash's entry, a memo's result and a map's results with its stored list. */
async function fill(root: string, engine: EngineName): Promise<void> {
  const writer = new HashStash({ root, engine });
  await writer.set('a', 1);
  await writer.sub('parts').set('p', 2);
  await writer.run(twice, 1);
  await writer.map(thrice, [1], { numProc: 1, progress: false, stashMap: true }).all();
  await writer.close();
}

async function useReadonly(t: Test, root: string, engine: EngineName, filled: boolean): Promise<void> {
  const stash = new HashStash({ root, engine, readonly: true });
  t.equal(await stash.get('a'), filled ? 1 : undefined);
  t.equal(await stash.has('a'), filled);
  await stash.size();
  await stash.getMany(['a', 'b']);
  for await (const entry of stash) t.ok(entry);
  await stash.records();
  await stash.getAll('a');
  await stash.stats();
  t.equal(stash.sync.get('a'), filled ? 1 : undefined);
  stash.sync.has('a');
  t.equal(await stash.sub('parts').get('p'), filled ? 2 : undefined);

  t.equal(await stash.run(twice, 1), 2, 'a memo that may hit');
  t.equal(await stash.stashed(twice)(5), 10, 'a memo that misses computes');
  t.equal(stash.sync.stashed(twice)(6), 12, 'a synchronous memo');
  const map = stash.map(thrice, [1, 2, 3], { numProc: 1, progress: false, stashMap: true });
  t.strictSame(await map.all(), [3, 6, 9], 'a map computes what is missing');
  t.strictSame(
    await stash.map(thrice, [1], { numProc: 1, progress: false, stashMap: true }).all(),
    [3],
    'a stored map list is read',
  );

  t.throws(() => stash.tmp(), { name: 'ReadOnlyError' });
  await t.rejects(
    stash.withTmp(async () => {}),
    { name: 'ReadOnlyError' },
  );
  await t.rejects(stash.set('b', 2), { name: 'ReadOnlyError' });
  await t.rejects(stash.delete('a'), { name: 'ReadOnlyError' });
  await t.rejects(stash.clear(), { name: 'ReadOnlyError' });
  await t.rejects(stash.update({ c: 3 }), { name: 'ReadOnlyError' });
  await stash.close();
}

for (const engine of ['lmdb', 'pairtree', 'memory'] as const) {
  for (const filled of [false, true]) {
    t.test(
      `${engine}: a readonly stash on ${filled ? 'a written root' : 'a root with nothing yet'} changes nothing under it`,
      async (t) => {
        const root = join(t.testdir(), 'root');
        if (filled) await fill(root, engine);
        const before = snapshot(root);
        await useReadonly(t, root, engine, filled);
        t.strictSame(snapshot(root), before);
        if (filled && engine !== 'memory') t.ok(before.size > 0, 'the writer wrote files to compare');
      },
    );
  }
}
