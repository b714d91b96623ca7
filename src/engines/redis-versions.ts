import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RawVersion } from './engine.js';

/**
 * Append mode on Redis: each key's versions are a Redis list, `<stash hash name>:versions:<sha256 of the key>`, one
 * element per version holding [f64 LE timestamp][blob]. RPUSH adds a version in O(1) and answers the list's new
 * length, which is the version number; it runs in a MULTI with the HSET that makes the version the key's current value,
 * so two processes appending at once never share a number and the current value is always the latest version.
 * A set, `<stash hash name>:versions`, names every list, so `clear` finds them; `delete` and `clear` are Lua scripts,
 * atomic like the append. Every name carries the stash's hash tag, so a stash stays on one Redis Cluster slot.
 */
const PAGE = 128;

const DELETE_SCRIPT = `
redis.call('UNLINK', KEYS[2])
redis.call('SREM', KEYS[3], KEYS[2])
return redis.call('HDEL', KEYS[1], ARGV[1])`;

const CLEAR_SCRIPT = `
local lists = redis.call('SMEMBERS', KEYS[2])
for i = 1, #lists, 1000 do redis.call('UNLINK', unpack(lists, i, math.min(i + 999, #lists))) end
redis.call('UNLINK', KEYS[1], KEYS[2])
return 0`;

export class RedisVersionNames {
  readonly hash: Buffer;
  readonly index: Buffer;
  readonly #listPrefix: string;

  constructor(hashName: string) {
    this.hash = Buffer.from(hashName);
    this.index = Buffer.from(`${hashName}:versions`);
    this.#listPrefix = `${hashName}:versions:`;
  }

  listOf(key: Uint8Array): Buffer {
    return Buffer.from(this.#listPrefix + createHash('sha256').update(key).digest('hex'));
  }
}

/** Adds a version and makes it the current value; the version number. */
export async function appendVersion(client: Redis, names: RedisVersionNames, field: Buffer, value: Buffer, timestamp: number): Promise<number> {
  const list = names.listOf(field);
  const stored = Buffer.allocUnsafe(8 + value.length);
  stored.writeDoubleLE(timestamp, 0);
  stored.set(value, 8);
  const replies = await client.multi().rpush(list, stored).hset(names.hash, field, value).sadd(names.index, list).exec();
  if (!replies) throw new Error('the append transaction was aborted');
  for (const [error] of replies) if (error) throw error;
  return replies[0]![1] as number;
}

/** Removes the key's value and every version; true when it had a value. */
export async function removeKey(client: Redis, names: RedisVersionNames, field: Buffer): Promise<boolean> {
  return (await client.eval(DELETE_SCRIPT, 3, names.hash, names.listOf(field), names.index, field)) === 1;
}

/** Removes every value and every version of the stash. */
export async function clearAll(client: Redis, names: RedisVersionNames): Promise<void> {
  await client.eval(CLEAR_SCRIPT, 2, names.hash, names.index);
}

/** Oldest first, PAGE versions per LRANGE; each page is asked for before the previous one is handed out. */
export async function* versionsOf(client: () => Promise<Redis>, names: RedisVersionNames, field: Buffer): AsyncGenerator<RawVersion> {
  const list = names.listOf(field);
  const redis = await client();
  const request = (start: number) => {
    const reply = redis.lrangeBuffer(list, start, start + PAGE - 1);
    reply.catch(() => {});
    return reply;
  };
  let pending = request(0);
  for (let start = 0; ; start += PAGE) {
    const page = await pending;
    if (page.length === PAGE) pending = request(start + PAGE);
    for (let i = 0; i < page.length; i++) {
      const stored = page[i]!;
      yield { version: start + i + 1, timestamp: stored.readDoubleLE(0), value: stored.subarray(8) };
    }
    if (page.length < PAGE) return;
  }
}
