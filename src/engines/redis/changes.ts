import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RawChange } from '../engine.js';
import { type Feeds, pause, PushedChanges, readyFeed, type WatchOptions } from '../change-feed.js';

/**
 * The redis engine's change feed: every write of a watched stash PUBLISHes what it changed on the stash's channel,
 * in the same Lua script as the write (atomic on the server), with a per-stash sequence (INCRBY) in the message, so a
 * subscriber that loses messages (pub/sub drops them while it is disconnected) sees the gap and reads `missed`.
 *
 * Names, beside the stash's hash and with its hash tag: `<hash>:watchers` (a sorted set of watcher ids, scored by
 * when each stops counting as alive; the key expires STALE_MS after the last heartbeat), `<hash>:seq` (the sequence),
 * and the channel `<hash>:changes`. A message is [f64 LE seq of its last change][u8 type] then, per key,
 * [u32 LE length][key]: one message for a run of sets (an HSET of many fields), whose seqs end at the one given.
 *
 * Logging costs a script instead of a plain HSET, so a writer does it only while the stash may be watched. Whether
 * it is, is known from a lease: the writer asks EXISTS `<hash>:watchers` and, on "no", sends plain HSETs until
 * LEASE_MS after it sent the question; after that, or on "yes", every write goes through the script, which checks the
 * watchers itself, inside the write. A watcher registers, then waits READY_DELAY_MS (over twice the lease) before its
 * feed counts as ready, so every write issued after that is logged. Deletes, clears and appends are scripts already
 * and always check.
 */
const LEASE_MS = 250;
/** A watcher's feed is ready this long after it registered: every writer's lease of "unwatched" has run out. */
export const READY_DELAY_MS = 2 * LEASE_MS + 100;
const HEARTBEAT_MS = 5_000;
const STALE_MS = 60_000;
/** Changes a watcher holds before its consumer reads them; past that they become one `missed`. */
const CAPACITY = 10_000;
const SET = 1;
const DELETE = 2;
const CLEAR = 3;

/**
 * A Lua function for scripts that write: `publish(watchers key, seq key, channel, type, keys)` logs the change when
 * someone watches. Scripts put it first and call it after their write.
 */
export const PUBLISH_LUA = `
local function hashstash_publish(watchers, seqKey, channel, kind, keys)
  if redis.call('EXISTS', watchers) == 0 then return end
  local n = #keys
  if n == 0 then n = 1 end
  local seq = redis.call('INCRBY', seqKey, n)
  local parts = { struct.pack('<dB', seq, kind) }
  for i = 1, #keys do parts[#parts + 1] = struct.pack('<I4', #keys[i]) .. keys[i] end
  redis.call('PUBLISH', channel, table.concat(parts))
end
`;
export const CHANGE_TYPE = { set: SET, delete: DELETE, clear: CLEAR } as const;

// KEYS: the hash, watchers, seq; ARGV: the channel, then field, value, field, value…
const LOGGED_HSET = `${PUBLISH_LUA}
local fields = {}
for i = 2, #ARGV, 2 do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
hashstash_publish(KEYS[2], KEYS[3], ARGV[1], ${SET}, fields)
return 0`;

/** The names a stash's change feed uses. */
export class RedisChangeNames {
  readonly watchers: Buffer;
  readonly seq: Buffer;
  readonly channel: Buffer;
  constructor(hashName: string) {
    this.watchers = Buffer.from(`${hashName}:watchers`);
    this.seq = Buffer.from(`${hashName}:seq`);
    this.channel = Buffer.from(`${hashName}:changes`);
  }
}

/** A writer's knowledge of whether its stash is watched (see above). */
class WatchLease {
  readonly #names: RedisChangeNames;
  #unwatchedUntil = 0;
  /** After a "yes", the next question waits this long: meanwhile every write logs anyway. */
  #askAfter = 0;
  #asking = false;
  constructor(names: RedisChangeNames) {
    this.#names = names;
  }

