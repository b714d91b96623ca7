import { mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { EngineUnavailableError, HashStashError, ReadOnlyError } from '../../errors.js';
import type { EngineContext, RawEntry, RawVersion, SyncAppendStore, SyncStore } from '../engine.js';
import { LocalEngine, WRITE_BATCH } from '../local-engine.js';
import { sqliteStats } from './stats.js';
import { errorCode, isReadOnlyCode, onReadOnlyFileSystem, storageError } from '../fs-errors.js';
import type { Database, Statement } from './driver.js';
import { DATABASE_FILE } from './limits.js';
import { BUSY_TIMEOUT_MS, connect, hasExpiryColumn, hasTable, prepareForWrites, retryWhileLocked } from './open.js';
import { storedKey, storedValue } from './rows.js';
import { expiryColumn, SqliteVersions } from './versions.js';
import { compareAndSetIn } from './compare-and-set.js';
import { clearLogged } from './change-log.js';
import { watchSqlite } from './changes.js';
import { Feeds } from '../change-feed.js';

/**
 * One SQLite database per stash, `<path>/data.sqlite`, through better-sqlite3 (loaded on first use).
 * Every HashStash object, worker thread and process opens its own connection; WAL mode lets readers run beside one
 * writer, and the busy timeout makes concurrent writers wait for each other instead of failing.
 *
 * Durability: `synchronous = NORMAL` in WAL mode. Every commit is atomic and survives a crash of the process; a power
 * loss or OS crash may undo the last commits (those not yet checkpointed) but never corrupts the database.
 *
 * Schema: a rowid table with a unique index on `key`, not a WITHOUT ROWID table. Measured on 20,000 entries, a
 * WITHOUT ROWID table reads a 100-byte value 4-12% faster (one b-tree instead of index + table), but it keeps whole
 * rows in its interior pages: with 1 KB values its reads were 3x slower and its file 3.5x larger, with 50 KB values
 * reads were 4.5x slower. A cache holds values of any size, so the layout that stays fast for all of them wins.
 */
export { DATABASE_FILE };
export { BUSY_TIMEOUT_MS };
/** Iteration reads the table in key order, a page at a time, up to this many rows or bytes per page. */
const PAGE_ROWS = 1000;
const PAGE_BYTES = 4 * 1024 * 1024;

const codeOf = errorCode;

/** Why an operation failed, in words, from a SQLite result code or a file-system errno. */
function reasonOf(code: string): string | undefined {
  if (code === 'SQLITE_NOTADB') return 'the file is not a SQLite database';
  if (code.startsWith('SQLITE_CORRUPT')) return 'the database is corrupt';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return `another connection kept the database locked longer than the ${BUSY_TIMEOUT_MS / 1000} s busy timeout`;
  }
  if (code.startsWith('SQLITE_CANTOPEN')) return 'the database file cannot be opened';
  if (code === 'SQLITE_FULL') return 'the disk is full';
  return undefined;
}

/**
 * The statements of one connection, prepared once. Every read leaves out rows whose `expires_at` is at or before
 * the clock's now, so each read statement takes `now` as a parameter (after the key). On a read-only connection to a
 * database written before expiry existed (no `expires_at` column, and no blob in it expires) the same parameter is
 * taken and ignored: see {@link Connection.expiry}. Such a connection does not learn of a writable stash migrating the
 * database while it is open (and then writing expiring entries) until the stash is opened again.
 */
class Connection {
  readonly db: Database;
  /** The table has the `expires_at` column (always, on a connection that may write: the open adds it). */
  readonly expiry: boolean;
  readonly get: Statement;
  readonly has: Statement;
  readonly upsert: Statement;
  /** Returns the removed row's `expires_at` (a row: something was removed). */
  readonly remove: Statement;
  readonly count: Statement;
  /** How many rows have expired by the parameter: counted on the partial index of the expiring rows. */
  readonly countExpired: Statement | undefined;
  /** Whether any row expires: the keys scan looks at `expires_at` only then. */
  readonly anyExpiring: Statement | undefined;
  /** Removes the rows expired by `now` and their versions, in one transaction; how many rows. */
  readonly purge: (now: number) => number;
  readonly removeAll: Statement;
  readonly firstKeys: Statement;
  readonly nextKeys: Statement;
  readonly firstLiveKeys: Statement;
  readonly nextLiveKeys: Statement;
  readonly firstEntries: Statement;
  readonly nextEntries: Statement;
  readonly getMany: (keys: readonly Uint8Array[], now: number) => (Uint8Array | undefined)[];
  readonly setRange: (entries: readonly RawEntry[], start: number, end: number) => void;
  /** Absent on a read-only connection to a database that has never had a version. */
  readonly versions: SqliteVersions | undefined;

