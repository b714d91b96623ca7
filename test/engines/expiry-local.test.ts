/**
 * Expiry on the local engines, beyond the conformance suite: what each keeps on storage for it (lmdb's mark, sqlite's
 * `expires_at` column and its migration, pairtree's `.expiring` file) and the cases that take an engine's own path
 * (lmdb's long keys, versions removed with a purged key).
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DecodeError, encodeKey, HashStash, type EngineName } from '../../src/index.js';
import { DATABASE_FILE } from '../../src/engines/sqlite/store.js';
import { collect } from '../helpers/collect.js';

const require = createRequire(import.meta.url);
type Db = {
  prepare(sql: string): {
    all(...params: unknown[]): unknown[];
    get(...params: unknown[]): unknown;
    run(...params: unknown[]): unknown;
  };
  exec(sql: string): void;
  close(): void;
};
const openSqlite = (file: string): Db => new (require('better-sqlite3') as new (file: string) => Db)(file);

function clockAt(start = 1_800_000_000_000) {
  let now = start;
  return Object.assign(() => now, {
    advance: (ms: number) => {
      now += ms;
    },
  });
}

for (const engine of ['lmdb', 'sqlite', 'pairtree', 'memory'] as const satisfies readonly EngineName[]) {
  t.test(`${engine}: a purged key's versions go with it, and a long key expires like a short one`, async (t) => {
    const clock = clockAt();
    const stash = new HashStash({ root: t.testdir(), engine, clock, appendMode: true });
    t.teardown(() => stash.close());
    const long = { text: 'k'.repeat(5_000) };
    await stash.set('log', 1, { ttl: 1_000 });
    await stash.set('log', 2, { ttl: 1_000 });
    await stash.set(long, 'long', { ttl: 1_000 });
    await stash.set('kept', 3);
    t.equal(await stash.get(long), 'long');
    clock.advance(1_000);
    t.equal(await stash.get(long), undefined, 'a long key expires');
    t.equal(stash.sync.has(long), false);
    t.equal(await stash.purgeExpired(), 2);
    t.strictSame(await stash.getAll('log'), [], 'no version of a purged key is left');
    await stash.set('log', 4);
    t.strictSame(
      await stash.getAll('log', { withMetadata: true }).then((all) => all.map((v) => [v.version, v.value as unknown])),
      [[1, 4]],
      'numbering starts over, as after a delete',
    );
    t.strictSame((await collect(stash.keys())).sort(), ['kept', 'log']);
    t.equal(await stash.size(), 2);
  });

  t.test(
    `${engine}: a stash without expiring entries keeps its counts and iteration, and clear() forgets it had any`,
    async (t) => {
      const clock = clockAt();
      const stash = new HashStash({ root: t.testdir(), engine, clock });
      t.teardown(() => stash.close());
      await stash.setMany([
        ['a', 1],
        ['b', 2],
      ]);
      t.equal(await stash.purgeExpired(), 0);
      await stash.set('c', 3, { ttl: 10 });
      clock.advance(10);
      t.equal(await stash.size(), 2);
      t.strictSame(
        (await collect(stash.keys())).sort(),
        ['a', 'b'],
        'nothing of the expiry bookkeeping shows as an entry',
      );
      await stash.clear();
      await stash.set('d', 4);
      t.equal(await stash.size(), 1);
      t.strictSame(await collect(stash.keys()), ['d']);
      t.equal(await stash.purgeExpired(), 0);
    },
  );
}

// sqlite judges expiry by its expires_at column, written from the blob when it was stored, not by stored bytes.
for (const engine of ['lmdb', 'pairtree', 'memory'] as const satisfies readonly EngineName[]) {
  t.test(
    `${engine}: damaged bytes whose header reads as expired are a DecodeError, never an absent entry`,
    async (t) => {
      const clock = clockAt();
      const stash = new HashStash({ root: t.testdir(), engine, clock, compress: 'raw' });
      t.teardown(() => stash.close());
      await stash.set('k', { text: 'x'.repeat(100) }, { ttl: 1_000 });
      const key = encodeKey('k');
      const blob = Buffer.from((await stash.engine.get(key))!);
      blob[blob.length - 2] ^= 0x01;
      await stash.engine.set(key, blob);
      clock.advance(1_000);
      await t.rejects(stash.get('k'), DecodeError, 'its crc32 does not match: damage, not expiry');
      t.equal(await stash.has('k'), true, 'not hidden as expired');
      t.equal(await stash.purgeExpired(), 0, 'not purged as expired');
      await t.rejects(stash.get('k'), DecodeError, 'still there to be seen');
      await stash.set('k', 'again', { ttl: 1_000 });
      clock.advance(1_000);
      t.equal(await stash.get('k'), undefined, 'an intact blob expires as before');
      t.equal(await stash.purgeExpired(), 1);
    },
  );
}

t.test('pairtree: the .expiring file appears with the first expiring write and goes with clear()', async (t) => {
  const stash = new HashStash({ root: t.testdir(), engine: 'pairtree' });
  t.teardown(() => stash.close());
  await stash.set('plain', 1);
  t.notOk(existsSync(join(stash.path, '.expiring')), 'no mark without an expiring entry');
  await stash.set('soon', 2, { ttl: '1h' });
  t.ok(existsSync(join(stash.path, '.expiring')));
  await stash.clear();
  t.notOk(existsSync(join(stash.path, '.expiring')));
});

t.test(
  'sqlite: expires_at is written with the value, purge runs on the partial index, keys skip expired rows',
  async (t) => {
    const clock = clockAt();
    const stash = new HashStash({ root: t.testdir(), engine: 'sqlite', clock });
    await stash.set('soon', 1, { ttl: 1_000 });
    await stash.set('never', 2);
    await stash.close();
    const db = openSqlite(join(stash.path, DATABASE_FILE));
    t.teardown(() => db.close());
    const rows = db.prepare('SELECT expires_at FROM entries ORDER BY expires_at').all() as {
      expires_at: number | null;
    }[];
    t.strictSame(
      rows.map((row) => row.expires_at),
      [null, clock() + 1_000],
    );
    const plan = JSON.stringify(db.prepare('EXPLAIN QUERY PLAN DELETE FROM entries WHERE expires_at <= ?').all(0));
    t.match(plan, /entries_expires_at/, 'the purge reads the index of expiring rows');
    const count = JSON.stringify(
      db.prepare('EXPLAIN QUERY PLAN SELECT count(*) FROM entries WHERE expires_at <= ?').all(0),
    );
    t.match(count, /entries_expires_at/, 'and so does counting the expired rows');
  },
);

t.test(
  'sqlite: a database written before expiry existed is read as it is by a readonly stash, and migrated by a writable one',
  async (t) => {
    const root = t.testdir();
    const first = new HashStash({ root, engine: 'sqlite' });
    await first.setMany([
      ['a', 1],
      ['b', { two: 2 }],
    ]);
    const raw = await collect(first.rawEntries());
    await first.close();
    // The same rows in a database with the schema hashstash wrote before expiry.
    const file = join(first.path, DATABASE_FILE);
    const { rmSync } = await import('node:fs');
    rmSync(file);
    const old = openSqlite(file);
    old.exec('PRAGMA journal_mode = WAL');
    old.exec('CREATE TABLE entries (key BLOB NOT NULL PRIMARY KEY, value BLOB NOT NULL)');
    old.exec(
      'CREATE TABLE versions (key BLOB NOT NULL, version INTEGER NOT NULL, timestamp REAL NOT NULL, value BLOB NOT NULL, UNIQUE (key, version))',
    );
    for (const [key, value] of raw) old.prepare('INSERT INTO entries (key, value) VALUES (?, ?)').run(key, value);
    old.close();
    const columns = () => {
      const db = openSqlite(file);
      try {
        return (db.prepare("SELECT name FROM pragma_table_info('entries')").all() as { name: string }[]).map(
          (row) => row.name,
        );
      } finally {
        db.close();
      }
    };
    t.strictSame(columns(), ['key', 'value']);

    const reader = new HashStash({ root, engine: 'sqlite', readonly: true });
    t.equal(await reader.get('a'), 1);
    t.strictSame(await reader.get('b'), { two: 2 });
    t.equal(await reader.size(), 2);
    t.strictSame((await collect(reader.keys())).sort(), ['a', 'b']);
    t.equal(await reader.has('a'), true);
    t.equal(await reader.expiresAt('a'), null);
    await reader.close();
    t.strictSame(columns(), ['key', 'value'], 'a readonly stash changed nothing');

    const clock = clockAt();
    const writer = new HashStash({ root, engine: 'sqlite', clock });
    t.teardown(() => writer.close());
    const other = new HashStash({ root, engine: 'sqlite', clock });
    t.teardown(() => other.close());
    await Promise.all([writer.set('c', 3, { ttl: 1_000 }), other.set('d', 4)]);
    t.strictSame(columns(), ['key', 'value', 'expires_at'], 'the first writable open added the column');
    t.equal(await writer.get('a'), 1, 'old rows read as before');
    t.equal(await writer.size(), 4);
    clock.advance(1_000);
    t.equal(await writer.get('c'), undefined);
    t.equal(await other.size(), 3);
    t.equal(await writer.purgeExpired(), 1);
    t.strictSame((await collect(other.keys())).sort(), ['a', 'b', 'd']);
  },
);