  /** True when this write must go through the logging script; asks again when the lease ran out. */
  mustLog(client: Redis): boolean {
    const now = performance.now();
    if (now < this.#unwatchedUntil) return false;
    if (!this.#asking && now >= this.#askAfter) {
      this.#asking = true;
      client.exists(this.#names.watchers).then(
        (watched) => {
          this.#asking = false;
          if (watched === 0) this.#unwatchedUntil = now + LEASE_MS;
          else this.#askAfter = now + LEASE_MS;
        },
        () => {
          this.#asking = false;
        },
      );
    }
    return true;
  }
}

const leases = new WeakMap<Buffer, { lease: WatchLease; names: RedisChangeNames }>();

/** Makes the writes to `hash` (the engine's own Buffer, the one it queues) log while the stash may be watched. */
export function registerStash(hash: Buffer, names: RedisChangeNames): void {
  leases.set(hash, { lease: new WatchLease(names), names });
}

/**
 * Whether an HSET into `hash` must go through the logging script: the stash's change names when it must, undefined
 * when a plain HSET is fine (nobody watches, and the lease says so).
 */
export function mustLog(client: Redis, hash: Buffer): RedisChangeNames | undefined {
  const known = leases.get(hash);
  return known !== undefined && known.lease.mustLog(client) ? known.names : undefined;
}

/** The arguments of the EVAL that sets `pairs` (field, value…) in `hash` and logs it. */
export function loggedHsetArgs(hash: Buffer, names: RedisChangeNames, pairs: readonly Buffer[]): (string | Buffer)[] {
  return [LOGGED_HSET, '3', hash, names.watchers, names.seq, names.channel, ...pairs];
}

/** Decodes one message into changes: [last seq, first seq, changes]. */
function decode(message: Buffer): [number, number, RawChange[]] {
  const last = message.readDoubleLE(0);
  const type = message[8];
  if (type === CLEAR) return [last, last, [{ type: 'clear' }]];
  const changes: RawChange[] = [];
  for (let at = 9; at + 4 <= message.length;) {
    const length = message.readUInt32LE(at);
    const key = message.subarray(at + 4, at + 4 + length);
    changes.push({ type: type === SET ? 'set' : 'delete', key });
    at += 4 + length;
  }
  return [last, last - Math.max(1, changes.length) + 1, changes];
}

/** What the watcher needs of the engine: its shared client for registration and a subscriber of its own. */
export interface RedisWatchHost {
  /** The engine's ready client (the shared one), for registration and reading the seq. */
  client(): Promise<Redis>;
}

/** One watcher: a subscriber connection, its registration, and the last seq it has passed on. */
class RedisWatcher {
  readonly feed: PushedChanges;
  readonly ready: Promise<void>;
  readonly #names: RedisChangeNames;
  readonly #host: RedisWatchHost;
  readonly #id = randomUUID();
  #subscriber: Redis | undefined;
  #last: number | undefined;
  /** Messages that arrived before the seq they follow was known. */
  #held: Buffer[] = [];
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #stopping = new AbortController();

