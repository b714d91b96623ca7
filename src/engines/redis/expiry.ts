import { isExpiredAt as isExpired } from '../expiry.js';
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CHANGE_TYPE, PUBLISH_LUA, type RedisChangeNames } from './changes.js';

/**
 * Expiry on Redis. One hash per stash stays; beside it an expiry index, the sorted set `<stash hash name>:expiry`
 * (score: when the blob expires, ms since the epoch by the writer's clock; member: the field). The blob's own header
 * (format v2) is what decides: an entry is expired when `expiresAtOf(blob) <= context.now()`, read on the client for
 * values it fetched and by the scripts below (a Lua copy of `expiresAtOf`) on the server.
 *
 * - A write of an expiring blob is one script: HSET, then ZADD of its expiry, in one atomic step. A write without
 *   expiry stays a plain HSET (the hot path keeps its speed) and leaves the index alone: the index may then hold a
 *   field whose blob no longer expires, with a score at or below that of its old blob. Every reader of the index
 *   checks the blob before believing it, so such a member only costs a look; `purgeExpired` drops it.
 *   Invariant: every field whose blob expires has a member whose score is that blob's expiry.
 * - `get`, `getMany` and `entries` check the blobs they fetched; `has` asks HEXISTS and the field's score together and
 *   fetches the blob only when the score says due; `size` and `delete` are scripts that look at the index and check
 *   the blobs it names; `keys` on servers with HSCAN NOVALUES asks ZMSCORE for each batch and fetches the few blobs
 *   whose score says expired.
 * - `purgeExpired` is a script run in batches: it takes members due by `now` from the index, checks each blob, HDELs
 *   the expired ones and drops the members, PURGE_BATCH at a time, so the server is never blocked for long.
 * - On servers with per-field expiry (Redis 7.4 and later, Valkey 9 and later: HPEXPIRE, probed once per connection)
 *   the write also gives the field a server-side expiry, so the server reclaims the memory even when no one purges.
 *   That is cleanup only: the server's clock is not the writer's (nor a test's injected clock), so the field gets
 *   the time left by the writer's clock plus FIELD_TTL_GRACE_MS, and the blob check stays what hides an entry. The
 *   same script also samples two index members and drops those whose field the server has already dropped, so the
 *   index does not grow without bound on a stash that is never purged. Such a server counts a field it has expired in
 *   HLEN until its expiry cycle reclaims it, so there `size()` may count, for that moment, an entry whose expiry (by
 *   the writer's clock) passed more than the grace ago and that no one purged.
 */

/** The server drops an expiring field this long after its expiry by the writer's clock (HPEXPIRE, cleanup only). */
export const FIELD_TTL_GRACE_MS = 60_000;
/** Index members one purge script takes at most: at ~2 µs each, a few ms of server time per call. */
export const PURGE_BATCH = 2_000;

/** The name of a stash's expiry index: beside its hash, with the same Redis Cluster hash tag. */
export const expiryIndexName = (hashName: string): string => `${hashName}:expiry`;

/**
 * `expiresAtOf` in Lua: the expiry in a v2 header, also of a blob base64-encoded whole (its first 32 characters
 * decoded), or nil. `struct` and `string` are in every Redis and Valkey script environment.
 */
const EXPIRES_AT_LUA = `
local B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
local function expiresAt(blob)
  if not blob then return nil end
  local head = blob
  if string.byte(blob, 1) ~= 72 then
    if #blob < 32 or string.sub(blob, 1, 2) ~= 'SF' then return nil end
    local bytes = {}
    for i = 1, 32, 4 do
      local n = 0
      for j = 0, 3 do
        local c = string.sub(blob, i + j, i + j)
        local v = 0
        if c ~= '=' then
          v = string.find(B64, c, 1, true)
          if not v then return nil end
          v = v - 1
        end
        n = n * 64 + v
      end
      bytes[#bytes + 1] = string.char(math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
    end
    head = table.concat(bytes)
  end
  if #head < 22 or string.byte(head, 1) ~= 72 or string.byte(head, 2) ~= 83 or string.byte(head, 3) ~= 2 then return nil end
  return (struct.unpack('<d', head, 15))
end
local function expiredAt(hash, field, now)
  local at = expiresAt(redis.call('HGET', hash, field))
  return at ~= nil and at <= now
end
`;

/** A Lua script sent by EVALSHA, or EVAL the first time a server does not know it (after a restart or SCRIPT FLUSH). */
export class Script {
  readonly source: string;
  readonly sha: string;

  /** `readsExpiry`: the script calls `expiresAt`/`expiredAt`, so it gets the prelude that defines them. */
  constructor(body: string, readsExpiry = true) {
    this.source = (readsExpiry ? EXPIRES_AT_LUA : '') + body;
    this.sha = createHash('sha1').update(this.source).digest('hex');
  }

  async run(
    client: Redis,
    keys: readonly (Buffer | string)[],
    args: readonly (Buffer | string | number)[],
  ): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!/NOSCRIPT/.test((error as Error)?.message ?? '')) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

