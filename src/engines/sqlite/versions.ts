import type { RawVersion } from '../engine.js';
import type { Statement } from './driver.js';
import { versionTimestamp } from '../version-stamp.js';
import { expiresAtOf } from '../../format/header.js';
import { mayExpire } from '../expiry.js';

/** The expiry of a blob as the `expires_at` column holds it: ms since the epoch, NULL (null) for never. */
export const expiryColumn = (value: Uint8Array): number | null => (mayExpire(value) ? expiresAtOf(value) : null);

/**
 * Append mode on SQLite: every version is a row of its own in `versions`, indexed by (key, version), so adding one
 * reads the key's highest version (and its timestamp) through the index and inserts a row, whatever the number before it. The append runs
 * in a `BEGIN IMMEDIATE` transaction, which takes the database's write lock first: two processes appending to one key
 * take turns and never share a version number. The same transaction writes the value into `entries`, so `get` (and a
 * stash opened without append mode) reads the latest version.
 */
export const CREATE_VERSIONS_TABLE =
  'CREATE TABLE IF NOT EXISTS versions (key BLOB NOT NULL, version INTEGER NOT NULL, timestamp REAL NOT NULL, value BLOB NOT NULL, UNIQUE (key, version))';
/** versions() reads this many versions per query, or fewer when their bytes reach PAGE_BYTES. */
const PAGE_ROWS = 256;
const PAGE_BYTES = 4 * 1024 * 1024;

interface VersionsDatabase {
  prepare(sql: string): Statement;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): { immediate: (...args: A) => R };
}

/** The version statements of one connection, prepared once (the table must exist). */
export class SqliteVersions {
  readonly append: (key: Uint8Array, value: Uint8Array) => number;
  /** Appends each entry in turn, all in one transaction. */
  readonly appendMany: (entries: Iterable<readonly [Uint8Array, Uint8Array]>) => void;
  /**
   * Removes the key's value and every version, in one transaction; the removed row's `expires_at` (null: never), in
   * an array that is empty when the key had no value.
   */
  readonly deleteKey: (key: Uint8Array) => (number | null)[];
  /** Empties both tables in one transaction. */
  readonly clearAll: () => void;
  readonly #page: Statement;

  /** @param expiry - The `entries` table has the `expires_at` column, which the current value's write fills. */
  constructor(db: VersionsDatabase, expiry: boolean) {
    const latest = db
      .prepare('SELECT version, timestamp FROM versions WHERE key = ? ORDER BY version DESC LIMIT 1')
      .raw();
    const insert = db.prepare('INSERT INTO versions (key, version, timestamp, value) VALUES (?, ?, ?, ?)');
    const upsert = expiry
      ? db.prepare(
          'INSERT INTO entries (key, value, expires_at) VALUES (?, ?, ?) ' +
            'ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
        )
      : db.prepare(
          'INSERT INTO entries (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        );
    const removeEntry = db
      .prepare(`DELETE FROM entries WHERE key = ? RETURNING ${expiry ? 'expires_at' : 'NULL'}`)
      .pluck();
    const removeVersions = db.prepare('DELETE FROM versions WHERE key = ?');
    const removeAllEntries = db.prepare('DELETE FROM entries');
    const removeAllVersions = db.prepare('DELETE FROM versions');
    this.#page = db
      .prepare('SELECT version, timestamp, value FROM versions WHERE key = ? AND version > ? ORDER BY version LIMIT ?')
      .raw();
    const appendOne = (key: Uint8Array, value: Uint8Array) => {
      const [last, previous] = (latest.get(key) as [number, number] | undefined) ?? [0, undefined];
      const version = last + 1;
      insert.run(key, version, versionTimestamp(previous), value);
      if (expiry) upsert.run(key, value, expiryColumn(value));
      else upsert.run(key, value);
      return version;
    };
    this.append = db.transaction(appendOne).immediate;
    this.appendMany = db.transaction((entries: Iterable<readonly [Uint8Array, Uint8Array]>) => {
      for (const [key, value] of entries) appendOne(key, value);
    }).immediate;
    this.deleteKey = db.transaction((key: Uint8Array) => {
      removeVersions.run(key);
      return removeEntry.all(key) as (number | null)[];
    }).immediate;
    this.clearAll = db.transaction(() => {
      removeAllVersions.run();
      removeAllEntries.run();
    }).immediate;
  }

  /** Up to PAGE_ROWS versions after `after`, read whole before they are handed out (see SqliteStore's iteration). */
  page(key: Uint8Array, after: number): { versions: RawVersion[]; complete: boolean } {
    const versions: RawVersion[] = [];
    let bytes = 0;
    for (const [version, timestamp, value] of this.#page.iterate(key, after, PAGE_ROWS) as Iterable<
      [number, number, Uint8Array]
    >) {
      versions.push({ version, timestamp, value });
      bytes += value.byteLength;
      if (bytes >= PAGE_BYTES) return { versions, complete: false };
    }
    return { versions, complete: versions.length < PAGE_ROWS };
  }
}
