import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Database, RootDatabase } from 'lmdb';
import { loadDriver } from '../../drivers.js';
import { EngineUnavailableError, type HashStashError, ReadOnlyError } from '../../errors.js';
import { hash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { AppendStore, EngineContext, RawEntry, RawVersion, SyncAppendStore, SyncStore } from '../engine.js';
import { errorCode, isReadOnlyCode, storageError } from '../fs-errors.js';
import { isExpired, isExpiredAt, mayExpire } from '../expiry.js';
import { LocalEngine } from '../local-engine.js';
import { isMarked, markAsync, markIfExpiring, purgeExpired } from './expiry.js';
import { lmdbStats } from './stats.js';
import { SharedResources } from '../shared-resources.js';
import { Feeds } from '../change-feed.js';
import type { RawChange } from '../engine.js';
import {
  AFTER_WATCH_SPACE,
  WATCHED_MARKER,
  changeLogger,
  clearKeepingWatchers,
  LOG_SET,
  logDelete,
  logSet,
  watchLmdb,
  WATCH_SPACE,
  watchSpaceEntries,
} from './changes.js';
import {
  appendInTransaction,
  hasVersionSpace,
  removeVersions,
  VERSION_SPACE,
  versionEntries,
  versionsOf,
} from './versions.js';
import { compareAndSetInTransaction } from './compare-and-set.js';

/**
 * lmdb on lmdb-js: memory-mapped B-tree, synchronous reads, and asynchronous writes that lmdb-js batches so many
 * concurrent `set`s share one commit. Values are our blobs as raw bytes (binary encoding, no msgpack).
 *
 * LMDB limits keys to ~2 KB. A longer key is stored under `0x01 + sha256(key)` with a value of
 * `[u32 key length][key][blob]`, and the full key is compared on read. Canonical key bytes always start with a
 * printable character, so the 0x01 prefix never meets a real key. Append mode keeps versions under 0x02 (lmdb-versions.ts).
 */
const DATA_FILE = 'data.mdb';
const MAX_DIRECT_KEY = 1978;
const LONG_KEY_PREFIX = 0x01;
const LMDB_MAGIC = 0xbeefc0de;
const PAGE = 1000;
/** Queued asynchronous writes that start a commit before the next event turn (see #open). */
const TXN_START_THRESHOLD = 10_000;
const EMPTY = Buffer.alloc(0);
const ignore = () => {};

const loadLmdb = () => loadDriver<typeof import('lmdb')>('lmdb');

/** One environment per file per process: LMDB must not open the same environment twice in one process. */
interface SharedEnv {
  db: RootDatabase<Buffer, Buffer>;
  readonly: boolean;
  /** Set after an asynchronous commit failed (a full disk, say): lmdb-js's close then waits for a flush that never comes. */
  commitFailed: boolean;
}
const environments = new SharedResources<string, SharedEnv>((env) =>
  // After a failed commit lmdb-js's close waits for a flush that never comes; do not hang the caller's close on it.
  env.commitFailed ? Promise.race([env.db.close(), delay(1000)]) : env.db.close(),
);

function recordKey(key: Uint8Array): Uint8Array {
  if (key.length <= MAX_DIRECT_KEY) return key;
  const record = Buffer.allocUnsafe(33);
  record[0] = LONG_KEY_PREFIX;
  hash('sha256', key, 'buffer').copy(record, 1);
  return record;
}

function wrapLongValue(key: Uint8Array, value: Uint8Array): Buffer {
  const record = Buffer.allocUnsafe(4 + key.length + value.length);
  record.writeUInt32LE(key.length, 0);
  record.set(key, 4);
  record.set(value, 4 + key.length);
  return record;
}

/** The full key and blob of a long-key record. */
function unwrapLongValue(record: Buffer): RawEntry {
  const length = record.readUInt32LE(0);
  return [record.subarray(4, 4 + length), record.subarray(4 + length)];
}

export class LmdbStore implements SyncStore {
  readonly #file: string;
  readonly #folder: string;
  readonly #readonly: boolean;
  readonly #follow: boolean;
  /** The clock expiry is judged by. */
  readonly now: () => number;
  #env: SharedEnv | undefined;

  constructor(context: EngineContext) {
    this.#folder = context.path;
    this.#file = join(context.path, DATA_FILE);
    this.#readonly = context.readonly;
    this.#follow = context.follow === true;
    this.now = context.now;
  }

  /**
   * The open database for a read, or undefined while there is none (it reads as empty). A follower first drops
   * lmdb-js's current read transaction: lmdb-js keeps one until the next macrotask, so a program reading in a
   * synchronous loop (`stash.sync.get` between `Atomics.wait`s, say) would read one snapshot forever. The next read
   * begins a new one at the newest commit, mapping more of the file first when a writer has grown it (lmdb-js's own
   * LMDB does that when a read transaction begins).
   */
  #reader(): Database<Buffer, Buffer> | undefined {
    const db = this.#env?.db ?? this.#database(false);
    if (this.#follow) db?.resetReadTxn();
    return db;
  }

  /**
   * The open database, or undefined for a read-only stash whose file does not exist yet, or is still empty (it reads
   * as empty): a writer creates the file before it writes LMDB's first pages in it, and LMDB opening an empty file
   * read-only crashes the process (a segmentation fault).
   */
  #database(forWrite: boolean): Database<Buffer, Buffer> | undefined {
    if (this.#env && !(forWrite && this.#env.readonly)) return this.#env.db;
    if (forWrite && this.#readonly) throw new ReadOnlyError(`cannot write to ${this.#file}: opened read-only`);
    const size = this.#fileSize();
    if (!forWrite && this.#readonly && size === 0) return undefined;
    if (size === undefined) {
      if (!forWrite) return undefined;
      try {
        mkdirSync(this.#folder, { recursive: true });
      } catch (error) {
        throw this.#failure(error, 'create');
      }
    }
    const shared = environments.acquire(this.#file, () => this.#openShared());
    if (forWrite && shared.readonly) {
      void environments.release(this.#file, shared).catch(ignore);
      throw new ReadOnlyError(`cannot write to ${this.#file}: it is on read-only storage or opened read-only`);
    }
    this.#env = shared;
    return shared.db;
  }

  /** The data file's size in bytes, undefined when it does not exist. */
  #fileSize(): number | undefined {
    try {
      return statSync(this.#file).size;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw this.#failure(error, 'open');
    }
  }

  /** The process's environment for this file, opened read-only when the storage allows nothing else. */
  #openShared(): SharedEnv {
    this.#checkIsLmdb();
    try {
      return { db: this.#open(this.#readonly), readonly: this.#readonly, commitFailed: false };
    } catch (error) {
      const failure = this.#failure(error, 'open');
      // On read-only storage LMDB cannot open for writing, but it can still be read: reads work, writes will say why.
      // Not an empty file: LMDB would crash opening it read-only (see #database).
      if (!(failure instanceof ReadOnlyError) || this.#readonly || this.#fileSize() === 0) throw failure;
      try {
        return { db: this.#open(true), readonly: true, commitFailed: false };
      } catch {
        throw failure;
      }
    }
  }

  /**
   * Two lmdb-js defaults are turned off, each for a failure it causes (issue 13; `npm run stress` and the full-disk test
   * in test/engines/filesystem-faults.test.ts show them):
   * - `overlappingSync`: with several processes writing a new environment, a commit that lmdb-js had acknowledged
   *   was missing afterwards in about one round in ten. Without it every commit is flushed (fsync) before its write
   *   resolves: an acknowledged write survives a crash of the machine too, not only of the process.
   * - `eventTurnBatching`: it queues a batch-start write of its own whose promise nobody can reach; when that commit
   *   fails, the promise's rejection is unhandled and ends the user's process (kriszyp/lmdb-js#368). Without it every
   *   write's promise is one we hold.
   * Without event-turn batching lmdb-js starts a transaction once `txnStartThreshold` writes wait (default 5), and its
   * write thread commits whenever it catches up with us: sets fired together became several commits, an fsync each
   * now. Waiting for the next event turn unless 10,000 are queued gives them one commit again, as the default did.
   */
  #open(readOnly: boolean): RootDatabase<Buffer, Buffer> {
    return loadLmdb().open<Buffer, Buffer>({
      path: this.#file,
      noSubdir: true,
      encoding: 'binary',
      keyEncoding: 'binary',
      compression: false,
      cache: false,
      readOnly,
      overlappingSync: false,
      eventTurnBatching: false,
      // Not in lmdb-js's option types, read by its write.js.
      ...({ txnStartThreshold: TXN_START_THRESHOLD } as object),
    });
  }

  /**
   * LMDB trusts its file: opening a file that is not an LMDB environment can crash the process. Check the meta
   * page's magic number (0xBEEFC0DE at byte 24) first; an empty file is a fresh environment.
   */
  #checkIsLmdb(): void {
    let fd: number | undefined;
    try {
      fd = openSync(this.#file, 'r');
      const head = Buffer.alloc(28);
      const read = readSync(fd, head, 0, head.length, 0);
      if (read > 0 && (read < head.length || head.readUInt32LE(24) !== LMDB_MAGIC)) {
        throw new EngineUnavailableError(
          `${this.#file} exists but is not an lmdb database (no LMDB magic number)`,
          this.#file,
        );
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw this.#failure(error, 'open');
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  #failure(error: unknown, doing: string): HashStashError {
    const message = (error as Error | undefined)?.message ?? String(error);
    // lmdb-js reports some failures only in its message.
    const readOnly = isReadOnlyCode(errorCode(error)) || /EACCES|read-only|EROFS|Permission denied/i.test(message);
    return storageError(error, { engine: 'lmdb', doing, path: this.#file, readOnly });
  }

  /** Runs a database call, turning lmdb-js's plain Errors into typed ones naming the file. */
  #guard<T>(doing: string, action: () => T): T {
    try {
      return action();
    } catch (error) {
      throw this.#failure(error, doing);
    }
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.#read(key, false);
  }

  getTransient(key: Uint8Array): Uint8Array | undefined {
    return this.#read(key, true);
  }

  /** The blob under `key`; an expired one too when `withExpired`, else (what every read wants) undefined for it. */
  #read(key: Uint8Array, transient: boolean, withExpired = false, db = this.#reader()): Uint8Array | undefined {
    if (!db) return undefined;
    let record: Buffer | undefined;
    try {
      const lookup = key.length <= MAX_DIRECT_KEY ? key : recordKey(key);
      record = transient ? db.getBinaryFast(lookup as Buffer) : db.getBinary(lookup as Buffer);
    } catch (error) {
      throw this.#failure(error, 'read');
    }
    if (record === undefined) return undefined;
    if (key.length <= MAX_DIRECT_KEY) {
      // A byte test first: a blob without expiry (version 1) costs nothing more.
      return mayExpire(record) && !withExpired && isExpired(record, this.now) ? undefined : record;
    }
    const [storedKey, blob] = unwrapLongValue(record);
    if (Buffer.compare(storedKey, key) !== 0) return undefined;
    return !withExpired && isExpired(blob, this.now) ? undefined : blob;
  }

  /** A write record: the key LMDB sees and the bytes it stores. */
  static record(this: void, key: Uint8Array, value: Uint8Array): [Uint8Array, Uint8Array] {
    return key.length <= MAX_DIRECT_KEY ? [recordKey(key), value] : [recordKey(key), wrapLongValue(key, value)];
  }

  set(key: Uint8Array, value: Uint8Array): void {
    const db = this.#database(true)!;
    const [k, v] = LmdbStore.record(key, value);
    // One transaction (as putSync's own) that keeps the expiry mark and logs the change where someone watches (changes.ts).
    this.#guard('write', () =>
      db.transactionSync(() => {
        if (mayExpire(value)) markIfExpiring(db, value);
        db.putSync(k as Buffer, v as Buffer);
        logSet(db, key);
      }, 2),
    );
  }

  has(key: Uint8Array): boolean {
    return this.get(key) !== undefined;
  }

  /** Whether anything is stored under `key`, expired or not: what `delete` must remove. */
  stored(key: Uint8Array): Uint8Array | undefined {
    return this.#read(key, true, true);
  }

  /**
   * Removes the key's value and, where there are any, its versions. An expired entry is removed too, but counts as
   * absent: false.
   */
  delete(key: Uint8Array): boolean {
    const found = this.stored(key);
    if (found === undefined) return false;
    const live = !isExpired(found, this.now);
    const db = this.#database(true)!;
    return this.#guard('delete', () => db.transactionSync(() => removeInTransaction(db, key))) && live;
  }

  readonly append: SyncAppendStore = {
    append: (key, value) => {
      const db = this.#database(true)!;
      return this.#guard('write', () =>
        db.transactionSync(() => {
          markIfExpiring(db, value);
          return appendInTransaction(db, key, LmdbStore.record(key, value), value);
        }),
      );
    },
    appendMany: (entries) => {
      const db = this.#database(true)!;
      this.#guard('write', () =>
        db.transactionSync(() => {
          for (const [key, value] of entries) {
            if (mayExpire(value)) markIfExpiring(db, value);
            appendInTransaction(db, key, LmdbStore.record(key, value), value);
          }
        }),
      );
    },
    versions: (key) => {
      const db = this.#reader();
      return db ? this.#guard('read', () => versionsOf(db, key)) : [];
    },
  };

  /** Bytes used and reserved, from LMDB's counters (stats.ts). */
  stats() {
    return this.#guard('count', () => lmdbStats(this.#reader(), this.#file));
  }

  /**
   * Keys, not versions: the version space and its count entry are left out. Exact: LMDB's count of entries, or, once
   * the stash has held an expiring entry (see expiry.ts), a count of the live ones by a scan.
   */
  size(): number {
    const db = this.#reader();
    if (!db) return 0;
    return this.#guard('count', () => {
      if (isMarked(db)) {
        let live = 0;
        for (const _ of this.#pages(true)) live++;
        return live;
      }
      const entries = (db.getStats() as { entryCount: number }).entryCount;
      return (hasVersionSpace(db) ? entries - 1 - versionEntries(db) : entries) - watchSpaceEntries(db);
    });
  }

  /** Removes every entry expired by now; returns how many (see expiry.ts). */
  purgeExpired(): number {
    if (!this.#database(false)) return 0;
    const db = this.#database(true)!;
    return this.#guard('purge', () => purgeExpired(db, this.now(), (_, record) => unwrapLongValue(record)));
  }

  /** Whether the database has held an expiring entry since it was last cleared (see expiry.ts). */
  marked(): boolean {
    const db = this.#reader();
    return db !== undefined && isMarked(db);
  }

  clear(): void {
    const db = this.#database(true)!;
    this.#guard('clear', () => db.transactionSync(() => clearKeepingWatchers(db)));
  }

  /**
   * Pages of PAGE records, each read in its own short read transaction, so a long scan never pins one old snapshot
   * (which would stop LMDB reusing freed pages while writers go on). Expired entries are left out: their values are
   * read for it, also without `withValues`, once the database holds an expiring entry.
   */
  *#pages(withValues: boolean): Generator<RawEntry> {
    const db = this.#database(false);
    if (!db) return;
    if (!withValues && isMarked(db)) withValues = true;
    const now = this.now();
    let after: Buffer | undefined;
    let exclusiveStart = false;
    for (;;) {
      if (this.#follow) db.resetReadTxn();
      const range = { start: after, exclusiveStart, limit: PAGE };
      const page = this.#guard('iterate', () =>
        withValues
          ? Array.from(db.getRange(range), ({ key, value }) => [key, value] as [Buffer, Buffer | undefined])
          : Array.from(db.getKeys(range), (key) => [key, undefined] as [Buffer, Buffer | undefined]),
      );
      let intoVersions = false;
      for (const [key, value] of page) {
        if (key[0] === VERSION_SPACE || key[0] === WATCH_SPACE) {
          intoVersions = true;
          break;
        }
        if (key[0] === LONG_KEY_PREFIX) {
          const full = value ?? db.getBinary(key);
          if (!full) continue;
          const entry = unwrapLongValue(full);
          if (!isExpiredAt(entry[1], now)) yield entry;
        } else if (value === undefined) {
          yield [key, EMPTY];
        } else if (!isExpiredAt(value, now)) {
          yield [key, value];
        }
      }
      if (intoVersions) {
        // Jump over the versions and the change log (changes.ts): entries go on after them.
        after = AFTER_WATCH_SPACE;
        exclusiveStart = false;
        continue;
      }
      if (page.length < PAGE) return;
      after = page[page.length - 1][0];
      exclusiveStart = true;
    }
  }

  *keys(): Iterable<Uint8Array> {
    for (const [key] of this.#pages(false)) yield key;
  }

  *entries(): Iterable<RawEntry> {
    yield* this.#pages(true);
  }

  getMany(keys: readonly Uint8Array[]): (Uint8Array | undefined)[] {
    const db = this.#reader();
    if (!db) return keys.map(() => undefined);
    // One read transaction for the whole lookup (one commit, so a batch is seen whole or not at all): lmdb-js reuses
    // its current read txn within a synchronous run.
    return keys.map((key) => this.#read(key, false, false, db));
  }

  /** One synchronous transaction: one commit for the whole batch (LocalEngine hands batches of WRITE_BATCH). */
  setMany(entries: Iterable<RawEntry>): void {
    const db = this.#database(true)!;
    this.#guard('write', () =>
      db.transactionSync(() => {
        const log = changeLogger(db);
        for (const [key, value] of entries) {
          if (mayExpire(value)) markIfExpiring(db, value);
          const [k, v] = LmdbStore.record(key, value);
          db.putSync(k as Buffer, v as Buffer);
          log?.(LOG_SET, key);
        }
      }),
    );
  }

  compareAndSet(key: Uint8Array, expected: Uint8Array | undefined, next: Uint8Array | undefined): boolean {
    const db = this.#database(true)!;
    return this.#guard('write', () =>
      db.transactionSync(() =>
        compareAndSetInTransaction(db, key, expected, next, this.now(), LmdbStore.record, markIfExpiring),
      ),
    );
  }

  /** The database for asynchronous writes, opening it on first use. */
  writer(): Database<Buffer, Buffer> {
    return this.#database(true)!;
  }

  wrap(error: unknown, doing: string): HashStashError {
    return this.#failure(error, doing);
  }

  /** Marks the shared environment after an asynchronous commit failed (a full disk, say), so that closing it does not hang. */
  set commitFailed(failed: boolean) {
    if (this.#env) this.#env.commitFailed ||= failed;
  }

  async close(): Promise<void> {
    const env = this.#env;
    if (!env) return;
    this.#env = undefined;
    await environments.release(this.#file, env);
  }
}

/** The sets one tick issued, and the promise they all resolve with. */
interface PendingSets {
  readonly db: Database<Buffer, Buffer>;
  readonly entries: [key: Uint8Array, recordKey: Uint8Array, record: Uint8Array][];
  readonly done: Promise<void>;
  readonly settle: (written: Promise<void>) => void;
}

/** Asynchronous writes go through lmdb-js's batched commits: concurrent sets share one transaction and one fsync. */
class LmdbEngine extends LocalEngine {
  readonly #store: LmdbStore;
  readonly #feeds = new Feeds();
  constructor(store: LmdbStore) {
    super(
      'lmdb',
      {
        persistent: true,
        sync: true,
        sharedAcrossProcesses: true,
        sharedAcrossThreads: true,
        nativeAppend: true,
        hidesExpired: true,
      },
      store,
    );
    this.#store = store;
  }

  /** The sets issued in this tick, written together when it ends (see set). */
  #batch: PendingSets | undefined;

  // Not an async function: one promise layer over lmdb-js's own on the path of every concurrent write.
  // The sets of one tick go to lmdb-js as one batch, conditional on nobody watching (checked by its write thread in
  // the write transaction); when someone does, they are written again in a transaction that logs them (changes.ts).
  // One condition per tick, not per set: 1,000 concurrent sets cost what 1,000 plain puts did.
  override set(key: Uint8Array, value: Uint8Array): Promise<void> {
    const [k, v] = LmdbStore.record(key, value);
    let batch = this.#batch;
    if (batch === undefined) {
      let db: Database<Buffer, Buffer>;
      try {
        db = this.#store.writer();
      } catch (error) {
        return Promise.reject(this.#store.wrap(error, 'write'));
      }
      let settle!: (written: Promise<void>) => void;
      const done = new Promise<void>((resolve) => {
        settle = resolve;
      });
      batch = this.#batch = { db, entries: [], done, settle };
      queueMicrotask(this.#flushSets);
    }
    // Queued before the batch, so it commits with its values or before them; a failure shows in the batch's own put.
    if (mayExpire(value)) void markAsync(batch.db, value)?.catch(ignore);
    batch.entries.push([key, k, v]);
    return batch.done;
  }

  /** Sends the tick's sets to lmdb-js; other writes call it first, so they stay in the order they were issued. */
  readonly #flushSets = (): void => {
    const batch = this.#batch;
    if (batch === undefined) return;
    this.#batch = undefined;
    batch.settle(this.#writeBatch(batch.db, batch.entries));
  };

  #writeBatch(db: Database<Buffer, Buffer>, entries: readonly [Uint8Array, Uint8Array, Uint8Array][]): Promise<void> {
    try {
      return db
        .ifNoExists(WATCHED_MARKER, () => {
          for (const [, k, v] of entries) {
            // Their commit is the conditional batch's, whose promise reports a failure; these must not go unhandled.
            (db.put(k as Buffer, v as Buffer) as Promise<boolean> | undefined)?.catch?.(ignore);
          }
        })
        .then(
          (written) => (written ? undefined : this.#loggedSets(db, entries)),
          (error: unknown) => this.#failedCommit(error),
        );
    } catch (error) {
      return Promise.reject(this.#store.wrap(error, 'write'));
    }
  }

  #loggedSets(db: Database<Buffer, Buffer>, entries: readonly [Uint8Array, Uint8Array, Uint8Array][]): Promise<void> {
    return db
      .transaction(() => {
        for (const [key, k, v] of entries) {
          db.putSync(k as Buffer, v as Buffer);
          logSet(db, key);
        }
      })
      .then(ignore, (error: unknown) => this.#failedCommit(error));
  }

  override watch = (options: { readonly signal?: AbortSignal | undefined }): AsyncIterable<RawChange> =>
    watchLmdb(this.#store.writer(), this.#feeds, options);

  /**
   * lmdb-js rejects a failed commit's `commitError` promise later with the cause; nobody else awaits it, and left alone
   * it would surface as an unhandled rejection and end the user's process. Wait briefly for the cause and report it.
   */
  async #failedCommit(error: unknown): Promise<never> {
    this.#store.commitFailed = true;
    const commitError = (error as { commitError?: Promise<unknown> }).commitError;
    const cause = commitError
      ? await Promise.race([
          commitError.then(
            () => error,
            (reason: unknown) => reason,
          ),
          delay(100).then(() => error),
        ])
      : error;
    throw this.#store.wrap(cause, 'write');
  }

  /**
   * An asynchronous append is one of lmdb-js's batched transactions: appends issued together share a commit, and each
   * still reads the key's last version and writes the next inside the write transaction, alone among processes.
   */
  override readonly append: AppendStore = {
    append: (key, value) => {
      this.#flushSets();
      try {
        const db = this.#store.writer();
        return db
          .transaction(() => {
            markIfExpiring(db, value);
            return appendInTransaction(db, key, LmdbStore.record(key, value), value);
          })
          .catch((error: unknown) => this.#failedCommit(error));
      } catch (error) {
        return Promise.reject(this.#store.wrap(error, 'write'));
      }
    },
    versions: (key) => this.#versions(key),
  };

  /** One of lmdb-js's batched write transactions, like an asynchronous append: compare-and-sets issued together share a commit. */
  override readonly compareAndSet = (
    key: Uint8Array,
    expected: Uint8Array | undefined,
    next: Uint8Array | undefined,
  ): Promise<boolean> => {
    try {
      const db = this.#store.writer();
      return db
        .transaction(() =>
          compareAndSetInTransaction(db, key, expected, next, this.#store.now(), LmdbStore.record, markIfExpiring),
        )
        .catch((error: unknown) => this.#failedCommit(error));
    } catch (error) {
      return Promise.reject(this.#store.wrap(error, 'write'));
    }
  };

  async *#versions(key: Uint8Array): AsyncGenerator<RawVersion> {
    yield* this.#store.append.versions(key);
  }

  override async delete(key: Uint8Array): Promise<boolean> {
    this.#flushSets();
    const found = this.#store.stored(key);
    if (found === undefined) return false;
    const live = !isExpired(found, this.#store.now);
    try {
      const db = this.#store.writer();
      return (await db.transaction(() => removeInTransaction(db, key))) && live;
    } catch (error) {
      throw this.#store.wrap(error, 'delete');
    }
  }

  override async clear(): Promise<void> {
    this.#flushSets();
    try {
      const db = this.#store.writer();
      await db.transaction(() => clearKeepingWatchers(db));
    } catch (error) {
      throw this.#store.wrap(error, 'clear');
    }
  }

  override async close(): Promise<void> {
    this.#flushSets();
    await this.#feeds.closeAll();
    await this.#store.close();
  }
}

/**
 * Removes the key's value and its versions, inside a write transaction: whether there are versions to look for is
 * read there too, since another process may append (and start the version space) until the transaction begins.
 */
function removeInTransaction(db: Database<Buffer, Buffer>, key: Uint8Array): boolean {
  if (hasVersionSpace(db)) removeVersions(db, key);
  const removed = db.removeSync(recordKey(key) as Buffer);
  if (removed) logDelete(db, key);
  return removed;
}

export function createLmdbEngine(context: EngineContext): LocalEngine {
  return new LmdbEngine(new LmdbStore(context));
}
