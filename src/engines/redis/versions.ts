import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RawVersion } from '../engine.js';
import { EXPIRES_AT_PRELUDE, expiryIndexName } from './expiry.js';
import { CHANGE_TYPE, PUBLISH_LUA, RedisChangeNames } from './changes.js';

/**
 * Append mode on Redis: each key's versions are a Redis list, `<stash hash name>:versions:<sha256 of the key>`, one
 * element per version holding [f64 LE timestamp][blob]. An append is a Lua script, atomic on the server: it reads the
 * last element's timestamp, RPUSHes the version stamped with the writer's clock or that timestamp, whichever is later
 * (the list's new length is the version number), and HSETs the version as the key's current value, so two processes
 * appending at once never share a number, timestamps never go down as versions go up, and the current value is always
 * the latest version. A set, `<stash hash name>:versions`, names every list, so `clear` finds them; `delete` and
 * `clear` are scripts too. Every name carries the stash's hash tag, so a stash stays on one Redis Cluster slot.
 */
const PAGE = 128;

// KEYS: the list, the stash's hash, the set of lists, the expiry index, the watchers, the seq; ARGV: the writer's clock
// (ms), the field, the blob, the change channel. An expiring blob gets its member in the expiry index (expiry.ts); one
// that does not leaves it to the readers' check. Each script logs its change for watchers (changes.ts).
const APPEND_SCRIPT =
  EXPIRES_AT_PRELUDE +
  PUBLISH_LUA +
  `
local stamp = tonumber(ARGV[1])
local last = redis.call('LINDEX', KEYS[1], -1)
if last then
  local previous = struct.unpack('<d', last)
  if previous > stamp then stamp = previous end
end
local version = redis.call('RPUSH', KEYS[1], struct.pack('<d', stamp) .. ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('SADD', KEYS[3], KEYS[1])
local expires = expiresAt(ARGV[3])
if expires then redis.call('ZADD', KEYS[4], string.format('%.17g', expires), ARGV[2]) end
hashstash_publish(KEYS[5], KEYS[6], ARGV[4], ${CHANGE_TYPE.set}, { ARGV[2] })
return version`;

// KEYS: the hash, the key's list, the set of lists, the expiry index, the watchers, the seq; ARGV: the field, now (ms),
// the change channel. 1 when it removed a value that had not expired (an expired one is removed too, but was already
// absent to every reader).
const DELETE_SCRIPT =
  EXPIRES_AT_PRELUDE +
  PUBLISH_LUA +
  `
redis.call('UNLINK', KEYS[2])
redis.call('SREM', KEYS[3], KEYS[2])
local now = tonumber(ARGV[2])
local score = redis.call('ZSCORE', KEYS[4], ARGV[1])
local live = 1
if score then
  if tonumber(score) <= now and expiredAt(KEYS[1], ARGV[1], now) then live = 0 end
  redis.call('ZREM', KEYS[4], ARGV[1])
end
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
if removed == 1 then hashstash_publish(KEYS[5], KEYS[6], ARGV[3], ${CHANGE_TYPE.delete}, { ARGV[1] }) end
return removed * live`;

// KEYS: the hash, the set of lists, the expiry index, the watchers, the seq; ARGV: the change channel.
const CLEAR_SCRIPT =
  PUBLISH_LUA +
  `
local lists = redis.call('SMEMBERS', KEYS[2])
for i = 1, #lists, 1000 do redis.call('UNLINK', unpack(lists, i, math.min(i + 999, #lists))) end
redis.call('UNLINK', KEYS[1], KEYS[2], KEYS[3])
hashstash_publish(KEYS[4], KEYS[5], ARGV[1], ${CHANGE_TYPE.clear}, {})
return 0`;

export class RedisVersionNames {
  readonly hash: Buffer;
  readonly index: Buffer;
  /** The expiry index (expiry.ts). */
  readonly expiry: Buffer;
  readonly #listPrefix: string;
  /** The change feed's names (changes.ts). */
  readonly changes: RedisChangeNames;

  constructor(hashName: string) {
    this.changes = new RedisChangeNames(hashName);
    this.hash = Buffer.from(hashName);
    this.index = Buffer.from(`${hashName}:versions`);
    this.expiry = Buffer.from(expiryIndexName(hashName));
    this.#listPrefix = `${hashName}:versions:`;
  }

  listOf(key: Uint8Array): Buffer {
    return Buffer.from(this.#listPrefix + createHash('sha256').update(key).digest('hex'));
  }
}

/** Adds a version and makes it the current value; the version number. */
export async function appendVersion(
  client: Redis,
  names: RedisVersionNames,
  field: Buffer,
  value: Buffer,
): Promise<number> {
  const { watchers, seq, channel } = names.changes;
  return (await client.eval(
    APPEND_SCRIPT,
    6,
    names.listOf(field),
    names.hash,
    names.index,
    names.expiry,
    watchers,
    seq,
    String(Date.now()),
    field,
    value,
    channel,
  )) as number;
}

/** Removes the key's value and every version; true when it had a value not expired at `now`. */
export async function removeKey(client: Redis, names: RedisVersionNames, field: Buffer, now: number): Promise<boolean> {
  const { watchers, seq, channel } = names.changes;
  return (
    (await client.eval(
      DELETE_SCRIPT,
      6,
      names.hash,
      names.listOf(field),
      names.index,
      names.expiry,
      watchers,
      seq,
      field,
      String(now),
      channel,
    )) === 1
  );
}

/** Removes every value and every version of the stash. */
export async function clearAll(client: Redis, names: RedisVersionNames): Promise<void> {
  const { watchers, seq, channel } = names.changes;
  await client.eval(CLEAR_SCRIPT, 5, names.hash, names.index, names.expiry, watchers, seq, channel);
}

/** Oldest first, PAGE versions per LRANGE; each page is asked for before the previous one is handed out. */
export async function* versionsOf(
  client: () => Promise<Redis>,
  names: RedisVersionNames,
  field: Buffer,
): AsyncGenerator<RawVersion> {
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
      const stored = page[i];
      yield { version: start + i + 1, timestamp: stored.readDoubleLE(0), value: stored.subarray(8) };
    }
    if (page.length < PAGE) return;
  }
}
