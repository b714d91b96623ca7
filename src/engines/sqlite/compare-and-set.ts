import { matchesExpected } from '../compare-and-set.js';
import type { Database } from './driver.js';
import { storedValue } from './rows.js';

type CompareAndSet = (key: Uint8Array, expected: Uint8Array | undefined, next: Uint8Array | undefined, now: number) => boolean;

/** The transaction of each connection, prepared on its first compare-and-set. */
const prepared = new WeakMap<Database, CompareAndSet>();

/**
 * Compare-and-set on SQLite: one `BEGIN IMMEDIATE` transaction, which takes the database's write lock before it reads,
 * so no other connection (thread or process) writes between the comparison and the write; a connection that finds
 * the lock taken waits for it (the busy timeout), as every writer does. `next` undefined deletes the key and its
 * versions, as `delete` does. Append mode: it compares and replaces the key's current value and adds no version.
 * Needs a connection opened for writing (it has the `versions` table).
 */
export function compareAndSetIn(
  db: Database, file: string, key: Uint8Array, expected: Uint8Array | undefined, next: Uint8Array | undefined, now: number,
): boolean {
  let run = prepared.get(db);
  if (run === undefined) {
    const get = db.prepare('SELECT value FROM entries WHERE key = ?').pluck();
    const upsert = db.prepare('INSERT INTO entries (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    const remove = db.prepare('DELETE FROM entries WHERE key = ?');
    const removeVersions = db.prepare('DELETE FROM versions WHERE key = ?');
    run = db.transaction((key: Uint8Array, expected: Uint8Array | undefined, next: Uint8Array | undefined, now: number) => {
      const found: unknown = get.get(key);
      const current = found === undefined ? undefined : storedValue(found, key, file);
      if (!matchesExpected(current, expected, now)) return false;
      if (next !== undefined) {
        upsert.run(key, next);
      } else {
        removeVersions.run(key);
        if (current !== undefined) remove.run(key);
      }
      return true;
    }).immediate;
    prepared.set(db, run);
  }
  return run(key, expected, next, now);
}
