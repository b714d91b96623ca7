import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ReadOnlyError } from '../../errors.js';
import type { RawChange } from '../engine.js';
import { type Feeds, pollChanges, type PolledSource, type WatchOptions } from '../change-feed.js';
import type { Database, Statement } from './driver.js';
import { DATABASE_FILE } from './limits.js';
import { connect, prepareForWrites, retryWhileLocked } from './open.js';
import { CLEAR, DROP_TRIGGERS, SET, TRIGGERS } from './change-log.js';

/**
 * The sqlite engine's change feed: a change log written by triggers on `entries`, so every write (set, setMany,
 * delete, append, and whatever else changes the table) is logged in its own transaction, by every process, with no
 * change to the write paths.
 *
 * - `hashstash_changes (seq INTEGER PRIMARY KEY, type, key)`: a ring of the last RING changes. SQLite gives each new
 *   row the largest seq plus one, and the ring trigger deletes the row RING behind it, so seqs stay contiguous and
 *   trimming costs one row per write.
 * - The logging triggers exist only while someone watches, so an unwatched write runs no trigger at all (and clear()
 *   keeps SQLite's truncate optimization). A watcher registers (a row in `hashstash_watchers`) and creates the triggers
 *   in one write transaction that also reads the latest seq: schema changes are transactional, and a writer's
 *   statement sees the schema of its own transaction, so every write committed after watch() returned is logged.
 *   Watchers refresh their row every HEARTBEAT_MS; one silent for STALE_MS (a killed process) is removed by the others,
 *   and the last one to leave drops the triggers.
 * - `clear()` while watched drops the delete trigger inside its transaction, empties the table, creates it again and
 *   logs one `clear`, instead of a delete per entry.
 * A watcher polls `PRAGMA data_version` on a connection of its own (it changes when another connection commits), and
 * reads the new rows only then; a gap between the last seq it read and the oldest kept is `missed`, as is finding its
 * registration gone (it was taken for dead, so changes may not have been logged meanwhile).
 */
const POLL_MS = 10;
const HEARTBEAT_MS = 5_000;
const STALE_MS = 60_000;
const READ_LIMIT = 1_000;

/** One watcher: its own connection, its registration, and the last seq it has read. */
class SqliteWatcher implements PolledSource {
  readonly #db: Database;
  readonly #id = randomUUID();
  readonly #dataVersion: Statement;
  readonly #read: Statement;
  readonly #mine: Statement;
  readonly #register: () => number;
  readonly #heartbeat: () => void;
  readonly #leave: () => void;
  #last = 0;
  #version = -1;
  #beatAt = 0;

  constructor(file: string) {
    const db = (this.#db = connect(file, { readonly: false, fileMustExist: false }));
    try {
      retryWhileLocked(file, () => prepareForWrites(db));
      this.#dataVersion = db.prepare('PRAGMA data_version').pluck();
      this.#read = db.prepare('SELECT seq, type, key FROM hashstash_changes WHERE seq > ? ORDER BY seq LIMIT ?').raw();
      this.#mine = db.prepare('SELECT 1 FROM hashstash_watchers WHERE id = ?').pluck();
      const insert = db.prepare('INSERT OR REPLACE INTO hashstash_watchers (id, seen) VALUES (?, ?)');
      const removeStale = db.prepare('DELETE FROM hashstash_watchers WHERE seen < ?');
      const latest = db.prepare('SELECT coalesce(max(seq), 0) FROM hashstash_changes').pluck();
      const remove = db.prepare('DELETE FROM hashstash_watchers WHERE id = ?');
      const count = db.prepare('SELECT count(*) FROM hashstash_watchers').pluck();
      this.#register = db.transaction(() => {
        removeStale.run(Date.now() - STALE_MS);
        insert.run(this.#id, Date.now());
        for (const trigger of TRIGGERS) db.exec(trigger);
        return latest.get() as number;
      }).immediate;
      this.#heartbeat = db.transaction(() => {
        removeStale.run(Date.now() - STALE_MS);
        if (this.#mine.get(this.#id) !== undefined) insert.run(this.#id, Date.now());
      }).immediate;
      this.#leave = db.transaction(() => {
        remove.run(this.#id);
        removeStale.run(Date.now() - STALE_MS);
        if ((count.get() as number) === 0) for (const drop of DROP_TRIGGERS) db.exec(drop);
      }).immediate;
      this.#last = this.#register();
      this.#beatAt = Date.now() + HEARTBEAT_MS;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  read(): RawChange[] {
    if (Date.now() >= this.#beatAt) {
      this.#beatAt = Date.now() + HEARTBEAT_MS;
      this.#heartbeat();
    }
    const version = this.#dataVersion.get() as number;
    if (version === this.#version) return [];
    const changes: RawChange[] = [];
    const rows = this.#db
      .transaction(() => {
        if (this.#mine.get(this.#id) === undefined) return undefined;
        return [...this.#read.iterate(this.#last, READ_LIMIT)] as [number, number, Uint8Array | null][];
      })
      .deferred();
    if (rows === undefined) {
      // Taken for dead (silent past STALE_MS): changes meanwhile may not have been logged.
      this.#last = this.#register();
      this.#version = -1;
      return [{ type: 'missed' }];
    }
    // A full page may have more behind it: read again at once (the data version is not taken as seen).
    if (rows.length < READ_LIMIT) this.#version = version;
    if (rows.length && rows[0][0] > this.#last + 1)
      changes.push({ type: 'missed', count: rows[0][0] - this.#last - 1 });
    for (const [seq, type, key] of rows) {
      this.#last = seq;
      changes.push(type === CLEAR ? { type: 'clear' } : { type: type === SET ? 'set' : 'delete', key: key! });
    }
    return changes;
  }

  stop(): void {
    try {
      this.#leave();
    } catch {
      /* a watcher that cannot unregister is removed as stale by the next one */
    } finally {
      this.#db.close();
    }
  }
}

/** The engine's `watch`: registers at once, so that every write committed after it returns is seen. */
export function watchSqlite(
  folder: string,
  readonly: boolean,
  feeds: Feeds,
  options: WatchOptions,
): AsyncIterable<RawChange> {
  if (readonly)
    throw new ReadOnlyError(
      `sqlite cannot watch ${join(folder, DATABASE_FILE)}: a watcher registers itself in the database, and the stash was opened with readonly: true`,
    );
  mkdirSync(folder, { recursive: true });
  const watcher = new SqliteWatcher(join(folder, DATABASE_FILE));
  feeds.add(watcher);
  return pollChanges(watcher, feeds, options, POLL_MS);
}
