// Aborting a load: it rejects with the signal's reason, and what it committed is whole batches.
import t from 'tap';
import { HashStash } from '../../src/index.js';
import { writeNdjsonGz } from './fixtures/inputs.js';

const COUNT = 50_000;
const BATCH = 1_000;

for (const workers of [0, 2]) {
  t.test(`workers: ${workers}: an abort after the first batch stops the load between batches`, async (t) => {
    const root = t.testdir();
    const stash = new HashStash({ root, engine: 'lmdb' });
    t.teardown(() => stash.close());
    const file = await writeNdjsonGz(root, 'in.ndjson.gz', COUNT);
    const controller = new AbortController();
    const reason = new Error('enough');
    let seen = 0;
    const error = await stash
      .load(file, {
        key: 'id',
        batchSize: BATCH,
        workers,
        signal: controller.signal,
        onProgress: (progress) => {
          seen = progress.records;
          if (progress.records >= 2 * BATCH) controller.abort(reason);
        },
      })
      .catch((e: unknown) => e);
    t.equal(error, reason, 'rejects with the reason itself');
    const size = await stash.size();
    t.equal(size, seen, 'what the last progress report said was committed');
    t.ok(size < COUNT, 'stopped before the end');
    t.equal(size % BATCH, 0, 'whole batches only');
  });
}

t.test('an aborted signal stops the load before it reads anything', async (t) => {
  const stash = new HashStash({ root: t.testdir(), engine: 'lmdb' });
  t.teardown(() => stash.close());
  const reason = new Error('not now');
  await t.rejects(stash.load('x.ndjson', { key: 'id', signal: AbortSignal.abort(reason) }), reason);
});
