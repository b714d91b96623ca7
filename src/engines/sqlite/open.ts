import { driverDidNotLoad, loadDriver } from '../../drivers.js';
import { EngineUnavailableError } from '../../errors.js';
import { errorCode } from '../fs-errors.js';
import type { Database } from './driver.js';
import { CREATE_VERSIONS_TABLE } from './versions.js';
import { prepareChanges } from './change-log.js';

/**
 * Opening a connection: loading better-sqlite3, and making the connection ready while other processes open, create
 * or recover the same database.
 *
 * SQLite's busy timeout covers a transaction that starts with no other open on its connection, but some steps of an
 * open return SQLITE_BUSY at once: switching a new database to WAL runs its write inside a read transaction, and a
 * connection that holds a read lock while another waits for the exclusive lock must give up (else both would wait
 * forever). So every step of an open is retried, with jittered backoff, while it fails only because the database is
 * locked, up to OPEN_LOCKED_LIMIT_MS in all.
 */

/** How long a connection waits for another one's write lock before failing. */
export const BUSY_TIMEOUT_MS = 5_000;
/** How long an open keeps retrying a database that other connections keep locked. */
export const OPEN_LOCKED_LIMIT_MS = 30_000;
/** Backoff between attempts: doubling from the first to the last, each randomized by ±50% so openers spread out. */
const FIRST_DELAY_MS = 2;
const LAST_DELAY_MS = 250;
/** After a checkpoint, a WAL file that one large batch grew is cut back to this size. */
const WAL_SIZE_LIMIT = 32 * 1024 * 1024;

/**
 * `expires_at`: when the value expires (ms since the epoch, the blob's header field), NULL for never; written by the
 * same statement as the value. Its index is partial, over the rows that expire only, so a write without expiry
 * touches no index it did not touch before, and `purgeExpired` and counting the expired rows read only those rows.
 */
const CREATE_TABLE =
  'CREATE TABLE IF NOT EXISTS entries (key BLOB NOT NULL PRIMARY KEY, value BLOB NOT NULL, expires_at REAL)';
const ADD_EXPIRY_COLUMN = 'ALTER TABLE entries ADD COLUMN expires_at REAL';
const EXPIRY_INDEX = 'entries_expires_at';
const CREATE_EXPIRY_INDEX = `CREATE INDEX IF NOT EXISTS ${EXPIRY_INDEX} ON entries (expires_at) WHERE expires_at IS NOT NULL`;

const codeOf = errorCode;

type DatabaseClass = new (
  file: string,
  options: { readonly: boolean; fileMustExist: boolean; timeout: number },
) => Database;

/** Set once a connection has opened: from then on the native addon is known to load. */
let addonLoaded = false;

/**
 * A new connection to `file`, for a stash opened `readonly` or not. A readonly stash opens the file read-write too,
 * and query_only refuses every write: SQLite reads a WAL database through its -wal and -shm files, creating them when
 * absent, and a read-only connection could never remove them again, while the last read-write connection to close
 * does, leaving the folder as it was. (Where the file cannot be written, SQLite opens it read-only by itself.)
 */
export function connect(
  file: string,
  { readonly, fileMustExist }: { readonly: boolean; fileMustExist: boolean },
): Database {
  const Database = loadDriver<DatabaseClass>('better-sqlite3');
  let db: Database;
  try {
    db = new Database(file, { readonly: false, fileMustExist, timeout: BUSY_TIMEOUT_MS });
    addonLoaded = true;
  } catch (error) {
    if (!addonLoaded && !codeOf(error).startsWith('SQLITE_') && !(error instanceof TypeError)) {
      // better-sqlite3 loads its native addon on the first connection, not when it is required.
      throw driverDidNotLoad('better-sqlite3', error);
    }
    throw error;
  }
  if (readonly) db.pragma('query_only = ON');
  return db;
}

/**
 * Locked by another connection, for now: SQLITE_BUSY and its extended codes (RECOVERY while another connection rebuilds
 * the WAL index, SNAPSHOT), and SQLITE_PROTOCOL, which SQLite returns when WAL locks kept changing under it.
 */
export function isLocked(error: unknown): boolean {
  const code = codeOf(error);
  return code.startsWith('SQLITE_BUSY') || code === 'SQLITE_PROTOCOL';
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Blocks the thread: the engine is synchronous, and SQLite's own busy handler blocks the same way. */
const sleep = (ms: number) => Atomics.wait(sleeper, 0, 0, ms);

/** `step()`, tried again while it fails because the database is locked; EngineUnavailableError after `limitMs`. */
export function retryWhileLocked<T>(file: string, step: () => T, limitMs = OPEN_LOCKED_LIMIT_MS): T {
  const started = performance.now();
  for (let delay = FIRST_DELAY_MS; ; delay = Math.min(LAST_DELAY_MS, delay * 2)) {
    try {
      return step();
    } catch (error) {
      if (!isLocked(error)) throw error;
      const waited = performance.now() - started;
      if (waited >= limitMs) {
        throw new EngineUnavailableError(
          `sqlite cannot open ${file}: other connections kept the database locked for ${(waited / 1000).toFixed(1)} s ` +
            `(${codeOf(error)}: ${(error as Error).message})`,
          file,
          { cause: error },
        );
      }
      sleep(Math.min(delay * (0.5 + Math.random()), limitMs - waited));
    }
  }
}

export const hasTable = (db: Database, name: string): boolean =>
  !!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(name);

const hasIndex = (db: Database, name: string): boolean =>
  !!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?").pluck().get(name);

/** Whether the `entries` table has the `expires_at` column: databases written before expiry existed do not. */
export const hasExpiryColumn = (db: Database): boolean =>
  !!db.prepare("SELECT 1 FROM pragma_table_info('entries') WHERE name = 'expires_at'").pluck().get();

/**
 * Gives a database written before expiry existed its `expires_at` column (NULL in every row: those blobs never
 * expire) and index. Checked and added in one IMMEDIATE transaction, so two processes opening it at once add it once;
 * BUSY from the transaction is retried by the open like every other step.
 */
function migrateToExpiry(db: Database): void {
  db.transaction(() => {
    if (!hasExpiryColumn(db)) db.exec(ADD_EXPIRY_COLUMN);
  }).immediate();
}

/**
 * WAL mode, the pragmas and the tables, each step only when needed: asking the journal mode and looking up a table
 * only read, while switching to WAL takes the exclusive lock, so only the first opener of a new database switches.
 */
export function prepareForWrites(db: Database): void {
  if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
  if (!hasTable(db, 'entries')) db.exec(CREATE_TABLE);
  else if (!hasExpiryColumn(db)) migrateToExpiry(db);
  if (!hasIndex(db, EXPIRY_INDEX)) db.exec(CREATE_EXPIRY_INDEX);
  if (!hasTable(db, 'versions')) db.exec(CREATE_VERSIONS_TABLE);
  prepareChanges(db, hasTable);
}
