import type { Database, Statement } from './driver.js';

/**
 * The tables and triggers of the sqlite change feed (changes.ts), apart from the watcher so that opening a database
 * (open.ts) can prepare them without depending on the feed.
 */
const RING = 10_000;
export const SET = 1;
const DELETE = 2;
export const CLEAR = 3;

const SCHEMA = [
  'CREATE TABLE IF NOT EXISTS hashstash_changes (seq INTEGER PRIMARY KEY, type INTEGER NOT NULL, key BLOB)',
  'CREATE TABLE IF NOT EXISTS hashstash_watchers (id TEXT PRIMARY KEY, seen REAL NOT NULL)',
  `CREATE TRIGGER IF NOT EXISTS hashstash_changes_ring AFTER INSERT ON hashstash_changes
     BEGIN DELETE FROM hashstash_changes WHERE seq <= NEW.seq - ${RING}; END`,
];
const DELETE_TRIGGER = `CREATE TRIGGER IF NOT EXISTS hashstash_log_delete AFTER DELETE ON entries
  BEGIN INSERT INTO hashstash_changes (type, key) VALUES (${DELETE}, OLD.key); END`;
export const TRIGGERS = [
  `CREATE TRIGGER IF NOT EXISTS hashstash_log_insert AFTER INSERT ON entries
     BEGIN INSERT INTO hashstash_changes (type, key) VALUES (${SET}, NEW.key); END`,
  `CREATE TRIGGER IF NOT EXISTS hashstash_log_update AFTER UPDATE ON entries
     BEGIN INSERT INTO hashstash_changes (type, key) VALUES (${SET}, NEW.key); END`,
  DELETE_TRIGGER,
];
export const DROP_TRIGGERS = ['hashstash_log_insert', 'hashstash_log_update', 'hashstash_log_delete'].map(
  (name) => `DROP TRIGGER IF EXISTS ${name}`,
);

/** Creates the log and the registration table where they are missing (prepareForWrites calls it). */
export function prepareChanges(db: Database, hasTable: (db: Database, name: string) => boolean): void {
  if (hasTable(db, 'hashstash_watchers')) return;
  db.transaction(() => {
    for (const statement of SCHEMA) db.exec(statement);
  }).immediate();
}

const watchedStatements = new WeakMap<Database, Statement>();

/**
 * `clear` as the engine runs it: while watched, with the delete trigger dropped and one `clear` logged instead, in one
 * transaction; else as it is.
 */
export function clearLogged(db: Database, clear: () => void): void {
  let watched = watchedStatements.get(db);
  if (!watched)
    watchedStatements.set(
      db,
      (watched = db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'hashstash_log_delete'")
        .pluck()),
    );
  const statement = watched;
  db.transaction(() => {
    if (statement.get() === undefined) return clear();
    db.exec('DROP TRIGGER hashstash_log_delete');
    clear();
    db.exec(DELETE_TRIGGER);
    db.exec(`INSERT INTO hashstash_changes (type, key) VALUES (${CLEAR}, NULL)`);
  }).immediate();
}
