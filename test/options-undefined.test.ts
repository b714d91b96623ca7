// Every public options type allows `undefined` in each field (consumers with exactOptionalPropertyTypes may write
// `{ url: process.env.REDIS_URL }`), so an explicit undefined must mean what leaving the field out means.
import t from 'tap';
import {
  HashStash,
  type GetAllOptions,
  type HashStashOptions,
  type MapOptions,
  type MemoOptions,
  type PrintOptions,
  type RecordOptions,
  type WriteOptions,
} from '../src/index.js';

// Every field required: adding an option without listing it here does not compile.
type AllUndefined<T> = Record<keyof T, undefined>;

const stashOptions: AllUndefined<HashStashOptions> = {
  root: undefined,
  name: undefined,
  engine: undefined,
  serializer: undefined,
  compress: undefined,
  b64: undefined,
  keyEncoding: undefined,
  appendMode: undefined,
  clear: undefined,
  readonly: undefined,
  follow: undefined,
  url: undefined,
  trustCode: undefined,
  maxBytes: undefined,
  evict: undefined,
  ttl: undefined,
  clock: undefined,
  memory: undefined,
  tiers: undefined,
  coherence: undefined,
};
const mapOptions: AllUndefined<MapOptions> = {
  numProc: undefined,
  backend: undefined,
  args: undefined,
  options: undefined,
  ordered: undefined,
  progress: undefined,
  desc: undefined,
  precompute: undefined,
  stashRuns: undefined,
  stashMap: undefined,
  force: undefined,
  signal: undefined,
  resourceLimits: undefined,
  ttl: undefined,
  queue: undefined,
};
const memoOptions: AllUndefined<MemoOptions> = {
  force: undefined,
  name: undefined,
  version: undefined,
  keyThis: undefined,
  ttl: undefined,
};
const recordOptions: AllUndefined<RecordOptions> = { withMetadata: undefined };
const getAllOptions: AllUndefined<GetAllOptions> = { withMetadata: undefined };
const writeOptions: AllUndefined<WriteOptions> = { ttl: undefined };
const printOptions: AllUndefined<PrintOptions> = { maxRows: undefined, maxColumns: undefined, maxWidth: undefined };

t.test('stash options given as undefined are the defaults', async (t) => {
  t.same(new HashStash(stashOptions).toJSON(), new HashStash({}).toJSON());
});

t.test('memo, map, record, getAll and print options given as undefined are the defaults', async (t) => {
  const root = t.testdir();
  const stash = new HashStash({ engine: 'memory', root, appendMode: true });
  t.teardown(() => stash.close());
  const double = async (n: number) => n * 2;
  const plain = stash.stashed(double);
  const withUndefined = stash.stashed(double, memoOptions);
  t.equal(withUndefined.stash.path, plain.stash.path, 'the same sub-stash');
  t.equal(await withUndefined(4), 8);

  const map = stash.map((n: number) => n + 1, [1, 2], mapOptions);
  t.same(await map.all(), [2, 3]);
  t.equal(map.desc, stash.map((n: number) => n + 1, [], {}).desc);

  await stash.set('k', { a: 1 });
  await stash.set('k', { a: 2 }, writeOptions);
  t.equal(await stash.expiresAt('k'), null, 'written with ttl undefined: it never expires');
  t.same(await stash.getAll('k', getAllOptions), [{ a: 1 }, { a: 2 }], 'values, not version records');
  t.same(await stash.records(recordOptions), await stash.records());
  const table = await stash.table(recordOptions);
  t.equal(table.toString(printOptions), table.toString());
});
