import type { Collection, Document } from 'mongodb';
import type { EngineStats } from '../engine.js';
import type { StoredDocument } from './naming.js';

/** The server's error for a collection that does not exist (nothing written yet, or cleared). */
const NAMESPACE_NOT_FOUND = 26;

/**
 * `stats()` on mongo: `entries` is `size()` (an exact count of live documents); `bytesUsed` is the collection's data
 * size (`size` of the `collStats` command: the documents' BSON, keys, values and expiry fields), `bytesReserved` its
 * `storageSize` plus `totalIndexSize` (what the server has taken on disk for it, free pages included). Both come
 * from the server's collection metadata, read in one command whatever the size: MongoDB and FerretDB answer
 * `collStats`; a server that does not gets the `$collStats` stage, and one that has neither gets `entries` only.
 * Append mode's version collection is not counted.
 */
export async function mongoStats(
  collection: Collection<StoredDocument>,
  entries: Promise<number>,
): Promise<Partial<EngineStats>> {
  const [count, sizes] = await Promise.all([entries, collectionSizes(collection)]);
  return sizes ? { entries: count, ...sizes } : { entries: count };
}

async function collectionSizes(
  collection: Collection<StoredDocument>,
): Promise<Pick<EngineStats, 'bytesUsed' | 'bytesReserved'> | undefined> {
  let reply: Document;
  try {
    reply = await collection.db.command({ collStats: collection.collectionName });
  } catch (error) {
    if ((error as { code?: unknown }).code === NAMESPACE_NOT_FOUND) return { bytesUsed: 0, bytesReserved: 0 };
    try {
      const [stage] = await collection.aggregate([{ $collStats: { storageStats: {} } }]).toArray();
      reply = (stage?.storageStats ?? {}) as Document;
    } catch {
      return undefined;
    }
  }
  const used = Number(reply.size);
  const reserved = Number(reply.storageSize ?? 0) + Number(reply.totalIndexSize ?? 0);
  if (!Number.isFinite(used) || !Number.isFinite(reserved)) return undefined;
  return { bytesUsed: used, bytesReserved: reserved };
}
