import type { Redis } from 'ioredis';
import type { EngineStats } from '../engine.js';
import { isReplyError } from './connection.js';

/**
 * `stats()` on Redis, cheap whatever the stash's size: `entries` is `size()` (HLEN less the expired entries not yet
 * purged, expiry.ts); `bytesUsed` and `bytesReserved` are both the server's MEMORY USAGE of the stash's hash and its
 * expiry index, an estimate from a sample of 5 fields (Redis's default) with the keys' own overhead. Redis takes
 * memory per key as it is used, so what a stash reserves is what it uses; append mode's version lists are not
 * counted. A server that forbids MEMORY (ACLs on managed servers) gets `entries` only.
 */
export async function redisStats(
  client: Redis,
  hash: Buffer,
  index: Buffer,
  entries: Promise<number>,
): Promise<Partial<EngineStats>> {
  const [count, hashBytes, indexBytes] = await Promise.all([
    entries,
    memoryUsage(client, hash),
    memoryUsage(client, index),
  ]);
  if (hashBytes === undefined || indexBytes === undefined) return { entries: count };
  return { entries: count, bytesUsed: hashBytes + indexBytes, bytesReserved: hashBytes + indexBytes };
}

/** MEMORY USAGE of one key: 0 when it does not exist, undefined when the server will not say. */
async function memoryUsage(client: Redis, key: Buffer): Promise<number | undefined> {
  try {
    return Number((await client.call('MEMORY', 'USAGE', key)) ?? 0);
  } catch (error) {
    if (isReplyError(error)) return undefined;
    throw error;
  }
}
