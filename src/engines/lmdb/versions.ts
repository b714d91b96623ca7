import { hash } from 'node:crypto';
import type { Database } from 'lmdb';
import type { RawVersion } from '../engine.js';
import { versionTimestamp } from '../version-stamp.js';
import { logSet } from './changes.js';

/**
 * Append mode on lmdb: versions live in the same database as the entries, in a key space of their own that starts
 * with the byte 0x02 (canonical keys start with a printable character, long-key records with 0x01):
 *   [0x02][sha256(key)][u32 BE version]  →  [f64 LE timestamp][blob]     one entry per version, in version order
 *   [0x02]                               →  [f64 LE number of version entries]  so `size()` can leave them out
 * An append is one write transaction, which LMDB runs alone even among processes: it reads the key's highest version
 * (one B-tree lookup) and its timestamp, writes the next one and the key's current value, so the cost does not grow
 * with the history.
 */
export const VERSION_SPACE = 0x02;
/** The first key after the version space: iteration of the entries jumps here. */
export const AFTER_VERSION_SPACE = Buffer.from([VERSION_SPACE + 1]);
const COUNT_KEY = Buffer.from([VERSION_SPACE]);
const PREFIX_BYTES = 33;
const PAGE = 256;
const LAST_VERSION = 0xffffffff;

type Db = Database<Buffer, Buffer>;

function prefixOf(key: Uint8Array): Buffer {
  const prefix = Buffer.allocUnsafe(PREFIX_BYTES + 4);
  prefix[0] = VERSION_SPACE;
  hash('sha256', key, 'buffer').copy(prefix, 1);
  return prefix;
}

function versionKey(prefix: Buffer, version: number): Buffer {
  const key = Buffer.from(prefix);
  key.writeUInt32BE(version, PREFIX_BYTES);
  return key;
}

/** How many version entries the database holds (0 when it never had one). */
export function versionEntries(db: Db): number {
  const count = db.getBinary(COUNT_KEY);
  return count === undefined ? 0 : count.readDoubleLE(0);
}

/** Whether the database holds the count entry, i.e. whether `size()` must leave out a version space. */
export const hasVersionSpace = (db: Db): boolean => db.getBinary(COUNT_KEY) !== undefined;

function addToCount(db: Db, delta: number): void {
  const count = Buffer.allocUnsafe(8);
  count.writeDoubleLE(versionEntries(db) + delta, 0);
  db.putSync(COUNT_KEY, count);
}

/**
 * Stores the next version of `key` and its current value (`record`, as LmdbStore writes it), in one write transaction.
 * Returns the version number.
 */
export function appendVersion(db: Db, key: Uint8Array, record: [Uint8Array, Uint8Array], value: Uint8Array): number {
  return db.transactionSync(() => appendInTransaction(db, key, record, value));
}

/** The same, inside the caller's write transaction (several appends sharing one commit). */
export function appendInTransaction(
  db: Db,
  key: Uint8Array,
  record: [Uint8Array, Uint8Array],
  value: Uint8Array,
): number {
  const prefix = prefixOf(key);
  const [last] = db.getKeys({
    start: versionKey(prefix, LAST_VERSION),
    end: prefix.subarray(0, PREFIX_BYTES),
    reverse: true,
    limit: 1,
  });
  const version = last === undefined ? 1 : last.readUInt32BE(PREFIX_BYTES) + 1;
  const previous = version === 1 ? undefined : db.getBinaryFast(versionKey(prefix, version - 1))!.readDoubleLE(0);
  const stored = Buffer.allocUnsafe(8 + value.length);
  stored.writeDoubleLE(versionTimestamp(previous), 0);
  stored.set(value, 8);
  db.putSync(versionKey(prefix, version), stored);
  db.putSync(record[0] as Buffer, record[1] as Buffer);
  addToCount(db, 1);
  logSet(db, key);
  return version;
}

/** Oldest first, a page at a time, each page its own short read. */
export function* versionsOf(db: Db, key: Uint8Array): Generator<RawVersion> {
  const prefix = prefixOf(key);
  const end = versionKey(prefix, LAST_VERSION);
  let start = versionKey(prefix, 1);
  for (;;) {
    const page = Array.from(db.getRange({ start, end, limit: PAGE }), ({ key: k, value }) => ({
      version: k.readUInt32BE(PREFIX_BYTES),
      timestamp: value.readDoubleLE(0),
      value: value.subarray(8),
    }));
    yield* page;
    if (page.length < PAGE) return;
    start = versionKey(prefix, page[page.length - 1].version + 1);
  }
}

/** Removes every version of `key`; call inside a write transaction. */
export function removeVersions(db: Db, key: Uint8Array): void {
  const prefix = prefixOf(key);
  const range = { start: versionKey(prefix, 1), end: versionKey(prefix, LAST_VERSION), limit: PAGE };
  let removed = 0;
  for (let page = Array.from(db.getKeys(range)); page.length; page = Array.from(db.getKeys(range))) {
    for (const versionEntry of page) db.removeSync(versionEntry);
    removed += page.length;
  }
  if (removed) addToCount(db, -removed);
}