  constructor(db: Database, withVersions: boolean) {
    this.db = db;
    const expiry = (this.expiry = hasExpiryColumn(db));
    this.versions = withVersions ? new SqliteVersions(db, expiry) : undefined;
    // One parameter, the clock's now: compared with the column, or (no column) taken and ignored.
    const live = expiry ? '(expires_at IS NULL OR expires_at > ?)' : '(1 OR ?)';
    this.get = db.prepare(`SELECT value FROM entries WHERE key = ? AND ${live}`).pluck();
    this.has = db.prepare(`SELECT 1 FROM entries WHERE key = ? AND ${live}`).pluck();
    // An upsert rewrites the value in place; INSERT OR REPLACE would delete and re-insert the row and its index entry.
    this.upsert = expiry
      ? db.prepare(
          'INSERT INTO entries (key, value, expires_at) VALUES (?, ?, ?) ' +
            'ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
        )
      : db.prepare(
          'INSERT INTO entries (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        );
    this.remove = db.prepare(`DELETE FROM entries WHERE key = ? RETURNING ${expiry ? 'expires_at' : 'NULL'}`).pluck();
    this.count = db.prepare('SELECT count(*) FROM entries').pluck();
    this.countExpired = expiry ? db.prepare('SELECT count(*) FROM entries WHERE expires_at <= ?').pluck() : undefined;
    this.anyExpiring = expiry
      ? db.prepare('SELECT 1 FROM entries WHERE expires_at IS NOT NULL LIMIT 1').pluck()
      : undefined;
    this.removeAll = db.prepare('DELETE FROM entries');
    this.firstKeys = db.prepare('SELECT key FROM entries ORDER BY key LIMIT ?').pluck();
    this.nextKeys = db.prepare('SELECT key FROM entries WHERE key > ? ORDER BY key LIMIT ?').pluck();
    this.firstLiveKeys = db.prepare(`SELECT key FROM entries WHERE ${live} ORDER BY key LIMIT ?`).pluck();
    this.nextLiveKeys = db.prepare(`SELECT key FROM entries WHERE key > ? AND ${live} ORDER BY key LIMIT ?`).pluck();
    this.firstEntries = db.prepare(`SELECT key, value FROM entries WHERE ${live} ORDER BY key LIMIT ?`).raw();
    this.nextEntries = db
      .prepare(`SELECT key, value FROM entries WHERE key > ? AND ${live} ORDER BY key LIMIT ?`)
      .raw();
    const get = this.get;
    this.getMany = db.transaction((keys: readonly Uint8Array[], now: number) =>
      keys.map((key) => get.get(key, now) as Uint8Array | undefined),
    ).deferred;
    const upsert = this.upsert;
    // IMMEDIATE takes the write lock first, so a concurrent writer makes this wait (busy timeout) rather than fail.
    this.setRange = expiry
      ? db.transaction((entries: readonly RawEntry[], start: number, end: number) => {
          for (let i = start; i < end; i++) upsert.run(entries[i][0], entries[i][1], expiryColumn(entries[i][1]));
        }).immediate
      : db.transaction((entries: readonly RawEntry[], start: number, end: number) => {
          for (let i = start; i < end; i++) upsert.run(entries[i][0], entries[i][1]);
        }).immediate;
    if (expiry) {
      const purgeEntries = db.prepare('DELETE FROM entries WHERE expires_at <= ?');
      const purgeVersions = withVersions
        ? db.prepare('DELETE FROM versions WHERE key IN (SELECT key FROM entries WHERE expires_at <= ?)')
        : undefined;
      this.purge = db.transaction((now: number) => {
        purgeVersions?.run(now);
        return purgeEntries.run(now).changes;
      }).immediate;
    } else {
      this.purge = () => 0;
    }
  }
}

/** What one kind of scan reads: its two statements, each row checked, and a row's key and bytes. */
interface Scan<Row> {
  /** The statements, and the clock's now when they take it (after the key, before the limit). */
  statements(connection: Connection): [first: Statement, next: Statement, now?: number];
  row(raw: unknown): Row;
  keyOf(row: Row): Uint8Array;
  bytesOf(row: Row): number;
}

class SqliteStore implements SyncStore {
  readonly #folder: string;
  readonly #file: string;
  readonly #readonly: boolean;
  /** The clock expiry is judged by. */
  readonly #now: () => number;
  #connection: Connection | undefined;

