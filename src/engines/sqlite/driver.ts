/**
 * The parts of better-sqlite3 the sqlite engine uses (the package ships no types), in a module of their own so that
 * store.ts, open.ts and versions.ts all import them from here and not from each other.
 */
/** A prepared statement. */
export interface Statement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
  iterate(...params: unknown[]): IterableIterator<unknown>;
  pluck(): this;
  raw(): this;
}
export interface Transaction<A extends unknown[], R> {
  (...args: A): R;
  deferred: (...args: A) => R;
  immediate: (...args: A) => R;
}
export interface Database {
  prepare(sql: string): Statement;
  pragma(sql: string, options?: { simple: boolean }): unknown;
  exec(sql: string): void;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): Transaction<A, R>;
  close(): void;
}
