import { isExpiredAt as isExpired } from '../expiry.js';
import type { Collection } from 'mongodb';
import { expiresAtOf } from '../../format/header.js';
import type { StoredDocument } from './naming.js';

/**
 * Expiry on mongo. A document whose blob expires carries two more fields:
 *   expiresAt   Date: the blob's expiry by the writer's clock (`context.now()`), rounded up to the millisecond. Reads
 *               filter on it (missing, or later than now) and `purgeExpired` is `deleteMany({ expiresAt: { $lte: now } })`;
 *               an index on it keeps both from scanning on servers that use it.
 *   purgeAt     Date: when the server may drop the document itself, for a TTL index (`expireAfterSeconds: 0`) where the
 *               server has one. The server judges it by its own clock, which is not the writer's (nor a test's
 *               injected clock), so it is this machine's clock plus the time the entry has left by the writer's clock
 *               plus PURGE_GRACE_MS: cleanup only, never earlier than the entry expires for its readers.
 * A write without expiry replaces the document whole, so neither field stays behind. The blob's header is what decides
 * on the client too: `get` and `getMany` check it, so a server that lags on the filter never shows an expired value.
 */

/** The TTL index drops a document this long after its expiry (cleanup only; readers hide it at its expiry). */
export const PURGE_GRACE_MS = 60_000;
const TTL_INDEX = 'hashstash_purge_at';
const EXPIRY_INDEX = 'hashstash_expires_at';

/** The fields an expiring blob's document carries (none for a blob without expiry). */
export function expiryFields(
  value: Uint8Array,
  now: () => number,
): Pick<StoredDocument, 'expiresAt' | 'purgeAt'> | undefined {
  const expiresAt = expiresAtOf(value);
  if (expiresAt === null) return undefined;
  const left = Math.max(0, expiresAt - now());
  return {
    expiresAt: new Date(Math.ceil(expiresAt)),
    purgeAt: new Date(Date.now() + Math.ceil(left) + PURGE_GRACE_MS),
  };
}

/** Documents not expired at `now`: without `expiresAt`, or with one after it. */
export const liveFilter = (now: number) => ({
  $or: [{ expiresAt: { $exists: false } }, { expiresAt: { $gt: new Date(Math.floor(now)) } }],
});

/** Documents expired at `now`. */
export const expiredFilter = (now: number) => ({ expiresAt: { $lte: new Date(Math.floor(now)) } });

/** True when `blob` has expired at `now` (the engines' one test, see ../expiry.ts). */
export { isExpired };

/** True when a document read with its `expiresAt` has expired at `now`. */
export const documentExpired = (document: Pick<StoredDocument, 'expiresAt'>, now: number): boolean =>
  document.expiresAt instanceof Date && document.expiresAt.getTime() <= now;

/** What the server offered when the expiry indexes were made: `ttl` false where it refused a TTL index. */
export interface ExpiryIndexes {
  readonly ttl: boolean;
}

/**
 * Makes the index on `expiresAt` and the TTL index on `purgeAt`, each where the server takes it. A server that refuses
 * a TTL index (FerretDB 1.x may) leaves expired documents to `purgeExpired`; readers hide them either way.
 */
export async function ensureExpiryIndexes(collection: Collection<StoredDocument>): Promise<ExpiryIndexes> {
  await collection.createIndex({ expiresAt: 1 }, { name: EXPIRY_INDEX, sparse: true }).catch(() => {});
  try {
    await collection.createIndex({ purgeAt: 1 }, { name: TTL_INDEX, expireAfterSeconds: 0, sparse: true });
  } catch {
    return { ttl: false };
  }
  // A server may take the option and drop it: ask what it kept.
  const indexes = await collection
    .listIndexes()
    .toArray()
    .catch(() => []);
  const kept = (indexes as { name?: unknown; expireAfterSeconds?: unknown }[]).find(
    (index) => index.name === TTL_INDEX,
  );
  return { ttl: kept !== undefined && kept.expireAfterSeconds === 0 };
}
