// Each line format, compression and key/value form loads what a user expects.
import t from 'tap';
import type { Test } from 'tap';
import { join } from 'node:path';
import { ConfigError, HashStash } from '../../src/index.js';
import { writeLines } from './fixtures/inputs.js';

function open(t: Test, name = 'formats'): HashStash {
  const stash = new HashStash({ root: t.testdir(), name, engine: 'lmdb' });
  t.teardown(() => stash.close());
  return stash;
}

for (const workers of [0, 1]) {
  t.test(`workers: ${workers}`, async (t) => {
    t.test('ndjson: key field, the rest of the record as value; .br and plain files', async (t) => {
      const stash = open(t);
      const dir = t.testdir();
      const lines = ['{"id":"a","x":1,"tags":["p"]}', '', '{"id":"b","x":2}\r', '{"id":3,"x":{"deep":true}}'];
      const plain = writeLines(join(dir, 'one.ndjson'), lines);
      const br = writeLines(join(dir, 'two.jsonl.br'), ['{"id":"c","x":4}']);
      const result = await stash.load([plain, br], { key: 'id', workers });
      t.match(result, { files: 2, records: 4, skipped: 0 });
      t.same(await stash.get('a'), { x: 1, tags: ['p'] });
      t.same(await stash.get('b'), { x: 2 }, 'a CRLF line ending is not part of the line');
      t.same(await stash.get(3), { x: { deep: true } }, 'a number key stays a number');
      t.same(await stash.get('c'), { x: 4 });
    });

    t.test('ndjson: value by field name and by function; a later line wins', async (t) => {
      const stash = open(t);
      const file = writeLines(join(t.testdir(), 'a.ndjson.gz'), [
        '{"id":"a","label":"first"}',
        '{"id":"b","label":"second"}',
        '{"id":"a","label":"third"}',
      ]);
      await stash.load(file, { key: 'id', value: 'label', workers });
      t.same(await stash.get('a'), 'third');
      await stash.clear();
      await stash.load(file, {
        key: (rec: { id: string }) => `k-${rec.id}`,
        value: (rec: { label: string }) => rec.label.length,
        workers,
      });
      t.same([await stash.get('k-a'), await stash.get('k-b')], [5, 6]);
      await stash.clear();
      await stash.load(file, {
        key: 'id',
        value: { module: new URL('./fixtures/label.js', import.meta.url), export: 'upperLabel' },
        workers,
      });
      t.same(await stash.get('b'), 'SECOND', 'a function in a module');
    });

    t.test('tsv: a header names the columns; without one, records are arrays', async (t) => {
      const stash = open(t);
      const dir = t.testdir();
      const withHeader = writeLines(join(dir, 'h.tsv'), ['\uFEFFname\tcolor\tsize', 'apple\tred\t3', 'kiwi\tgreen\t1']);
      await stash.load(withHeader, { workers });
      t.same(await stash.get('apple'), { color: 'red', size: '3' }, 'key: the first column by default');
      const bare = writeLines(join(dir, 'bare.tab.gz'), ['P31\tinstance of', 'P279\tsubclass of\textra']);
      await stash.load(bare, { header: false, value: 1, workers });
      t.same(await stash.get('P31'), 'instance of');
      await stash.load(bare, { header: false, workers });
      t.same(await stash.get('P279'), ['subclass of', 'extra'], 'default value: the fields without the key');
    });

    t.test('csv: quoted fields with commas, quotes and empty fields', async (t) => {
      const stash = open(t);
      const file = writeLines(join(t.testdir(), 'q.csv'), [
        'id,text,note',
        '1,"a, b","say ""hi"""',
        '2,,"plain"',
        '"3","",x',
      ]);
      const result = await stash.load(file, { key: 'id', workers });
      t.equal(result.records, 3);
      t.same(await stash.get('1'), { text: 'a, b', note: 'say "hi"' });
      t.same(await stash.get('2'), { text: '', note: 'plain' });
      t.same(await stash.get('3'), { text: '', note: 'x' });
    });

    t.test('jsonl-pairs: any JSON key, any JSON value', async (t) => {
      const stash = open(t);
      const file = writeLines(join(t.testdir(), 'pairs.txt'), ['["a", 1]', '[["x", 2], {"v": [1, 2]}]', '[7, null]']);
      const result = await stash.load(file, { format: 'jsonl-pairs', workers });
      t.equal(result.records, 3);
      t.same(await stash.get('a'), 1);
      t.same(await stash.get(['x', 2]), { v: [1, 2] }, 'an array key is the canonical key of that array');
      t.equal(await stash.get(7), null);
    });
  });
}

