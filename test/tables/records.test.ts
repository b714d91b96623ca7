import t, { type Test } from 'tap';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  ConfigError,
  HashStash,
  Table,
  UnsupportedError,
  type FlatRecord,
  type HashStashOptions,
} from '../../src/index.js';
import { eachEngine, engineOptions, type EngineCase } from './engines.js';

t.setTimeout(300_000);

function open(t: Test, options: HashStashOptions): HashStash {
  const stash = new HashStash(options);
  t.teardown(() => stash.close());
  return stash;
}

const byKey = (records: FlatRecord[]) =>
  [...records].sort((a, b) => JSON.stringify(a._key).localeCompare(JSON.stringify(b._key)));

/** An append-mode stash of this engine, or undefined (with a skip saying why) when the engine keeps no versions. */
function openAppend(t: Test, engine: EngineCase): HashStash | undefined {
  try {
    return open(t, { ...engineOptions(t, engine), appendMode: true });
  } catch (error) {
    if (!(error instanceof UnsupportedError)) throw error;
    t.pass('append mode', { skip: error.message });
    return undefined;
  }
}

eachEngine(t, 'records flatten deep and sparse values, keys and non-object values', async (t, engine) => {
  const stash = open(t, engineOptions(t, engine));
  await stash.set('deep', { name: 'Ann', etc: { goes_to: { heaven: true } }, tags: ['x', 'y'] });
  await stash.set('sparse', { name: 'Bob', extra: { only: 'here' } });
  await stash.set('scalar', 42);
  await stash.set({ id: 7, kind: 'object key' }, { name: 'Cy' });
  const records = await stash.records();
  t.equal(records.length, 4);
  t.strictSame(
    byKey(records),
    byKey([
      { _key: 'deep', name: 'Ann', 'etc.goes_to.heaven': true, tags: ['x', 'y'] },
      { _key: 'sparse', name: 'Bob', 'extra.only': 'here' },
      { _key: 'scalar', _value: 42 },
      { _key: { id: 7, kind: 'object key' }, '_key.id': 7, '_key.kind': 'object key', name: 'Cy' },
    ]),
  );
  t.strictSame(
    await collectAll(stash.iterRecords()),
    records,
    'iterRecords streams the same records in the same order',
  );
});

eachEngine(t, 'a table holds the union of columns, including those that only later records have', async (t, engine) => {
  const stash = open(t, engineOptions(t, engine));
  const entries: [string, Record<string, unknown>][] = Array.from({ length: 30 }, (_, i) => [
    `k${String(i).padStart(2, '0')}`,
    { i, ...(i % 10 === 9 ? { rare: { field: i } } : {}) },
  ]);
  await stash.update(entries);
  const table = await stash.table();
  t.ok(table instanceof Table);
  t.equal(table.numRows, 30);
  t.same([...table.columns].sort(), ['_key', 'i', 'rare.field'].sort());
  const keys = table.column('_key');
  const rare = table.column('rare.field');
  for (let row = 0; row < table.numRows; row++) {
    const i = Number(String(keys[row]).slice(1));
    t.equal(table.column('i')[row], i);
    t.equal(rare[row], i % 10 === 9 ? i : undefined, `row of ${String(keys[row])}`);
  }
  t.match(String(table), /\[30 rows × 3 columns\]$/);
  const csv = table.toCSV().split('\r\n');
  t.equal(csv.length, 32, 'header, 30 rows and the final line end');
});

eachEngine(t, 'an empty stash gives no records and an empty table', async (t, engine) => {
  const stash = open(t, engineOptions(t, engine));
  t.same(await stash.records(), []);
  t.equal((await stash.table()).numRows, 0);
});

eachEngine(t, 'append mode: a record per version, with _version and _timestamp when asked', async (t, engine) => {
  const stash = openAppend(t, engine);
  if (!stash) return;
  const before = Date.now();
  await stash.set('a', { n: 1 });
  await stash.set('a', { n: 2, later: true });
  await stash.set('b', 'only');
  const plain = byKey(await stash.records());
  t.strictSame(
    plain,
    [
      { _key: 'a', n: 1 },
      { _key: 'a', n: 2, later: true },
      { _key: 'b', _value: 'only' },
    ],
    'oldest version first',
  );
  const withMetadata = await stash.records({ withMetadata: true });
  const a = withMetadata.filter((record) => record._key === 'a');
  t.same(
    a.map((record) => [record._version, record.n]),
    [
      [1, 1],
      [2, 2],
    ],
    'oldest first, versions from 1',
  );
  for (const record of withMetadata) {
    t.same(Object.keys(record).slice(0, 3), ['_key', '_version', '_timestamp']);
    t.ok(
      typeof record._timestamp === 'number' &&
        record._timestamp >= before - 1000 &&
        record._timestamp <= Date.now() + 1000,
      'a timestamp in ms',
    );
  }
  const table = await stash.table({ withMetadata: true });
  t.equal(table.numRows, 3);
  t.same(table.columns.slice(0, 3), ['_key', '_version', '_timestamp']);
});

t.test('iterRecords holds a bounded amount whatever the size of the stash', async (t) => {
  const gc =
    (globalThis as { gc?: () => void }).gc ?? (setFlagsFromString('--expose-gc'), runInNewContext('gc') as () => void);
  const live = () => {
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.arrayBuffers;
  };
  const stash = open(t, { root: t.testdir(), engine: 'lmdb', compress: false });
  const count = 30_000;
  const filler = 'x'.repeat(1000);
  await stash.update(
    (function* () {
      for (let i = 0; i < count; i++)
        yield [`k${i}`, { i, text: `${i}${filler}`, nested: { even: i % 2 === 0 } }] as const;
    })(),
  );
  gc();
  const baseline = live();
  let peak = baseline;
  let seen = 0;
  for await (const record of stash.iterRecords()) {
    // Collected first, so what is measured is what the iteration still holds, not garbage awaiting collection.
    if (++seen % 3000 === 0) {
      gc();
      peak = Math.max(peak, live());
    }
    if (record['nested.even'] !== ((record.i as number) % 2 === 0)) t.fail(`record ${seen} is flattened wrongly`);
  }
  t.equal(seen, count);
  // Holding every record would take over 30 MB (30,000 values of 1 KB); streaming holds a batch at a time.
  t.ok(
    peak - baseline < 10 * 2 ** 20,
    `live heap + buffers grew ${((peak - baseline) / 2 ** 20).toFixed(1)} MB while streaming ~30 MB`,
  );
});

t.test('record options are checked', async (t) => {
  const stash = open(t, { root: t.testdir(), engine: 'memory' });
  await t.rejects(stash.records({ withMetadata: 'yes' } as never), ConfigError);
  await t.rejects(stash.records({ metadata: true } as never), /unknown record option 'metadata'/);
});

async function collectAll<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