  constructor(folder: string, readonly: boolean, now: () => number) {
    this.#folder = folder;
    this.#file = join(folder, DATABASE_FILE);
    this.#readonly = readonly;
    this.#now = now;
  }

  /** Turns a SQLite or file-system failure into a typed error naming the database file. */
  #fail(error: unknown, doing: string): never {
    if (error instanceof HashStashError) throw error;
    const code = codeOf(error);
    if (code === 'SQLITE_CANTOPEN' && onReadOnlyFileSystem(dirname(this.#file))) {
      // SQLite needs to create `-shm` beside a WAL database even to read it, and better-sqlite3 is built without the
      // URI filenames that would allow `immutable=1`; so a sqlite stash cannot be read from read-only storage.
      throw new EngineUnavailableError(
        `sqlite cannot ${doing} ${this.#file}: it is on a read-only file system, and SQLite must create ${basename(this.#file)}-shm ` +
          'beside a WAL database even to read it; copy the stash to writable storage (or use the lmdb or pairtree engine there)',
        this.#file,
        { cause: error },
      );
    }
    throw storageError(error, {
      engine: 'sqlite',
      doing,
      path: this.#file,
      readOnly: code.startsWith('SQLITE_READONLY') || isReadOnlyCode(code),
      reason: reasonOf(code),
    });
  }

  #exists(): boolean {
    try {
      statSync(this.#file);
      return true;
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return false;
      return this.#fail(error, 'open');
    }
  }

  /**
   * The open connection, opening it when needed. A stash whose database does not exist yet has none for reading
   * (undefined: it reads as empty and nothing is created); only a write creates the folder and the file.
   */
  #connect(forWrite: boolean): Connection | undefined {
    if (this.#readonly) {
      if (forWrite)
        throw new ReadOnlyError(`sqlite cannot write ${this.#file}: the stash was opened with readonly: true`);
      return this.#exists() ? this.#open(true, true) : undefined;
    }
    if (!forWrite) return this.#exists() ? this.#open(false, true) : undefined;
    try {
      mkdirSync(this.#folder, { recursive: true });
    } catch (error) {
      this.#fail(error, 'create the folder of');
    }
    return this.#open(false, false);
  }

  #open(readonly: boolean, fileMustExist: boolean): Connection | undefined {
    let db: Database | undefined;
    try {
      const opened = (db = connect(this.#file, { readonly, fileMustExist }));
      const connection = retryWhileLocked(this.#file, () => {
        if (!readonly) prepareForWrites(opened);
        // A database another process is creating may not have its table yet: until it has, the stash reads as empty.
        else if (!hasTable(opened, 'entries')) return undefined;
        return new Connection(opened, !readonly || hasTable(opened, 'versions'));
      });
      if (connection === undefined) db.close();
      return (this.#connection = connection);
    } catch (error) {
      try {
        db?.close();
      } catch {
        /* the open already failed; that error is the one to report */
      }
      return this.#fail(error, 'open');
    }
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const connection = this.#connection ?? this.#connect(false);
    if (connection === undefined) return undefined;
    try {
      const value = connection.get.get(key, this.#now());
      return value === undefined ? undefined : storedValue(value, key, this.#file);
    } catch (error) {
      return this.#fail(error, 'read');
    }
  }

  set(key: Uint8Array, value: Uint8Array): void {
    const connection = this.#connection ?? this.#connect(true)!;
    try {
      if (connection.expiry) connection.upsert.run(key, value, expiryColumn(value));
      else connection.upsert.run(key, value);
    } catch (error) {
      this.#fail(error, 'write');
    }
  }

  has(key: Uint8Array): boolean {
    const connection = this.#connection ?? this.#connect(false);
    if (connection === undefined) return false;
    try {
      return connection.has.get(key, this.#now()) !== undefined;
    } catch (error) {
      return this.#fail(error, 'read');
    }
  }

  /** Removes the row (and its versions); true when it held a value that had not expired. */
  delete(key: Uint8Array): boolean {
    const connection = this.#connection ?? this.#connect(false);
    if (connection === undefined) return false;
    try {
      const removed = connection.versions ? connection.versions.deleteKey(key) : connection.remove.all(key);
      if (removed.length === 0) return false;
      const expiresAt = removed[0] as number | null;
      return expiresAt === null || expiresAt > this.#now();
    } catch (error) {
      return this.#fail(error, 'delete from');
    }
  }

  /** Exact: the rows, less those expired, which the partial index of expiring rows counts. */
  size(): number {
    const connection = this.#connection ?? this.#connect(false);
    if (connection === undefined) return 0;
    try {
      const rows = connection.count.get() as number;
      return connection.countExpired ? rows - (connection.countExpired.get(this.#now()) as number) : rows;
    } catch (error) {
      return this.#fail(error, 'count');
    }
  }

  /** One DELETE of the rows expired by now (on the partial index), with their versions, in one transaction. */
  purgeExpired(): number {
    const connection = this.#connection ?? this.#connect(false);
    if (connection === undefined) return 0;
    try {
      return connection.purge(this.#now());
    } catch (error) {
      return this.#fail(error, 'purge');
    }
  }

  /** Bytes used and reserved, from pragmas (stats.ts). */
  stats() {
    return sqliteStats((this.#connection ?? this.#connect(false))?.db, this.#file);
  }

  /** Deletes the rows, not the file: other connections keep using it. */
  clear(): void {
    const connection = this.#connection ?? this.#connect(false);
    if (connection === undefined) return;
    try {
      // Logged as one `clear` for watchers (changes.ts), not as a delete per entry.
      if (connection.versions) clearLogged(connection.db, connection.versions.clearAll);
      else clearLogged(connection.db, () => connection.removeAll.run());
    } catch (error) {
      this.#fail(error, 'clear');
    }
  }

  getMany(keys: readonly Uint8Array[]): (Uint8Array | undefined)[] {
    if (keys.length === 0) return [];
    const connection = this.#connection ?? this.#connect(false);
    if (connection === undefined) return keys.map(() => undefined);
    try {
      return connection
        .getMany(keys, this.#now())
        .map((value, i) => (value === undefined ? undefined : storedValue(value, keys[i], this.#file)));
    } catch (error) {
      return this.#fail(error, 'read');
    }
  }

  /** One transaction per batch of WRITE_BATCH entries; a batch that fails is rolled back whole. */
  setMany(entries: Iterable<RawEntry>): void {
    if (Array.isArray(entries)) {
      for (let start = 0; start < entries.length; start += WRITE_BATCH) {
        this.#writeRange(entries, start, Math.min(entries.length, start + WRITE_BATCH));
      }
      return;
    }
    let batch: RawEntry[] = [];
    for (const entry of entries) {
      batch.push(entry);
      if (batch.length >= WRITE_BATCH) {
        this.#writeRange(batch, 0, batch.length);
        batch = [];
      }
    }
    if (batch.length) this.#writeRange(batch, 0, batch.length);
  }

  #writeRange(entries: readonly RawEntry[], start: number, end: number): void {
    const connection = this.#connection ?? this.#connect(true)!;
    try {
      connection.setRange(entries, start, end);
    } catch (error) {
      this.#fail(error, 'write');
    }
  }

  /**
   * Iteration reads key-ordered pages, each query run to its end before anything is yielded: better-sqlite3 forbids
   * other statements on a connection while an iterator is open, and the caller may write between two entries.
   * Each page is its own short read, so a long scan pins no snapshot (checkpoints go on); it sees once every entry
   * present throughout, and the entries written meanwhile ahead of the current key.
   */
  keys(): Iterable<Uint8Array> {
    const file = this.#file;
    return this.#scan<Uint8Array>({
      // Keys alone are read from the key index; `expires_at` is looked at only in a table where some row expires.
      statements: (c) =>
        c.anyExpiring?.get() === undefined ? [c.firstKeys, c.nextKeys] : [c.firstLiveKeys, c.nextLiveKeys, this.#now()],
      row: (key) => storedKey(key, file),
      keyOf: (key) => key,
      bytesOf: (key) => key.byteLength,
    });
  }

  entries(): Iterable<RawEntry> {
    const file = this.#file;
    return this.#scan<RawEntry>({
      statements: (c) => [c.firstEntries, c.nextEntries, this.#now()],
      row: (row: [unknown, unknown]) => {
        storedValue(row[1], storedKey(row[0], file), file);
        return row as RawEntry;
      },
      keyOf: (row) => row[0],
      bytesOf: (row) => row[0].byteLength + row[1].byteLength,
    });
  }

  *#scan<Row>(scan: Scan<Row>): Generator<Row> {
    let after: Uint8Array | undefined;
    for (;;) {
      const { page, complete } = this.#page(scan, after);
      yield* page;
      if (complete) return;
      after = scan.keyOf(page[page.length - 1]);
    }
  }

  /** Up to PAGE_ROWS rows after `after`, fewer when their bytes reach PAGE_BYTES; `complete` when no more follow. */
  #page<Row>(scan: Scan<Row>, after: Uint8Array | undefined): { page: Row[]; complete: boolean } {
    const connection = this.#connection ?? this.#connect(false);
    if (connection === undefined) return { page: [], complete: true };
    const page: Row[] = [];
    let bytes = 0;
    try {
      const [first, next, now] = scan.statements(connection);
      const params = now === undefined ? [PAGE_ROWS] : [now, PAGE_ROWS];
      for (const raw of after === undefined ? first.iterate(...params) : next.iterate(after, ...params)) {
        const row = scan.row(raw);
        page.push(row);
        bytes += scan.bytesOf(row);
        // Leaving the loop early closes the statement.
        if (bytes >= PAGE_BYTES) return { page, complete: false };
      }
    } catch (error) {
      return this.#fail(error, 'read');
    }
    return { page, complete: page.length < PAGE_ROWS };
  }

  readonly append: SyncAppendStore = {
    append: (key, value) => {
      const connection = this.#connection ?? this.#connect(true)!;
      try {
        return connection.versions!.append(key, value);
      } catch (error) {
        return this.#fail(error, 'write');
      }
    },
    appendMany: (entries) => {
      const connection = this.#connection ?? this.#connect(true)!;
      try {
        connection.versions!.appendMany(entries);
      } catch (error) {
        this.#fail(error, 'write');
      }
    },
    versions: (key) => this.#versions(key),
  };

  *#versions(key: Uint8Array): Generator<RawVersion> {
    let after = 0;
    for (;;) {
      const connection = this.#connection ?? this.#connect(false);
      if (connection?.versions === undefined) return;
      let page: { versions: RawVersion[]; complete: boolean };
      try {
        page = connection.versions.page(key, after);
      } catch (error) {
        return this.#fail(error, 'read');
      }
      for (const version of page.versions) storedValue(version.value, key, this.#file);
      yield* page.versions;
      if (page.complete) return;
      after = page.versions[page.versions.length - 1].version;
    }
  }

  readonly #writing = {
    write: (key: Uint8Array, value: Uint8Array) => this.set(key, value),
    remove: (key: Uint8Array) => void this.delete(key),
  };
  compareAndSet(key: Uint8Array, expected: Uint8Array | undefined, next: Uint8Array | undefined): boolean {
    const connection = (this.#readonly ? undefined : this.#connection) ?? this.#connect(true)!;
    try {
      return compareAndSetIn(connection.db, this.#file, key, expected, next, this.#now(), this.#writing);
    } catch (error) {
      return this.#fail(error, 'write');
    }
  }

  /** Closes the connection; the next operation opens a new one. */
  close(): void {
    const connection = this.#connection;
    this.#connection = undefined;
    try {
      connection?.db.close();
    } catch (error) {
      this.#fail(error, 'close');
    }
  }
}

export function createSqliteEngine(context: EngineContext): LocalEngine {
  const store = new SqliteStore(context.path, context.readonly, context.now);
  const feeds = new Feeds();
  const engine = new LocalEngine(
    'sqlite',
    {
      persistent: true,
      sync: true,
      sharedAcrossProcesses: true,
      sharedAcrossThreads: true,
      nativeAppend: true,
      hidesExpired: true,
    },
    store,
    () => {
      void feeds.closeAll();
      store.close();
    },
  );
  engine.watch = (options) => watchSqlite(context.path, context.readonly, feeds, options);
  return engine;
}
