import type { Database } from 'lmdb';
import { matchesExpected } from '../compare-and-set.js';
import { logDelete, logSet } from './changes.js';
import { hasVersionSpace, removeVersions } from './versions.js';

type Db = Database<Buffer, Buffer>;

/** How the store names and wraps a key's record (LmdbStore.record): the key LMDB sees and the bytes it stores. */
export type RecordOf = (key: Uint8Array, value: Uint8Array) => [Uint8Array, Uint8Array];

/** Keys up to this many bytes are stored as themselves; longer ones under a hash, their value wrapped (store.ts). */
const MAX_DIRECT_KEY = 1978;
const EMPTY = Buffer.alloc(0);

/** The blob stored under `key`, read inside the caller's transaction. */
function currentValue(db: Db, key: Uint8Array, recordOf: RecordOf): Uint8Array | undefined {
  if (key.length <= MAX_DIRECT_KEY) return db.getBinary(key as Buffer);
  const record = db.getBinary(recordOf(key, EMPTY)[0] as Buffer);
  if (record === undefined) return undefined;
  // A long key's record is [u32 key length][key][blob], and the full key is compared (another key may share the hash).
  const length = record.readUInt32LE(0);
  return record.subarray(4, 4 + length).equals(key) ? record.subarray(4 + length) : undefined;
}

/**
 * Compare-and-set on lmdb, to run inside a write transaction (`transactionSync`, or lmdb-js's batched asynchronous
 * `transaction`): LMDB runs one write transaction at a time across every thread and process of the environment, and
 * reads inside it see the transaction's own state, so nothing can write between the comparison and the write.
 * `next` undefined deletes the key and its versions, as `delete` does. Append mode: it compares and replaces the
 * key's current value and adds no version. `beforeWrite` runs in the transaction before `next` is stored: for what
 * the store's `set` keeps beside a value (such as a mark that values expire).
 */
export function compareAndSetInTransaction(
  db: Db,
  key: Uint8Array,
  expected: Uint8Array | undefined,
  next: Uint8Array | undefined,
  now: number,
  recordOf: RecordOf,
  beforeWrite?: (db: Db, value: Uint8Array) => void,
): boolean {
  const current = currentValue(db, key, recordOf);
  if (!matchesExpected(current, expected, now)) return false;
  if (next !== undefined) {
    beforeWrite?.(db, next);
    const [k, v] = recordOf(key, next);
    db.putSync(k as Buffer, v as Buffer);
    logSet(db, key);
    return true;
  }
  if (hasVersionSpace(db)) removeVersions(db, key);
  if (current !== undefined) {
    db.removeSync(recordOf(key, EMPTY)[0] as Buffer);
    logDelete(db, key);
  }
  return true;
}
