import { randomBytes } from 'node:crypto';
import type { Database } from 'lmdb';
import type { RawChange } from '../engine.js';
import { type Feeds, pollChanges, type PolledSource, type WatchOptions } from '../change-feed.js';

/**
 * The lmdb engine's change feed: a change log kept in the same database as the entries, in a key space of its own
 * that starts with the byte 0x03 (entries start with a printable byte, long-key records with 0x01, versions with 0x02),
 * written in the same write transaction as the change it records, so a commit and its log entry are one.
 *
 *   [0x03 0x00]                  present while at least one watcher is registered: writes log only then
 *   [0x03 0x01][watcher id]      → f64 LE heartbeat (ms) of one watcher
 *   [0x03 0x02][u64 BE seq]      → [type][key]: a ring of the last RING changes (each write removes the one RING behind)
 *   [0x03 0x03]                  → [f64 LE last seq][f64 LE entries in this key space], so size() can leave them out
 *
 * Logging only while watched keeps unwatched writes as fast as before: the asynchronous `set` is an lmdb-js
 * conditional write (`ifNoExists` on the marker, checked by the write thread inside the batch's transaction) and
 * only when the marker is there does it run a transaction that logs. A watcher registers (marker, its row) in a write
 * transaction that also reads the last seq, so every write committed after watch() returned is logged. Watchers
 * refresh their row every HEARTBEAT_MS; one silent for STALE_MS (a killed process) is removed by the next to register
 * or beat, and finds itself gone if it comes back: that is `missed`, since writes meanwhile may not have been logged.
 * A watcher polls the last seq (one read) every POLL_MS while its consumer waits; a gap between the seq it read last
 * and the oldest one kept is `missed`.
 */
export const WATCH_SPACE = 0x03;
/** The first key after the watch space (iteration jumps here). */
export const AFTER_WATCH_SPACE = Buffer.from([WATCH_SPACE + 1]);
const WATCHED = Buffer.from([WATCH_SPACE, 0x00]);
/** The marker key: the engine's unwatched `set` is conditional on its absence. */
export const WATCHED_MARKER = WATCHED;
const WATCHER = 0x01;
const LOG = 0x02;
const META = Buffer.from([WATCH_SPACE, 0x03]);
const WATCHERS_START = Buffer.from([WATCH_SPACE, WATCHER]);
const WATCHERS_END = Buffer.from([WATCH_SPACE, LOG]);
export const RING = 10_000;
const POLL_MS = 10;
const HEARTBEAT_MS = 5_000;
const STALE_MS = 60_000;
const READ_LIMIT = 1_000;
const SET = 1;
const DELETE = 2;
const CLEAR = 3;

type Db = Database<Buffer, Buffer>;

function logKey(seq: number): Buffer {
  const key = Buffer.allocUnsafe(10);
  key[0] = WATCH_SPACE;
  key[1] = LOG;
  key.writeBigUInt64BE(BigInt(seq), 2);
  return key;
}

/** [last seq, entries in the watch space]. */
function readMeta(db: Db): [number, number] {
  const meta = db.getBinary(META);
  return meta === undefined ? [0, 0] : [meta.readDoubleLE(0), meta.readDoubleLE(8)];
}

function writeMeta(db: Db, seq: number, count: number): void {
  const meta = Buffer.allocUnsafe(16);
  meta.writeDoubleLE(seq, 0);
  // The meta entry counts itself.
  meta.writeDoubleLE(count, 8);
  db.putSync(META, meta);
}

/** How many entries the watch space holds, for size() to leave out (0 when nobody ever watched). */
export function watchSpaceEntries(db: Db): number {
  return readMeta(db)[1];
}

/** True while someone watches; read inside a write transaction, it decides whether that transaction logs. */
export const isWatched = (db: Db): boolean => db.getBinary(WATCHED) !== undefined;

/**
 * Inside a write transaction: a function that logs one change, or undefined when nobody watches (read once, for a
 * transaction that writes many entries).
 */
export function changeLogger(db: Db): ((type: number, key: Uint8Array | undefined) => void) | undefined {
  if (!isWatched(db)) return undefined;
  return (type, key) => {
    let [seq, count] = readMeta(db);
    if (count === 0) count = 1;
    seq += 1;
    const record = Buffer.allocUnsafe(1 + (key?.length ?? 0));
    record[0] = type;
    if (key) record.set(key, 1);
    db.putSync(logKey(seq), record);
    count += 1;
    if (seq > RING && db.removeSync(logKey(seq - RING))) count -= 1;
    writeMeta(db, seq, count);
  };
}

/** Logs a set of `key` where someone watches; call inside the write transaction that sets it. */
export function logSet(db: Db, key: Uint8Array): void {
  changeLogger(db)?.(SET, key);
}
/** Logs a delete of `key` where someone watches; call inside the write transaction that removes it. */
export function logDelete(db: Db, key: Uint8Array): void {
  changeLogger(db)?.(DELETE, key);
}
export { SET as LOG_SET, DELETE as LOG_DELETE };

/**
 * Empties the database but for the watch space (registrations, the seq and, while someone watches, the log a watcher
 * may not have read yet), and logs one `clear`; inside a write transaction.
 */
