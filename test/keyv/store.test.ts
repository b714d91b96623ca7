/**
 * KeyvHashStash beyond keyv's own suite: keyv's ttl is the engine's expiry (purged by the engine), namespaces are
 * sub-stashes, createKeyv keeps values JSON cannot carry and wires iterator(), the memory engine's entries are shared
 * with worker threads, bad options are ConfigErrors, and cacheable and cache-manager use it as their second layer.
 */
import t from 'tap';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Keyv } from 'keyv';
import { Cacheable } from 'cacheable';
import { createCache } from 'cache-manager';
import { ConfigError, HashStash } from '../../src/index.js';
import { createKeyv, KeyvHashStash } from '../../src/keyv/index.js';
import { DATABASE_FILE } from '../../src/engines/sqlite/store.js';

t.test(
  "keyv's ttl is the engine's expiry: the entry carries it, and purgeExpired removes it from storage",
  async (t) => {
    let now = 1_900_000_000_000;
    const stash = new HashStash({ root: t.testdir(), engine: 'lmdb', clock: () => now });
    const store = new KeyvHashStash({ stash });
    t.teardown(async () => {
      await store.disconnect();
      await stash.close();
    });
    const keyv = new Keyv({ store, namespace: 'ns' });
    await keyv.set('short', 'lived', 1_000);
    await keyv.set('forever', 'here');
    const sub = stash.sub('ns');
    t.equal(await sub.expiresAt('ns:short'), now + 1_000, "the stored entry expires with keyv's ttl");
    t.equal(await sub.expiresAt('ns:forever'), null, 'no ttl: never expires');
    now += 1_000;
    t.equal(await sub.get('ns:short'), undefined, 'expired for every reader, keyv or not');
    t.equal(await store.purgeExpired(), 1, 'purged by the engine');
    t.equal(await sub.size(), 1);
    t.equal(await keyv.get('forever'), 'here');
  },
);

t.test(
  'setMany groups entries by ttl, each group expiring with its own; hasMany and deleteMany answer per key',
  async (t) => {
    const now = 1_900_000_000_000;
    const stash = new HashStash({ root: t.testdir(), engine: 'lmdb', clock: () => now });
    const store = new KeyvHashStash({ stash });
    t.teardown(async () => {
      await store.disconnect();
      await stash.close();
    });
    await store.setMany([
      { key: 'a', value: 1, ttl: 1_000 },
      { key: 'b', value: 2 },
      { key: 'c', value: 3, ttl: 5_000 },
      { key: 'd', value: 4, ttl: 1_000 },
      { key: 'e', value: 5, ttl: 0 },
    ]);
    t.same(
      await Promise.all(['a', 'b', 'c', 'd', 'e'].map((key) => stash.expiresAt(key))),
      [now + 1_000, null, now + 5_000, now + 1_000, null],
      'each entry expires with its own ttl; none or 0 never',
    );
    t.same(await store.getMany(['a', 'b', 'zz', 'e']), [1, 2, undefined, 5]);
    t.same(await store.hasMany(['a', 'zz', 'c']), [true, false, true]);
    t.equal(await store.deleteMany(['a', 'zz']), true, 'true when something was deleted');
    t.equal(await store.deleteMany(['zz']), false, 'false when nothing was');
    t.same(await store.hasMany(['a', 'b']), [false, true]);
  },
);

