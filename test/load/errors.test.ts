// A bad line: an error naming file and line, its batch not committed, the batches before it kept; or, with
// onError: 'skip', counted and passed over.
import t from 'tap';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { DecodeError, HashStash, LoadDecodeError } from '../../src/index.js';
import { writeLines } from './fixtures/inputs.js';

/** 10 lines `{"id":i}` with line `bad` (from 1) broken. */
function linesWithBadLine(bad: number): string[] {
  return Array.from({ length: 10 }, (_, i) =>
    i + 1 === bad ? '{"id": 99, oops' : JSON.stringify({ id: i + 1, v: i }),
  );
}

for (const workers of [0, 2]) {
  t.test(`workers: ${workers}`, async (t) => {
    t.test('a bad line fails the load; its batch is not committed, the earlier ones are', async (t) => {
      const root = t.testdir();
      const stash = new HashStash({ root, engine: 'lmdb' });
      t.teardown(() => stash.close());
      const good = writeLines(join(root, 'good.ndjson'), ['{"id":"g"}']);
      const file = writeLines(join(root, 'in.ndjson.gz'), linesWithBadLine(7));
      const error = await stash.load([good, file], { key: 'id', batchSize: 4, workers }).catch((e: unknown) => e);
      t.type(error, LoadDecodeError);
      t.type(error, DecodeError, 'a DecodeError');
      const failure = error as LoadDecodeError;
      t.equal(failure.file, file);
      t.equal(failure.line, 7);
      t.match(failure.message, `${file}:7: `);
      t.match(failure.loaded, { files: 1, records: 5, skipped: 0 }, 'the first file and lines 1-4 were committed');
      t.same(await stash.get(4), { v: 3 }, 'the batch before the bad line is kept');
      t.equal(await stash.get(5), undefined, "nothing of the bad line's batch (lines 5-8) is committed");
      t.equal(await stash.get(9), undefined, 'nothing after it');
      t.equal(await stash.size(), 5);
    });

    t.test("onError: 'skip' counts bad lines and loads the rest", async (t) => {
      const root = t.testdir();
      const stash = new HashStash({ root, engine: 'lmdb' });
      t.teardown(() => stash.close());
      const lines = linesWithBadLine(3);
      lines.push('{"no_id": 1}', '[1, 2]', '"just a string"');
      const file = writeLines(join(root, 'in.ndjson'), lines);
      const result = await stash.load(file, { key: 'id', onError: 'skip', batchSize: 4, workers });
      t.match(result, { records: 9, skipped: 4 }, 'the broken line and the three without an id');
      t.equal(await stash.size(), 9);
    });

    t.test(
      'a missing key field, a throwing value function and a field count that does not match are bad lines',
      async (t) => {
        const root = t.testdir();
        const stash = new HashStash({ root, engine: 'lmdb' });
        t.teardown(() => stash.close());
        const ndjson = writeLines(join(root, 'a.ndjson'), ['{"id":1}', '{"name":2}']);
        await t.rejects(stash.load(ndjson, { key: 'id', workers }), { line: 2, message: /no field "id"/ });
        const thrower = (rec: { id: number }) => {
          if (rec.id === 1) throw new Error('no ones here');
          return rec.id;
        };
        await t.rejects(stash.load(ndjson, { key: 'id', value: thrower, workers }), {
          line: 1,
          message: /no ones here/,
        });
        const csv = writeLines(join(root, 'a.csv'), ['a,b', '1,2', '3', '4,"5']);
        await t.rejects(stash.load(csv, { workers }), { line: 3, message: /1 fields where the header has 2 columns/ });
        const result = await stash.load(csv, { workers, onError: 'skip' });
        t.match(result, { records: 1, skipped: 2 }, 'an unterminated quote is a bad line too');
        const pairs = writeLines(join(root, 'p.jsonl'), ['["a", 1]', '["b", 2, 3]']);
        await t.rejects(stash.load(pairs, { format: 'jsonl-pairs', workers }), { line: 2, message: /\[key, value\]/ });
      },
    );
  });
}

t.test('a corrupt compressed file is a LoadDecodeError naming the file', async (t) => {
  const root = t.testdir();
  const stash = new HashStash({ root, engine: 'lmdb' });
  t.teardown(() => stash.close());
  const file = join(root, 'broken.ndjson.gz');
  writeFileSync(file, Buffer.from('this is not gzip at all'));
  const error = (await stash.load(file, { key: 'id', workers: 1 }).catch((e: unknown) => e)) as LoadDecodeError;
  t.type(error, LoadDecodeError);
  t.equal(error.file, file);
  t.equal(error.line, undefined);
  t.match(error.message, /cannot read the input/);
});

t.test('bytes that are not UTF-8 are a bad line', async (t) => {
  const root = t.testdir();
  const stash = new HashStash({ root, engine: 'lmdb' });
  t.teardown(() => stash.close());
  const file = join(root, 'latin1.ndjson');
  writeFileSync(file, Buffer.from([...Buffer.from('{"id":"caf'), 0xe9, ...Buffer.from('"}\n')]));
  await t.rejects(stash.load(file, { key: 'id', workers: 0 }), { line: 1, message: /UTF-8/ });
});