export function clearKeepingWatchers(db: Db): void {
  const watched = isWatched(db);
  const kept = watched
    ? Array.from(
        db.getRange({ start: WATCHED, end: META }),
        ({ key, value }) => [Buffer.from(key), Buffer.from(value)] as const,
      )
    : [];
  const [seq] = readMeta(db);
  db.clearSync();
  for (const [key, value] of kept) db.putSync(key, value);
  if (seq > 0 || kept.length) writeMeta(db, seq, kept.length + 1);
  changeLogger(db)?.(CLEAR, undefined);
}

/** One watcher: its registration in the database, and the last seq it has read. */
class LmdbWatcher implements PolledSource {
  readonly #db: Db;
  readonly #row = Buffer.concat([WATCHERS_START, randomBytes(12)]);
  #last = 0;
  #beatAt = 0;

  constructor(db: Db) {
    this.#db = db;
    this.#register();
  }

  #register(): void {
    const db = this.#db;
    this.#last = db.transactionSync(() => {
      const [seq, metaCount] = readMeta(db);
      let count = metaCount;
      if (count === 0) count = 1;
      count -= this.#removeStale();
      if (!isWatched(db)) {
        db.putSync(WATCHED, Buffer.alloc(0));
        count += 1;
      }
      if (db.getBinary(this.#row) === undefined) count += 1;
      db.putSync(this.#row, this.#stamp());
      writeMeta(db, seq, count);
      return seq;
    });
    this.#beatAt = Date.now() + HEARTBEAT_MS;
  }

  #stamp(): Buffer {
    const stamp = Buffer.allocUnsafe(8);
    stamp.writeDoubleLE(Date.now(), 0);
    return stamp;
  }

  /** Removes the rows of watchers silent for STALE_MS (inside a write transaction); how many. */
  #removeStale(): number {
    const db = this.#db;
    const stale = Array.from(db.getRange({ start: WATCHERS_START, end: WATCHERS_END }))
      .filter(({ key, value }) => !key.equals(this.#row) && value.readDoubleLE(0) < Date.now() - STALE_MS)
      .map(({ key }) => Buffer.from(key));
    for (const key of stale) db.removeSync(key);
    return stale.length;
  }

  #beat(): boolean {
    const db = this.#db;
    return db.transactionSync(() => {
      if (db.getBinary(this.#row) === undefined) return false;
      const removed = this.#removeStale();
      if (removed) {
        const [seq, count] = readMeta(db);
        writeMeta(db, seq, count - removed);
      }
      db.putSync(this.#row, this.#stamp());
      return true;
    });
  }

  read(): RawChange[] {
    const db = this.#db;
    if (Date.now() >= this.#beatAt) {
      this.#beatAt = Date.now() + HEARTBEAT_MS;
      if (!this.#beat()) return this.#lost();
    }
    const [seq] = readMeta(db);
    if (seq === this.#last) return [];
    if (db.getBinary(this.#row) === undefined) return this.#lost();
    const changes: RawChange[] = [];
    let expected = this.#last + 1;
    // What the ring has dropped since (or a clear removed) is missed.
    const oldest = Math.max(1, seq - RING + 1);
    if (expected < oldest) {
      changes.push({ type: 'missed', count: oldest - expected });
      expected = oldest;
    }
    const end = Math.min(seq, expected + READ_LIMIT - 1);
    for (const { key, value } of db.getRange({ start: logKey(expected), end: logKey(end + 1) })) {
      const at = Number(key.readBigUInt64BE(2));
      if (at > expected) changes.push({ type: 'missed', count: at - expected });
      const type = value[0];
      changes.push(
        type === CLEAR
          ? { type: 'clear' }
          : { type: type === SET ? 'set' : 'delete', key: Buffer.from(value.subarray(1)) },
      );
      expected = at + 1;
    }
    if (expected <= end) changes.push({ type: 'missed', count: end + 1 - expected });
    this.#last = end;
    return changes;
  }

  /** Taken for dead (silent past STALE_MS): changes meanwhile may not have been logged. */
  #lost(): RawChange[] {
    this.#register();
    return [{ type: 'missed' }];
  }

  stop(): void {
    const db = this.#db;
    try {
      db.transactionSync(() => {
        if (db.getBinary(this.#row) === undefined) return;
        db.removeSync(this.#row);
        const [seq, metaCount] = readMeta(db);
        let count = metaCount - 1;
        const others = db.getKeys({ start: WATCHERS_START, end: WATCHERS_END, limit: 1 });
        if (Array.from(others).length === 0 && db.removeSync(WATCHED)) count -= 1;
        writeMeta(db, seq, count);
      });
    } catch {
      /* the database is closing or failing: the row is removed as stale by the next watcher */
    }
  }
}

/** The engine's `watch`: registers at once, so that every write committed after it returns is seen. */
export function watchLmdb(db: Db, feeds: Feeds, options: WatchOptions): AsyncIterable<RawChange> {
  const watcher = new LmdbWatcher(db);
  feeds.add(watcher);
  return pollChanges(watcher, feeds, options, POLL_MS);
}
