import t from 'tap';
import { stashConformance } from 'hashstash/test-suite';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineUnavailableError, HashStash, ReadOnlyError } from '../../src/index.js';
import { appendSuite } from '../helpers/append-suite.js';

stashConformance({ test: t.test.bind(t), engine: 'lmdb', persistent: true, sync: true, onDisk: true });
appendSuite(t, { engine: 'lmdb', persistent: true, sync: true });

const open = (root: string, extra = {}) => new HashStash({ root, engine: 'lmdb', ...extra });

t.test('keys longer than the LMDB key limit are stored under their hash and come back whole', async (t) => {
  const stash = open(t.testdir());
  t.teardown(() => stash.close());
  const long = { text: 'k'.repeat(10_000) };
  const alsoLong = { text: 'k'.repeat(9_999) + 'j' };
  await stash.set(long, 1);
  await stash.set(alsoLong, 2);
  await stash.set('short', 3);
  t.equal(await stash.get(long), 1);
  t.equal(await stash.get({ text: 'k'.repeat(10_000) }), 1);
  t.equal(await stash.get(alsoLong), 2);
  t.equal(await stash.get({ text: 'k'.repeat(10_001) }), undefined);
  t.equal(await stash.size(), 3);
  const keys = [];
  for await (const key of stash.keys()) keys.push(key);
  t.same(
    keys.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))).map((k) => JSON.stringify(k).length),
    [alsoLong, long, 'short']
      .map((k) => JSON.stringify(k))
      .sort()
      .map((k) => k.length),
  );
  t.ok(await stash.delete(long));
  t.equal(await stash.get(long), undefined);
  t.equal(stash.sync.get(alsoLong), 2);
});

t.test('one environment per file: stash objects on one path share it and close independently', async (t) => {
  const root = t.testdir();
  const a = open(root);
  const b = open(root);
  await a.set('x', 1);
  t.equal(await b.get('x'), 1);
  await a.close();
  t.equal(await b.get('x'), 1, 'closing one does not close the other');
  await b.set('y', 2);
  await b.close();
  const c = open(root);
  t.equal(await c.get('y'), 2);
  await c.close();
});

t.test('concurrent sets share commits and all land', async (t) => {
  const stash = open(t.testdir());
  t.teardown(() => stash.close());
  await Promise.all(Array.from({ length: 2000 }, (_, i) => stash.set(`k${i}`, { i })));
  t.equal(await stash.size(), 2000);
  t.same(await stash.get('k1999'), { i: 1999 });
});

t.test(
  "a stash written with lmdb-js's default commit settings (hashstash before issue 13) reads and writes as before",
  async (t) => {
    const root = t.testdir();
    const keys = Array.from({ length: 300 }, (_, i) => `old-${i}`);
    const stash = open(root);
    for (const key of keys) await stash.set(key, { key, pad: 'x'.repeat(1000) });
    const raw: [Buffer, Buffer][] = [];
    for await (const [key, blob] of stash.rawEntries()) raw.push([Buffer.from(key), Buffer.from(blob)]);
    await stash.close();
    // The same bytes written again into a new file as earlier versions wrote them: lmdb-js defaults, overlappingSync on.
    const file = join(root, 'main', 'lmdb.hashstash.lz4', 'data.mdb');
    rmSync(file);
    rmSync(`${file}-lock`, { force: true });
    const { open: openLmdb } = await import('lmdb');
    const old = openLmdb<Buffer, Buffer>({
      path: file,
      noSubdir: true,
      encoding: 'binary',
      keyEncoding: 'binary',
      compression: false,
      cache: false,
    });
    for (const [key, blob] of raw) await old.put(key, blob);
    await old.flushed;
    await old.close();
    const reopened = open(root);
    for (const key of keys) t.same(await reopened.get(key), { key, pad: 'x'.repeat(1000) });
    await reopened.set('new', 1);
    await reopened.close();
    const again = open(root);
    t.equal(await again.size(), keys.length + 1);
    t.equal(await again.get('new'), 1);
    await again.close();
  },
);

t.test('writes in the sync view are committed before they return', async (t) => {
  const root = t.testdir();
  const stash = open(root);
  stash.sync.set('now', 1);
  const other = open(root, { readonly: true });
  t.equal(other.sync.get('now'), 1);
  await stash.close();
  await other.close();
});

t.test('readonly: a missing stash reads as empty and creates nothing; writes throw ReadOnlyError', async (t) => {
  const root = t.testdir();
  const reader = open(root, { readonly: true });
  t.equal(await reader.get('x'), undefined);
  t.equal(await reader.size(), 0);
  t.notOk(existsSync(reader.path), 'nothing created');
  await t.rejects(reader.set('x', 1), ReadOnlyError);
  const writer = open(root);
  await writer.set('x', 1);
  await writer.close();
  const later = open(root, { readonly: true });
  t.equal(await later.get('x'), 1);
  await t.rejects(later.delete('x'), ReadOnlyError);
  t.equal(await later.get('x'), 1);
  await later.close();
});

t.test('a data file that is not an lmdb database is an EngineUnavailableError naming it', async (t) => {
  const root = t.testdir();
  const stash = open(root);
  mkdirSync(stash.path, { recursive: true });
  writeFileSync(join(stash.path, 'data.mdb'), 'this is not a database '.repeat(500));
  const error = await stash.get('x').then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(error, EngineUnavailableError);
  t.match((error as Error).message, stash.path);
});

t.test('a delete issued while appends are pending removes their versions too', async (t) => {
  const root = t.testdir();
  const plain = open(root);
  const log = open(root, { appendMode: true });
  t.teardown(async () => {
    await plain.close();
    await log.close();
  });
  for (const [label, remove] of [
    ['async', () => plain.delete('k')],
    ['sync', async () => plain.sync.delete('k')],
  ] as const) {
    await plain.set('k', 0); // no version space yet when the delete looks
    const [, , deleted] = await Promise.all([log.set('k', 1), log.set('k', 2), remove()]);
    t.equal(deleted, true, `${label}: the key was there`);
    const value: unknown = await log.get('k');
    const versions = await log.getAll('k');
    if (value === undefined) t.strictSame(versions, [], `${label}: the key is gone, and so are its versions`);
    else t.equal(versions.at(-1), value, `${label}: get reads the newest version getAll lists`);
    await log.delete('k');
  }
});