t.test('purgeInterval removes expired entries from storage in the background, and disconnect stops it', async (t) => {
  const store = new KeyvHashStash({ root: t.testdir(), engine: 'sqlite', purgeInterval: 20 });
  const keyv = new Keyv({ store });
  await keyv.set('a', 1, 30);
  await keyv.set('b', 2);
  // Rows in the table itself, expired or not: what only a purge removes.
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (
    file: string,
    options: { readonly: boolean },
  ) => { prepare(sql: string): { get(): unknown }; close(): void };
  const db = new Database(join(store.stash.path, DATABASE_FILE), { readonly: true });
  const rows = () => (db.prepare('SELECT count(*) AS n FROM entries').get() as { n: number }).n;
  t.equal(rows(), 2);
  const deadline = Date.now() + 10_000;
  while (rows() > 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(rows(), 1, 'the expired row is gone from the table');
  db.close();
  await store.disconnect();
});

t.test('a namespace is a sub-stash: clear() clears only its own', async (t) => {
  const root = t.testdir();
  const store = new KeyvHashStash({ root, engine: 'sqlite' });
  t.teardown(() => store.disconnect());
  const one = new Keyv({ store, namespace: 'one' });
  await one.set('k', 1);
  const otherStore = new KeyvHashStash({ root, engine: 'sqlite' });
  t.teardown(() => otherStore.disconnect());
  const two = new Keyv({ store: otherStore, namespace: 'two' });
  await two.set('k', 2);
  await one.clear();
  t.equal(await one.get('k'), undefined);
  t.equal(await two.get('k'), 2, 'the other namespace is untouched');
});

t.test('createKeyv stores what JSON cannot carry, and iterates', async (t) => {
  const keyv = createKeyv({ root: t.testdir(), engine: 'pairtree' }, { namespace: 'rich' });
  t.teardown(() => keyv.disconnect());
  const value = {
    when: new Date(0),
    tags: new Set(['a']),
    big: 10n ** 20n,
    bytes: new Uint8Array([1, 2]),
    map: new Map([[1, 'x']]),
  };
  await keyv.set('v', value);
  t.strictSame(await keyv.get('v'), value, 'Date, Set, BigInt, Uint8Array and Map come back as they were');
  await keyv.set('w', 2);
  const seen = new Map<string, unknown>();
  for await (const [key, v] of keyv.iterator!(undefined)) seen.set(key as string, v);
  t.strictSame([...seen.keys()].sort(), ['v', 'w'], 'keys come back without the namespace prefix');
});

t.test('the memory engine: entries a worker thread set are read by this thread', async (t) => {
  const root = t.testdir();
  const keyv = createKeyv({ root, engine: 'memory', name: 'shared' });
  t.teardown(() => keyv.disconnect());
  await keyv.get('open');
  const module = new URL('../../src/keyv/index.js', import.meta.url).href;
  const worker = new Worker(
    `
    const { workerData, parentPort } = require('node:worker_threads');
    import(workerData.module).then(async ({ createKeyv }) => {
      const keyv = createKeyv({ root: workerData.root, engine: 'memory', name: 'shared' });
      await keyv.set('from-worker', { n: 42 });
      parentPort.postMessage(await keyv.get('from-main'));
      await keyv.disconnect();
    });`,
    { eval: true, workerData: { module, root } },
  );
  await keyv.set('from-main', 'hello');
  const seen = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  t.equal(seen, 'hello', 'the worker read what this thread set');
  t.strictSame(await keyv.get('from-worker'), { n: 42 }, 'this thread reads what the worker set');
});

t.test('bad options are ConfigErrors naming them', async (t) => {
  t.throws(() => new KeyvHashStash({ purgeInterval: -1 }), ConfigError);
  t.throws(() => new KeyvHashStash({ purgeInterval: Number.NaN }), /purgeInterval/);
  t.throws(() => new KeyvHashStash({ stash: {} as HashStash }), /'stash' must be a HashStash/);
  const stash = new HashStash({ root: t.testdir(), engine: 'memory' });
  t.teardown(() => stash.close());
  t.throws(() => new KeyvHashStash({ stash, engine: 'lmdb' }), /either 'stash' or the options/);
  t.throws(() => new KeyvHashStash(null as never), ConfigError);
});

t.test('cacheable keeps its second layer in hashstash', async (t) => {
  const store = new KeyvHashStash({ root: t.testdir(), engine: 'lmdb' });
  const secondary = new Keyv({ store });
  const cache = new Cacheable({ secondary });
  t.teardown(() => store.disconnect());
  await cache.set('user:1', { name: 'Ada' }, '1h');
  t.ok(typeof (await store.stash.expiresAt('keyv:user:1')) === 'number', 'written through to hashstash, with its ttl');
  const fresh = new Cacheable({ secondary: new Keyv({ store }) });
  t.strictSame(await fresh.get('user:1'), { name: 'Ada' }, 'a cache with an empty first layer reads it from hashstash');
});

t.test('cache-manager uses it as a store', async (t) => {
  const store = new KeyvHashStash({ root: t.testdir(), engine: 'sqlite' });
  t.teardown(() => store.disconnect());
  const cache = createCache({ stores: [new Keyv({ store })] });
  await cache.set('k', { v: 1 }, 60_000);
  t.strictSame(await cache.get('k'), { v: 1 });
  t.ok(typeof (await store.stash.expiresAt('keyv:k')) === 'number', 'the ttl reached the engine');
  t.strictSame(await cache.wrap('computed', async () => 'once'), 'once');
  t.equal(await cache.get('computed'), 'once');
  await cache.del('k');
  t.equal(await store.stash.has('keyv:k'), false);
});