  constructor(names: RedisChangeNames, host: RedisWatchHost, feeds: Feeds, options: WatchOptions) {
    this.#names = names;
    this.#host = host;
    const source = { stop: () => this.#stop() };
    this.feed = new PushedChanges(CAPACITY, options, feeds.closed, () => feeds.stop(source));
    feeds.add(source);
    this.ready = this.#start();
    // A failure to start ends the feed with it (the consumer's next() rejects).
    this.ready.catch(() => {});
  }

  async #start(): Promise<void> {
    const client = await this.#host.client();
    const subscriber = (this.#subscriber = client.duplicate({ lazyConnect: true, connectionName: 'hashstash-watch' }));
    subscriber.on('error', () => {
      /* reconnection is ioredis's; the gap shows as missed */
    });
    subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => this.#receive(message));
    let connected = false;
    subscriber.on('ready', () => {
      // ioredis subscribes again on reconnection; what was published meanwhile is lost to us.
      if (connected) void this.#resync(true);
      connected = true;
    });
    if (this.#stopped) return subscriber.disconnect();
    await subscriber.connect();
    if (this.#stopped) return;
    await subscriber.subscribe(this.#names.channel.toString('latin1'));
    if (this.#stopped) return;
    await this.#register(client);
    await this.#resync(false);
    // Every writer's lease of "unwatched" runs out meanwhile.
    await pause(READY_DELAY_MS, undefined, this.#stopping.signal);
    if (!this.#stopped) this.#beatLater();
  }

  async #register(client: Redis): Promise<boolean> {
    const now = Date.now();
    const [[, added]] = (await client
      .multi()
      .zadd(this.#names.watchers, now + STALE_MS, this.#id)
      .pexpire(this.#names.watchers, STALE_MS)
      .zremrangebyscore(this.#names.watchers, '-inf', now)
      .exec()) as [[unknown, number], ...unknown[]];
    return added === 1;
  }

  #beatLater(): void {
    this.#timer = setTimeout(() => {
      this.#host
        .client()
        .then((client) => this.#register(client))
        .then(
          (added) => {
            // Our registration had expired (a stall past STALE_MS): writes meanwhile may not have been logged.
            if (added) this.feed.push({ type: 'missed' });
          },
          () => {
            /* the server is away; the subscriber's reconnection reports the gap */
          },
        )
        .finally(() => {
          if (!this.#stopped) this.#beatLater();
        });
    }, HEARTBEAT_MS);
    this.#timer.unref();
  }

  /** Reads the seq: what came before it is not ours to pass on (or, after a reconnection, is missed). */
  async #resync(reconnected: boolean): Promise<void> {
    this.#last = undefined;
    if (reconnected) this.feed.push({ type: 'missed' });
    try {
      const seq = await (await this.#host.client()).get(this.#names.seq);
      this.#last = Number(seq ?? 0);
    } catch {
      this.#last = Number.MAX_SAFE_INTEGER;
      this.feed.push({ type: 'missed' });
      return;
    }
    const held = this.#held;
    this.#held = [];
    for (const message of held) this.#receive(message);
  }

  #receive(message: Buffer): void {
    if (this.#last === undefined) {
      this.#held.push(message);
      return;
    }
    const [last, first, changes] = decode(message);
    // The seq could not be read (reported as missed): go on from the first message that comes.
    if (this.#last === Number.MAX_SAFE_INTEGER) this.#last = first - 1;
    if (last <= this.#last) return;
    if (first > this.#last + 1) this.feed.push({ type: 'missed', count: first - this.#last - 1 });
    const skip = Math.max(0, this.#last + 1 - first);
    for (let i = skip; i < changes.length; i++) this.feed.push(changes[i]);
    this.#last = last;
  }

  async #stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopping.abort();
    clearTimeout(this.#timer);
    const subscriber = this.#subscriber;
    if (subscriber) subscriber.disconnect();
    try {
      const client = await Promise.race([
        this.#host.client(),
        new Promise<never>((_, reject) => setTimeout(reject, 1000).unref()),
      ]);
      await client.zrem(this.#names.watchers, this.#id);
    } catch {
      /* our entry expires with the key, or goes as stale */
    }
  }
}

/** The engine's `watch`: an iterable feed with `ready`, which resolves once every later write is sure to be seen. */
export function watchRedis(
  names: RedisChangeNames,
  host: RedisWatchHost,
  feeds: Feeds,
  options: WatchOptions,
): AsyncIterable<RawChange> & { readonly ready: Promise<void> } {
  const watcher = new RedisWatcher(names, host, feeds, options);
  return readyFeed(watcher.feed, watcher.ready);
}
