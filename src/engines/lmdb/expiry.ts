import type { Database } from 'lmdb';
import { carriesExpiry, isExpiredAt } from '../expiry.js';
import { AFTER_WATCH_SPACE, changeLogger, LOG_DELETE, WATCH_SPACE } from './changes.js';
import { hasVersionSpace, removeVersions, VERSION_SPACE } from './versions.js';

/**
 * Expiry on lmdb. Expired entries stay in the database until `purgeExpired()` removes them; every read leaves them
 * out (the store tests the blob's header, see engines/expiry.ts). To keep a stash that never had an expiring entry as
 * fast as before, the database holds a mark once an expiring entry is written to it, under a key of the version space
 * that no version takes ([0x02 0x00 'e']: version keys are 37 bytes, the version count is [0x02]):
 * - without the mark, `keys()` reads no values, `size()` is LMDB's entry count, and `purgeExpired()` returns 0 at once;
 * - with it, `keys()` and `size()` read the values to leave the expired ones out, and `purgeExpired()` scans.
 * The mark is written in the same transaction as the entry (asynchronous writes: in the same batch, before it), and
 * only `clear()` removes it.
 */
export const EXPIRING_MARK = Buffer.from([VERSION_SPACE, 0x00, 0x65]);
const MARK_VALUE = Buffer.from([1]);
/** Entries a purge reads (and removes from) per write transaction, so other writers wait at most one page. */
const PURGE_PAGE = 10_000;
const LONG_KEY_PREFIX = 0x01;

type Db = Database<Buffer, Buffer>;

/** Whether the database has ever held an expiring entry since it was last cleared. */
export const isMarked = (db: Db): boolean => db.getBinaryFast(EXPIRING_MARK) !== undefined;

/** Writes the mark when `value` expires and the database has none; call inside a write transaction. */
export function markIfExpiring(db: Db, value: Uint8Array): void {
  if (carriesExpiry(value) && !isMarked(db)) db.putSync(EXPIRING_MARK, MARK_VALUE);
}

/** For an asynchronous write: the mark's own put when `value` expires and the database has none, else undefined. */
export function markAsync(db: Db, value: Uint8Array): Promise<boolean> | undefined {
  return carriesExpiry(value) && !isMarked(db) ? db.put(EXPIRING_MARK, MARK_VALUE) : undefined;
}

/**
 * Removes every entry expired at `now`, a page of PURGE_PAGE entries per write transaction: each entry is tested and
 * removed inside the transaction that removes it, so one set again meanwhile stays. Long-key records are tested on
 * the blob they wrap; an expired key's versions go with it.
 */
export function purgeExpired(
  db: Db,
  now: number,
  blobOf: (key: Buffer, record: Buffer) => [Uint8Array, Uint8Array],
): number {
  if (!isMarked(db)) return 0;
  let removed = 0;
  let after: Buffer | undefined;
  let exclusiveStart = false;
  for (;;) {
    const page = db.transactionSync(() => {
      const withVersions = hasVersionSpace(db);
      const log = changeLogger(db);
      const records = Array.from(
        db.getRange({ start: after, exclusiveStart, limit: PURGE_PAGE }),
        ({ key, value }) => [key, value] as const,
      );
      let last: Buffer | undefined;
      let intoVersions = false;
      for (const [key, record] of records) {
        if (key[0] === VERSION_SPACE || key[0] === WATCH_SPACE) {
          intoVersions = true;
          break;
        }
        last = key;
        const [fullKey, blob] = key[0] === LONG_KEY_PREFIX ? blobOf(key, record) : [key, record];
        if (!isExpiredAt(blob, now)) continue;
        if (withVersions) removeVersions(db, fullKey);
        db.removeSync(key);
        log?.(LOG_DELETE, fullKey);
        removed++;
      }
      return { count: records.length, last, intoVersions };
    });
    if (page.intoVersions) {
      // Jump over the versions and the change log (changes.ts): entries go on after them.
      after = AFTER_WATCH_SPACE;
      exclusiveStart = false;
      continue;
    }
    if (page.count < PURGE_PAGE) return removed;
    after = page.last;
    exclusiveStart = true;
  }
}
