// A million gzipped NDJSON records load the same with one worker and with two: same size, same bytes stored.
import t from 'tap';
import { HashStash } from '../../src/index.js';
import { contentHash, record, writeNdjsonGz } from './fixtures/inputs.js';

const COUNT = 1_000_000;

t.test(`${COUNT.toLocaleString('en')} NDJSON.gz records, with 1 and with 2 workers`, async (t) => {
  t.setTimeout(600_000);
  const dir = t.testdir();
  const file = await writeNdjsonGz(dir, 'records.ndjson.gz', COUNT);
  const hashes: string[] = [];
  for (const workers of [1, 2]) {
    const stash = new HashStash({ root: dir, name: `w${workers}`, engine: 'lmdb' });
    t.teardown(() => stash.close());
    const result = await stash.load(file, { key: 'id', workers, progress: false });
    t.match(result, { files: 1, records: COUNT, skipped: 0 }, `${workers} worker(s): every record`);
    t.ok(result.bytes > 0 && result.ms > 0, 'bytes and time are reported');
    t.equal(await stash.size(), COUNT);
    for (const i of [0, 1, 4_242, 500_000, COUNT - 1]) {
      const { id, ...rest } = record(i);
      t.same(await stash.get(id), rest, `${workers} worker(s): ${id} is the record without its key`);
    }
    const { count, hash } = await contentHash(stash);
    t.equal(count, COUNT);
    hashes.push(hash);
  }
  t.equal(hashes[0], hashes[1], 'the stored bytes are the same with 1 and with 2 workers');
});