// KEYS: hash, index, watchers, seq. ARGV[1]: '1' when the server has HPEXPIRE, ARGV[2]: the change channel; then per
// entry: field, blob, expires at, field ttl (ms). The sets are logged for watchers (changes.ts).
export const SET_EXPIRING = new Script(
  `${PUBLISH_LUA}
local hash, index = KEYS[1], KEYS[2]
local fieldTtl = ARGV[1] == '1'
local fields = {}
for i = 3, #ARGV, 4 do
  fields[#fields + 1] = ARGV[i]
  redis.call('HSET', hash, ARGV[i], ARGV[i + 1])
  redis.call('ZADD', index, ARGV[i + 2], ARGV[i])
  if fieldTtl then redis.call('HPEXPIRE', hash, ARGV[i + 3], 'FIELDS', 1, ARGV[i]) end
end
if fieldTtl then
  for _, field in ipairs(redis.call('ZRANDMEMBER', index, 2)) do
    if redis.call('HEXISTS', hash, field) == 0 then redis.call('ZREM', index, field) end
  end
end
hashstash_publish(KEYS[3], KEYS[4], ARGV[2], ${CHANGE_TYPE.set}, fields)
return 0`,
  false,
);

// KEYS: hash, index. ARGV: now. HLEN less the fields the index names as due whose blob has expired.
export const SIZE = new Script(`
local now = tonumber(ARGV[1])
local n = redis.call('HLEN', KEYS[1])
for _, field in ipairs(redis.call('ZRANGE', KEYS[2], '-inf', ARGV[1], 'BYSCORE')) do
  if expiredAt(KEYS[1], field, now) then n = n - 1 end
end
return n`);

// KEYS: hash, index, watchers, seq. ARGV: now, batch, the change channel. { entries removed, members taken }: the
// caller goes on while members == batch. The removals are logged for watchers as deletes (changes.ts).
export const PURGE = new Script(`${PUBLISH_LUA}
local hash, index = KEYS[1], KEYS[2]
local now = tonumber(ARGV[1])
local members = redis.call('ZRANGE', index, '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[2]))
if #members == 0 then return { 0, 0 } end
local doomed, later = {}, {}
for _, field in ipairs(members) do
  local at = expiresAt(redis.call('HGET', hash, field))
  if at ~= nil and at <= now then doomed[#doomed + 1] = field
  elseif at ~= nil then later[#later + 1] = field; later[#later + 1] = string.format('%.17g', at) end
end
for i = 1, #members, 1000 do redis.call('ZREM', index, unpack(members, i, math.min(i + 999, #members))) end
for i = 1, #later, 2 do redis.call('ZADD', index, later[i + 1], later[i]) end
local removed = 0
for i = 1, #doomed, 1000 do removed = removed + redis.call('HDEL', hash, unpack(doomed, i, math.min(i + 999, #doomed))) end
if #doomed > 0 then hashstash_publish(KEYS[3], KEYS[4], ARGV[3], ${CHANGE_TYPE.delete}, doomed) end
return { removed, #members }`);

/**
 * Every script above: loaded (SCRIPT LOAD) as each connection becomes ready, before anything else is sent on it, so
 * that EVALSHA finds them. Were one to fail with NOSCRIPT (someone ran SCRIPT FLUSH meanwhile), `Script.run` sends it
 * again with EVAL.
 */
export const SCRIPTS: readonly Script[] = [SET_EXPIRING, SIZE, PURGE];

/** The Lua prelude, for the scripts in versions.ts that read expiry too (delete, append). */
export const EXPIRES_AT_PRELUDE = EXPIRES_AT_LUA;

/** True when `blob` has expired at `now` (the engines' one test, see ../expiry.ts). */
export { isExpired };

/** The field's server-side lifetime for HPEXPIRE: the time left by the writer's clock, plus the grace; at least 1 ms. */
export const fieldTtlMs = (expiresAt: number, now: number): number =>
  Math.max(1, Math.ceil(expiresAt - now) + FIELD_TTL_GRACE_MS);

/**
 * Runs the purge script until the index has nothing due at `now`; how many entries it removed. Two calls are in
 * flight at once (each takes its own batch, atomically), so the server works while a reply travels.
 */
export async function purgeExpired(
  client: Redis,
  hash: Buffer,
  index: Buffer,
  changes: RedisChangeNames,
  now: number,
): Promise<number> {
  let removed = 0;
  const at = String(now);
  const keys = [hash, index, changes.watchers, changes.seq];
  const call = () => PURGE.run(client, keys, [at, PURGE_BATCH, changes.channel]) as Promise<[number, number]>;
  for (;;) {
    const first = call();
    const second = call();
    first.catch(() => {});
    const [[gone1], [gone2, taken2]] = await Promise.all([first, second]);
    removed += gone1 + gone2;
    if (taken2 < PURGE_BATCH) return removed;
  }
}

/**
 * The fields of `fields` whose blob has expired at `now`, asking the index first (ZMSCORE) and fetching only the blobs
 * it names as due: for `keys()` on servers that scan without values.
 */
export async function expiredFields(
  client: Redis,
  hash: Buffer,
  index: Buffer,
  fields: readonly Buffer[],
  now: number,
): Promise<Set<Buffer>> {
  const expired = new Set<Buffer>();
  if (fields.length === 0) return expired;
  const scores = (await client.call('ZMSCORE', index, ...fields)) as (string | null)[];
  const due: Buffer[] = [];
  for (let i = 0; i < fields.length; i++) {
    const score = scores[i];
    if (score !== null && score !== undefined && Number(score) <= now) due.push(fields[i]);
  }
  if (due.length === 0) return expired;
  const blobs = await client.hmgetBuffer(hash, ...due);
  for (let i = 0; i < due.length; i++) {
    const blob = blobs[i];
    if (blob && isExpired(blob, now)) expired.add(due[i]);
  }
  return expired;
}
