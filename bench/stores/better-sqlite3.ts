import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { BenchStore, OpenStore, Pairs } from './store.js';

/** The parts of better-sqlite3 used here (the package ships no types). */
interface Statement {
  get(...params: unknown[]): unknown;
  run(...params: unknown[]): unknown;
  pluck(): this;
}
interface Database {
  prepare(sql: string): Statement;
  pragma(sql: string): unknown;
  exec(sql: string): void;
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
  close(): void;
}
type DatabaseClass = new (file: string) => Database;

/**
 * better-sqlite3 used directly, the yardsticks for the sqlite engine: a database of its own at `<root>/data.sqlite`
 * with the engine's pragmas (WAL, synchronous = NORMAL, the same WAL size limit) and its table layout (a rowid
 * table with a unique key), keyed by the plain strings. Statements are prepared once.
 */
function openSqlite(root: string, encode: (value: unknown) => unknown) {
  const Database = createRequire(import.meta.url)('better-sqlite3') as DatabaseClass;
  const db = new Database(join(root, 'data.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`journal_size_limit = ${32 * 1024 * 1024}`);
    db.exec('CREATE TABLE entries (key TEXT NOT NULL PRIMARY KEY, value BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO entries (key, value) VALUES (?, ?)');
    const select = db.prepare('SELECT value FROM entries WHERE key = ?').pluck();
    const insertAll = db.transaction((pairs: Pairs) => {
      for (const [key, value] of pairs) insert.run(key, encode(value));
    });
    return { db, insert, select, insertAll };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Values as JSON text, encoded and decoded inside the timed operations. */
export const betterSqlite3: BenchStore = {
  name: 'better-sqlite3',
  yardstick: true,
  peers: ['sqlite'],
  fill: 'bulk',
  via: {
    'set-sync': 'insert.run(JSON.stringify), autocommit',
    'set-many': 'db.transaction(insert.run(JSON.stringify) × all)',
    'get-sync': 'JSON.parse(select.get)',
  },
  async open(root: string): Promise<OpenStore> {
    const { db, insert, select, insertAll } = openSqlite(root, (value) => JSON.stringify(value));
    return {
      setSync: (key, value) => {
        insert.run(key, JSON.stringify(value));
      },
      setMany: (pairs) => insertAll(pairs),
      getSync: (key) => JSON.parse(select.get(key) as string) as unknown,
      path: root,
      close: async () => db.close(),
    };
  },
};

/**
 * Values as the hashstash serializer's bytes (no blob header), read back with its `deserialize`: the sqlite engine's
 * read path without the facade, the key encoding and the blob format.
 */
export const betterSqlite3Blob: BenchStore = {
  name: 'better-sqlite3-blob',
  yardstick: true,
  peers: ['sqlite'],
  fill: 'bulk',
  via: {
    'set-many': 'db.transaction(insert.run(serialize) × all)',
    'get-sync': "deserialize(select.get, 'hashstash')",
  },
  async open(root: string): Promise<OpenStore> {
    const { serialize, deserialize } = await import('../../src/serializers/index.js');
    const { db, select, insertAll } = openSqlite(root, (value) => serialize(value, 'hashstash'));
    return {
      setMany: (pairs) => insertAll(pairs),
      getSync: (key) => deserialize(select.get(key) as Uint8Array, 'hashstash'),
      path: root,
      close: async () => db.close(),
    };
  },
};
