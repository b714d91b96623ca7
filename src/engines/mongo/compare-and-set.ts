import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Collection } from 'mongodb';
import { EngineUnavailableError } from '../../errors.js';
import { isExpiredAt, matchesExpected } from '../compare-and-set.js';
import type { StoredDocument } from './naming.js';
import { removeVersions, type VersionDocument } from './versions.js';

/**
 * Compare-and-set on mongo, built on the one write that is atomic on MongoDB and on FerretDB 1.x alike: an insert
 * under a unique `_id`. (FerretDB 1.x runs a filtered update or delete as a read, then a write by `_id`, so a filter on
 * the stored bytes would not make `replaceOne`/`deleteOne` conditional there: two callers could both match.)
 *
 * - Absent to a value (`expected` undefined: `setIfAbsent`, taking a lease) is an insert of the entry's document:
 *   the unique `_id` lets exactly one of any number of racing callers, on any machine, succeed; the others get a
 *   duplicate key error and answer false, unless the document they met has expired, which goes the locked way.
 * - Everything else (replacing or deleting a given value, replacing an expired one) runs under the key's lock: a
 *   document `{ _id: "\u0003" + <entry id>, o: <owner token>, e: <expires, ms> }` inserted in the stash's
 *   `.versions` collection (canonical keys start with a printable character, so no entry, counter or version id
 *   starts with \u0003; `clear` drops the collection with everything in it). Holding it, the caller reads the entry,
 *   compares its bytes and replaces it (`replaceOne` by `_id`), inserts it (where it is gone) or deletes it with its
 *   versions. An insert racing a locked replace finds the entry there and fails; one racing a locked delete comes
 *   after it. A holder that dies leaves its lock, which any caller removes once it is LOCK_TTL_MS old by the
 *   caller's clock (machines sharing a server must agree on the time within that).
 *
 * Atomic with respect to other compare-and-sets (and so `setIfAbsent` and leases); a plain `set` or `delete` of the same
 * key at the same moment takes no lock and may land between a locked comparison and its write. Append mode: it
 * compares and replaces the key's current value and adds no version.
 */
const LOCK_MARK = '\u0003';
/** A key lock older than this was left by a holder that died (a compare-and-set holds it for a few round trips). */
export const LOCK_TTL_MS = 30_000;
/** How long a caller waits for a key lock held all along by live holders. */
const WAIT_LIMIT_MS = 60_000;
const FIRST_DELAY_MS = 2;
const LAST_DELAY_MS = 100;
const DUPLICATE_KEY = 11000;
const ATTEMPTS = 100;

interface LockDocument {
  _id: string;
  o: string;
  e: number;
}

const isDuplicateKey = (error: unknown) => (error as { code?: unknown })?.code === DUPLICATE_KEY;

/**
 * Which entry: its `_id`, and the store's own document for a value under it (`_id`, `k` where the id is a hash of the
 * key, `v`, and whatever else a plain `set` writes beside them), so a compare-and-set stores what a `set` would.
 */
export interface EntryId {
  readonly _id: string;
  readonly documentOf: (value: Uint8Array) => StoredDocument;
}

async function insertEntry(entries: Collection<StoredDocument>, entry: EntryId, value: Uint8Array): Promise<boolean> {
  try {
    await entries.insertOne(entry.documentOf(value));
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

async function currentValue(entries: Collection<StoredDocument>, id: string): Promise<Uint8Array | undefined> {
  const document = await entries.findOne({ _id: id }, { projection: { _id: 0, v: 1 } });
  return document === null ? undefined : document.v;
}

/** Runs `work` holding the key lock of entry `id`. */
async function withKeyLock<T>(locks: Collection<VersionDocument>, id: string, work: () => Promise<T>): Promise<T> {
  const collection = locks as unknown as Collection<LockDocument>;
  const lockId = LOCK_MARK + id;
  const owner = randomBytes(12).toString('hex');
  const started = Date.now();
  for (let wait = FIRST_DELAY_MS; ; wait = Math.min(LAST_DELAY_MS, wait * 2)) {
    try {
      await collection.insertOne({ _id: lockId, o: owner, e: Date.now() + LOCK_TTL_MS });
      break;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const held = await collection.findOne({ _id: lockId });
    if (held === null) continue;
    if (held.e <= Date.now()) {
      // Left by a holder that died: only that very lock (its owner token) is removed.
      await collection.deleteOne({ _id: lockId, o: held.o });
      continue;
    }
    if (Date.now() - started > WAIT_LIMIT_MS) {
      throw new EngineUnavailableError(
        `mongo: the compare-and-set lock of entry ${JSON.stringify(id)} was held by live holders for ${WAIT_LIMIT_MS / 1000} s`,
        lockId,
      );
    }
    await delay(wait * (0.5 + Math.random()));
  }
  try {
    return await work();
  } finally {
    await collection.deleteOne({ _id: lockId, o: owner });
  }
}

/** Compare-and-set of the entry `entry` in `entries`; `locks` is the stash's `.versions` collection. See above. */
export async function compareAndSetDocument(
  entries: Collection<StoredDocument>,
  locks: Collection<VersionDocument>,
  entry: EntryId,
  expected: Uint8Array | undefined,
  next: Uint8Array | undefined,
  now: () => number,
): Promise<boolean> {
  const id = entry._id;
  for (let attempt = 1; ; attempt++) {
    if (expected === undefined) {
      const found =
        next === undefined
          ? await currentValue(entries, id)
          : (await insertEntry(entries, entry, next))
            ? null
            : await currentValue(entries, id);
      if (found === null) return true;
      // Gone again since the insert failed: try the insert again.
      if (found === undefined) {
        if (next === undefined) return true;
        if (attempt < ATTEMPTS) continue;
      } else if (!isExpiredAt(found, now())) {
        return false;
      }
    }
    return withKeyLock(locks, id, async () => {
      const current = await currentValue(entries, id);
      if (!matchesExpected(current, expected, now())) return false;
      if (next !== undefined) {
        if (current === undefined) return insertEntry(entries, entry, next);
        const { _id, ...replacement } = entry.documentOf(next);
        return (await entries.replaceOne({ _id: id }, replacement)).matchedCount === 1;
      }
      await removeVersions(locks, id);
      if (current !== undefined) await entries.deleteOne({ _id: id });
      return true;
    });
  }
}