t.test('the format comes from the extension; zstd and unknown ones are ConfigErrors', async (t) => {
  const stash = open(t);
  const dir = t.testdir();
  await t.rejects(stash.load(join(dir, 'a.ndjson.zst'), { key: 'id' }), ConfigError);
  await t.rejects(stash.load(join(dir, 'a.ndjson.zst'), { key: 'id', format: 'ndjson' }), /zstd/);
  await t.rejects(stash.load(join(dir, 'a.dat'), { key: 'id' }), /cannot tell the format of/);
  await t.rejects(stash.load(join(dir, 'missing.ndjson'), { key: 'id' }), /cannot read .*missing\.ndjson/);
  await t.rejects(stash.load(join(dir, 'a.ndjson')), /'key' is needed for ndjson/);
  await t.rejects(stash.load([], {}), ConfigError);
  await t.rejects(stash.load('a.csv', { workers: -1 }), /option 'workers'/);
  await t.rejects(stash.load('a.csv', { batchSize: 0 }), /option 'batchSize'/);
  await t.rejects(stash.load('a.csv', { onError: 'ignore' as 'skip' }), /onError/);
  await t.rejects(stash.load('a.csv', { format: 'xml' as 'csv' }), /unknown format/);
  await t.rejects(stash.load('a.csv', { nope: 1 } as object), /unknown stash.load option 'nope'/);
  await t.rejects(stash.load('a.csv', { key: true as unknown as string }), /option 'key'/);
  await t.rejects(stash.load('a.csv', { signal: 'x' as unknown as AbortSignal }), /option 'signal'/);
});

t.test('a key function that reads outside itself is refused before anything is read', async (t) => {
  const stash = open(t);
  const prefix = 'p-';
  await t.rejects(stash.load('a.ndjson', { key: (rec: { id: string }) => prefix + rec.id }), { name: 'ClosureError' });
});

t.test('a readonly stash, or one in append mode, is not loaded', async (t) => {
  const root = t.testdir();
  const readonly = new HashStash({ root, engine: 'lmdb', readonly: true });
  const versions = new HashStash({ root, name: 'v', engine: 'lmdb', appendMode: true });
  t.teardown(() => Promise.all([readonly.close(), versions.close()]));
  const file = writeLines(join(root, 'a.ndjson'), ['{"id":1}']);
  await t.rejects(readonly.load(file, { key: 'id' }), { name: 'ReadOnlyError' });
  await t.rejects(versions.load(file, { key: 'id' }), { name: 'UnsupportedError' });
});

t.test('a stash with a ttl stamps every loaded entry with its expiry', async (t) => {
  let now = 1_000_000;
  const stash = new HashStash({ root: t.testdir(), engine: 'lmdb', ttl: 60_000, clock: () => now });
  t.teardown(() => stash.close());
  const file = writeLines(join(t.testdir(), 'a.ndjson'), ['{"id":"a","v":1}']);
  await stash.load(file, { key: 'id', workers: 1 });
  t.equal(await stash.expiresAt('a'), 1_060_000);
  now += 60_000;
  t.equal(await stash.get('a'), undefined, 'expired by the stash clock');
});

t.test("keys are stored in the stash's key encoding, values in its serializer, whoever encodes them", async (t) => {
  const dir = t.testdir();
  const file = writeLines(join(dir, 'k.ndjson'), ['{"id":"b","x":2}', '{"id":"a","x":1}']);
  const utf8 = new HashStash({ root: join(dir, 'utf8'), keyEncoding: 'utf8' });
  t.teardown(() => utf8.close());
  await utf8.load(file, { key: 'id', workers: 1 });
  const raw: string[] = [];
  for await (const key of utf8.rawKeys()) raw.push(Buffer.from(key).toString('utf8'));
  t.same(raw, ['a', 'b'], 'plain UTF-8 keys, as the stash stores them');
  const own = new HashStash({
    root: join(dir, 'own'),
    serializer: {
      name: 'json-text',
      serialize: (value) => Buffer.from(JSON.stringify(value)),
      deserialize: (bytes) => JSON.parse(Buffer.from(bytes).toString()) as unknown,
    },
  });
  t.teardown(() => own.close());
  await own.load(file, { key: 'id', workers: 2 });
  t.same(await own.get('a'), { x: 1 }, "encoded in this thread: the workers do not have the stash's serializer");
});
