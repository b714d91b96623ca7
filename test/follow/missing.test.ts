/**
 * A follower opened before its stash exists reads it as empty, and what a writer stores once it has created it, each
 * commit as it lands, synchronous reads too. (An lmdb file the writer has created but not yet initialized: see
 * test/engines/lmdb-readonly-empty-file.test.ts.)
 */
import t from 'tap';
import { HashStash } from '../../src/index.js';

for (const engine of ['lmdb', 'sqlite'] as const) {
  t.test(`${engine}: a follower of a stash not created yet reads it as empty, then sees it`, async (t) => {
    const root = t.testdir();
    await using follower = new HashStash({ root, engine, readonly: true, follow: true });
    t.equal(await follower.get('k'), undefined);
    t.equal(await follower.size(), 0);
    t.same(await follower.getMany(['k', 'l']), [undefined, undefined]);
    t.equal(follower.sync.get('k'), undefined);
    await using writer = new HashStash({ root, engine });
    await writer.setMany([
      ['k', 1],
      ['l', 2],
    ]);
    t.same(await follower.getMany(['k', 'l']), [1, 2]);
    t.equal(follower.sync.get('k'), 1);
    await writer.set('k', 3);
    t.equal(follower.sync.get('k'), 3, 'a synchronous read sees the next commit too');
  });
}
