import type { Redis } from 'ioredis';
import { expiresAtOf } from '../../format/header.js';
import { isExpiredAt } from '../compare-and-set.js';
import { CHANGE_TYPE, PUBLISH_LUA } from './changes.js';
import type { RedisVersionNames } from './versions.js';

/**
 * Compare-and-set on Redis: one Lua script, which the server runs alone, compares the field's bytes in the stash's
 * hash and writes (HSET) or deletes (HDEL, with the key's version list, as `delete` does) in the same step, so no
 * other client, process or machine can write between the two.
 *
 * Mode `absent` succeeds when the field is not there; mode `equal` when its bytes are the expected ones. On failure
 * the script returns what it found, so `expected` undefined ("nothing live") costs one round trip: when the field
 * holds a blob expired by the caller's clock (`context.now()`, judged on the client by the blob's header, base64 or
 * not), the call is made again in mode `equal` on exactly those bytes, so it replaces that expired blob and nothing
 * written meanwhile.
 *
 * The expiry index (`<hash>:expiry`, a sorted set of fields by the expiry of their blob) is kept as the other writes
 * keep it: a blob that expires gets its member with that score, a deleted field loses its member. Append mode: it
 * compares and replaces the key's current value and adds no version.
 */
// KEYS: the hash, the key's version list, the set of version lists, the expiry index, the watchers, the seq.
// ARGV: the field, the mode ('absent' | 'equal'), the expected bytes, '1' to set or '0' to delete, the next bytes,
// the next blob's expiry ('' when it never expires), the change channel. The write is logged for watchers (changes.ts).
const SCRIPT = `${PUBLISH_LUA}
local current = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[2] == 'absent' then
  if current then return current end
elseif current ~= ARGV[3] then
  return current
end
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[5])
  if ARGV[6] ~= '' then redis.call('ZADD', KEYS[4], ARGV[6], ARGV[1]) else redis.call('ZREM', KEYS[4], ARGV[1]) end
  hashstash_publish(KEYS[5], KEYS[6], ARGV[7], ${CHANGE_TYPE.set}, { ARGV[1] })
else
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('UNLINK', KEYS[2])
  redis.call('SREM', KEYS[3], KEYS[2])
  redis.call('ZREM', KEYS[4], ARGV[1])
  if current then hashstash_publish(KEYS[5], KEYS[6], ARGV[7], ${CHANGE_TYPE.delete}, { ARGV[1] }) end
end
return 1`;

const EMPTY = Buffer.alloc(0);

/** Runs the compare-and-set of `field`; see the script above. */
export async function compareAndSetInHash(
  client: Redis,
  names: RedisVersionNames,
  field: Buffer,
  expected: Buffer | undefined,
  next: Buffer | undefined,
  now: () => number,
): Promise<boolean> {
  const expiresAt = next === undefined ? null : expiresAtOf(next);
  const keys = [names.hash, names.listOf(field), names.index, names.expiry, names.changes.watchers, names.changes.seq];
  let compareTo = expected;
  for (;;) {
    const reply = (await client.callBuffer(
      'EVAL',
      SCRIPT,
      keys.length,
      ...keys,
      field,
      compareTo === undefined ? 'absent' : 'equal',
      compareTo ?? EMPTY,
      next === undefined ? '0' : '1',
      next ?? EMPTY,
      expiresAt === null ? '' : String(expiresAt),
      names.changes.channel,
    )) as number | Buffer | null;
    if (typeof reply === 'number') return true;
    if (expected !== undefined) return false;
    // Mode absent found a blob, or mode equal found an expired blob changed or gone: live means taken, else go again.
    if (reply !== null && !isExpiredAt(reply, now())) return false;
    compareTo = reply ?? undefined;
  }
}
