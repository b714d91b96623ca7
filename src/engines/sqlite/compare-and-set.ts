import { matchesExpected } from '../compare-and-set.js';
import type { Database } from './driver.js';
import { storedValue } from './rows.js';

/**
 * The store's own writes, run inside the compare-and-set's transaction (better-sqlite3 turns a transaction the store
 * opens in there into a savepoint): so whatever a plain `set` or `delete` keeps beside the value (versions, expiry
 * columns) is kept the same way here.
 */
export interface SqliteWriting {
  readonly write: (key: Uint8Array, value: Uint8Array) => void;
  readonly remove: (key: Uint8Array) => void;
}

type CompareAndSet = (
  key: Uint8Array,
  expected: Uint8Array | undefined,
  next: Uint8Array | undefined,
  now: number,
  writing: SqliteWriting,
) => boolean;

/** The transaction of each connection, prepared on its first compare-and-set. */
const prepared = new WeakMap<Database, CompareAndSet>();

/**
 * Compare-and-set on SQLite: one `BEGIN IMMEDIATE` transaction, which takes the database's write lock before it reads,
 * so no other connection (thread or process) writes between the comparison and the write; a connection that finds
 * the lock taken waits for it (the busy timeout), as every writer does. The comparison reads the stored bytes as they
 * are, expired or not. `next` undefined deletes the key and its versions, as `delete` does. Append mode: it compares
 * and replaces the key's current value and adds no version. Needs a connection opened for writing.
 */
export function compareAndSetIn(
  db: Database,
  file: string,
  key: Uint8Array,
  expected: Uint8Array | undefined,
  next: Uint8Array | undefined,
  now: number,
  writing: SqliteWriting,
): boolean {
  let run = prepared.get(db);
  if (run === undefined) {
    const get = db.prepare('SELECT value FROM entries WHERE key = ?').pluck();
    run = db.transaction(
      (
        key: Uint8Array,
        expected: Uint8Array | undefined,
        next: Uint8Array | undefined,
        now: number,
        writing: SqliteWriting,
      ) => {
        const found: unknown = get.get(key);
        const current = found === undefined ? undefined : storedValue(found, key, file);
        if (!matchesExpected(current, expected, now)) return false;
        if (next !== undefined) writing.write(key, next);
        else writing.remove(key);
        return true;
      },
    ).immediate;
    prepared.set(db, run);
  }
  return run(key, expected, next, now, writing);
}
