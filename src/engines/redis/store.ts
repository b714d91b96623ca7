import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redactUrl } from '../../server-url.js';
import { ConfigError, EngineUnavailableError, HashStashError, ReadOnlyError, UnsupportedError } from '../../errors.js';
import type {
  AppendStore,
  Engine,
  EngineCapabilities,
  EngineContext,
  EngineStats,
  RawEntry,
  RawVersion,
} from '../engine.js';
import { expiresAtOf } from '../../format/header.js';
import {
  acquireConnection,
  hideCredentials,
  isReplyError,
  Op,
  releaseConnection,
  type Live,
  type SharedConnection,
} from './connection.js';
import { expiredFields, fieldTtlMs, isExpired, purgeExpired, SET_EXPIRING, SIZE } from './expiry.js';
import { redisStats } from './stats.js';
import { appendVersion, clearAll, RedisVersionNames, removeKey, versionsOf } from './versions.js';
import { compareAndSetInHash } from './compare-and-set.js';
import { Feeds } from '../change-feed.js';
import type { RawChange } from '../engine.js';
import { loggedHsetArgs, mustLog, registerStash, watchRedis } from './changes.js';

/**
 * Redis through ioredis (loaded on first use). A stash is one Redis hash, `hashstash:{<digest>}:<namespace>`, whose
 * fields are the key bytes and whose values are the blobs: reads and writes are HGET/HSET/HEXISTS/HDEL, `size()` is
 * HLEN less the expired entries not yet purged (exact whatever the number of writers; O(1) plus one look per such
 * entry), `clear()` UNLINKs that hash, its expiry index and its version lists (nothing else on the server
 * is touched), and iteration walks it with HSCAN cursors. Iteration sees every entry present throughout at least
 * once; Redis may repeat an entry when the hash shrinks during the scan (after many deletes).
 *
 * Every stash on one server URL in this process shares one connection (see redis-connection.ts); gets and sets
 * issued in one tick travel together as HMGET and HSET. Append mode keeps versions in lists beside the hash
 * (redis-versions.ts), which `delete` and `clear` remove too.
 *
 * Expiry (expiry.ts): a sorted set beside the hash indexes the expiring fields, written in the same script as an
 * expiring value; every read hides a blob expired at `context.now()`, and `purgeExpired` is a server-side script.
 * On servers with HPEXPIRE the fields also get a server-side expiry, as cleanup.
 */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const CAPABILITIES: EngineCapabilities = {
  persistent: true,
  sync: false,
  sharedAcrossProcesses: true,
  sharedAcrossThreads: true,
  nativeAppend: true,
  hidesExpired: true,
};
/** Redis's smallest allowed `proto-max-bulk-len`: a key or value up to this size is accepted by every server. */
const ALWAYS_ACCEPTED_BYTES = 1024 * 1024;
/** setMany sends HSETs of up to this many entries or bytes, with this many in flight. */
const WRITE_BATCH_ENTRIES = 1_000;
const WRITE_BATCH_BYTES = 4 * 1024 * 1024;
const WRITES_IN_FLIGHT = 4;
/** getMany asks HMGET for this many keys at a time. */
const READ_BATCH_KEYS = 1_000;
/** HSCAN's COUNT starts small (values may be large) and adapts so a batch holds about SCAN_BATCH_BYTES. */
const SCAN_FIRST_COUNT = 2;
const SCAN_MAX_COUNT = 1_000;
const SCAN_BATCH_BYTES = 2 * 1024 * 1024;

const noop = () => {};
const EMPTY = Buffer.alloc(0);

/**
 * The name of a stash's hash: `hashstash:{<digest>}:<namespace>`. The namespace (root, name and settings) is there
 * whole, so whoever lists the server's keys sees which stash is which and can match every stash under one root; the
 * digest of it, in braces, is a Redis Cluster hash tag, so every key a stash may ever use lands on one slot.
 */
export function stashKeyName(namespace: string): string {
  const digest = createHash('sha256').update(namespace).digest('hex').slice(0, 32);
  return `hashstash:{${digest}}:${namespace}`;
}

/** ioredis sends a Uint8Array that is not a Buffer as its `String()`, so every byte argument goes as a Buffer view. */
const asBuffer = (bytes: Uint8Array): Buffer =>
  bytes instanceof Buffer ? (bytes as Buffer) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

const megabytes = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

class RedisEngine implements Engine {
  readonly name = 'redis';
  readonly capabilities = CAPABILITIES;
  readonly sync = undefined;
  readonly #url: string;
  readonly #location: string;
  readonly #hashName: string;
  readonly #hash: Buffer;
  readonly #versionNames: RedisVersionNames;
  /** The expiry index (expiry.ts). */
  readonly #index: Buffer;
  /** The hash and the index: the keys of every expiry script. */
  readonly #keys: readonly Buffer[];
  /** The keys of the expiring write's script: the hash, the expiry index and the change feed's watchers and seq. */
  readonly #writeKeys: readonly Buffer[];
  readonly #readonly: boolean;
  readonly #now: () => number;
  /** A get's reply, with a blob expired at `now()` read as absent. */
  readonly #live: Live;
  #connection: SharedConnection | undefined;

  constructor(context: EngineContext) {
    this.#url = context.url ?? DEFAULT_REDIS_URL;
    this.#location = redactUrl(this.#url);
    if (!/^rediss?:\/\//i.test(this.#url) && !this.#url.startsWith('/')) {
      throw new ConfigError(
        `the redis engine needs a redis:// or rediss:// URL (or a unix socket path), got '${this.#location}'`,
      );
    }
    this.#hashName = stashKeyName(context.namespace);
    this.#hash = Buffer.from(this.#hashName);
    this.#versionNames = new RedisVersionNames(this.#hashName);
    this.#index = this.#versionNames.expiry;
    this.#keys = [this.#hash, this.#index];
    this.#writeKeys = [...this.#keys, this.#versionNames.changes.watchers, this.#versionNames.changes.seq];
    this.#readonly = context.readonly;
    const now = (this.#now = context.now ?? Date.now);
    this.#live = (reply) => (reply === null || isExpired(reply, now()) ? undefined : reply);
    registerStash(this.#hash, this.#versionNames.changes);
  }

  /** See {@link Engine.compareAndSet}: one Lua script (compare-and-set.ts). */
  async compareAndSet(
    key: Uint8Array,
    expected: Uint8Array | undefined,
    next: Uint8Array | undefined,
  ): Promise<boolean> {
    this.#writable('write to');
    if (key.byteLength > ALWAYS_ACCEPTED_BYTES || (next?.byteLength ?? 0) > ALWAYS_ACCEPTED_BYTES)
      await this.#checkSize(await this.#client(), key, next ?? EMPTY);
    return this.#command('write to', (client) =>
      compareAndSetInHash(
        client,
        this.#versionNames,
        asBuffer(key),
        expected && asBuffer(expected),
        next && asBuffer(next),
        this.#now,
      ),
    );
  }

  readonly #feeds = new Feeds();

  /** Changes from every client of this stash, through pub/sub (changes.ts); `ready` resolves once every later write is seen. */
  watch(options: {
    readonly signal?: AbortSignal | undefined;
  }): AsyncIterable<RawChange> & { readonly ready: Promise<void> } {
    this.#writable('watch');
    return watchRedis(this.#versionNames.changes, { client: () => this.#client() }, this.#feeds, options);
  }

  /** The shared connection, joined on first use (and again after close). */
  get #shared(): SharedConnection {
    return (this.#connection ??= acquireConnection(this.#url, this.#location));
  }

  /** Why an operation failed, as a typed error naming the server and the stash. */
  readonly #failure = (error: unknown, doing: string): HashStashError => {
    if (error instanceof HashStashError) return error;
    hideCredentials(error);
    const location = this.#location;
    const message = (error as Error)?.message ?? String(error);
    const where = `redis at ${location} could not ${doing} ${this.#hashName}`;
    const options = { cause: error };
    if (isReplyError(error)) {
      if (message.startsWith('READONLY'))
        return new ReadOnlyError(`${where}: the server is a read-only replica (${message})`, options);
      if (message.startsWith('OOM'))
        return new EngineUnavailableError(
          `${where}: the server is out of memory (maxmemory) (${message})`,
          location,
          options,
        );
      if (/invalid bulk length|max bulk/i.test(message))
        return new UnsupportedError(`${where}: the server refused a key or value as too large (${message})`, options);
      if (message.startsWith('WRONGTYPE')) {
        return new EngineUnavailableError(
          `${where}: that key holds something other than a hash, so it is not a stash (${message})`,
          location,
          options,
        );
      }
      return new EngineUnavailableError(`${where}: ${message}`, location, options);
    }
    // ioredis's words for a connection lost under a command ("Connection is closed.", retries exhausted) say less
    // than the connection's own error, when there is one.
    const name = (error as Error)?.name;
    const lost = name === 'MaxRetriesPerRequestError' || name === 'AbortError' || message === 'Connection is closed.';
    const cause = this.#connection?.lastError;
    const reason =
      `${lost ? 'the connection was lost before the server answered (the command may or may not have been applied)' : message}` +
      `${cause && cause !== error ? ` (${cause.message})` : ''}`;
    return new EngineUnavailableError(`${where}: ${reason}`, location, options);
  };

  #fail(doing: string): (error: unknown) => never {
    return (error) => {
      throw this.#failure(error, doing);
    };
  }

  #writable(doing: string): void {
    if (this.#readonly) {
      throw new ReadOnlyError(
        `cannot ${doing} ${this.#hashName} on redis at ${this.#location}: the stash was opened with readonly: true`,
      );
    }
  }

  /** The ready client, after everything queued before was sent. */
  async #client(): Promise<Redis> {
    return this.#shared.ready();
  }

  /**
   * Runs a command in its place among the operations issued before it (`set(k, v); clear()` clears after the set),
   * with its failures as typed errors.
   */
  #command<T>(doing: string, command: (client: Redis) => Promise<T>): Promise<T> {
    try {
      return this.#shared.run(command).catch(this.#fail(doing));
    } catch (error) {
      return Promise.reject(this.#failure(error, doing));
    }
  }

  /**
   * The largest key or value the server takes (`proto-max-bulk-len`). Only asked for bytes over 1 MB, which every
   * server accepts: sending more than the limit would make the server drop the connection and every command on it.
   */
  async #maxBulkBytes(client: Redis, doing: string): Promise<number> {
    return this.#shared.maxBulkBytes(client).catch(this.#fail(doing));
  }

  async #checkSize(client: Redis, key: Uint8Array, value: Uint8Array): Promise<void> {
    const limit = await this.#maxBulkBytes(client, 'write to');
    const largest = Math.max(key.byteLength, value.byteLength);
    if (largest > limit) {
      const what = value.byteLength >= key.byteLength ? 'value' : 'key';
      throw new UnsupportedError(
        `redis at ${this.#location} accepts keys and values up to ${megabytes(limit)} (proto-max-bulk-len); ` +
          `this ${what} is ${megabytes(largest)} after serializing and compressing`,
      );
    }
  }

  // ---- single keys: queued, so that what one tick issues is sent together ----

  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    if (key.byteLength > ALWAYS_ACCEPTED_BYTES) return this.#readLargeKey(key, Op.Get);
    return this.#shared.enqueue(Op.Get, this.#hash, asBuffer(key), undefined, this.#failure, this.#live);
  }

  set(key: Uint8Array, value: Uint8Array): Promise<void> {
    try {
      this.#writable('write to');
    } catch (error) {
      return Promise.reject(error);
    }
    if (key.byteLength > ALWAYS_ACCEPTED_BYTES || value.byteLength > ALWAYS_ACCEPTED_BYTES)
      return this.#setLarge(key, value);
    const expiresAt = expiresAtOf(value);
    if (expiresAt !== null) return this.#setExpiring([asBuffer(key), asBuffer(value)], [expiresAt]);
    return this.#shared.enqueue(Op.Set, this.#hash, asBuffer(key), asBuffer(value), this.#failure);
  }

  /**
   * Writes expiring entries (`fields`: field, blob, field, blob…) with their expiry index members, in one script: in
   * its place among the operations issued before it, like every whole command.
   */
  #setExpiring(fields: readonly Buffer[], expiresAt: readonly number[]): Promise<void> {
    const now = this.#now();
    const shared = this.#shared;
    return this.#command('write to', () => {
      const args: (Buffer | string)[] = [shared.fieldExpiry ? '1' : '0', this.#versionNames.changes.channel];
      for (let i = 0; i < expiresAt.length; i++) {
        args.push(fields[2 * i], fields[2 * i + 1], String(expiresAt[i]), String(fieldTtlMs(expiresAt[i], now)));
      }
      return shared.script(SET_EXPIRING, this.#writeKeys, args) as Promise<void>;
    });
  }

  /**
   * HEXISTS and the field's score in the expiry index, sent in one write (two plain commands cost less than a script);
   * only a field the index names as due has its blob fetched and checked.
   */
  async has(key: Uint8Array): Promise<boolean> {
    if (
      key.byteLength > ALWAYS_ACCEPTED_BYTES &&
      key.byteLength > (await this.#maxBulkBytes(await this.#client(), 'read from'))
    )
      return false;
    const now = this.#now();
    const field = asBuffer(key);
    const shared = this.#shared;
    return this.#command('read from', async (client) => {
      const [exists, due] = await Promise.all(
        shared.sendTogether([
          ['hexists', [this.#hash, field]],
          ['zscore', [this.#index, field]],
        ]),
      );
      if (exists !== 1) return false;
      if (due === null || Number(due) > now) return true;
      const blob = await client.hgetBuffer(this.#hash, field);
      return blob !== null && !isExpired(blob, now);
    });
  }

  /**
   * Removes every entry expired at `context.now()`: a server-side script takes the due members of the expiry index,
   * checks their blobs, and removes the expired ones, a batch per call (expiry.ts). How many it removed.
   */
  purgeExpired(): Promise<number> {
    try {
      this.#writable('purge expired entries from');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#command('purge expired entries from', (client) =>
      purgeExpired(client, this.#hash, this.#index, this.#versionNames.changes, this.#now()),
    );
  }

  /** Entries (as `size()`), and the server's estimate of the memory of the hash and its index (MEMORY USAGE). */
  stats(): Promise<Partial<EngineStats>> {
    return this.#command('count', (client) => redisStats(client, this.#hash, this.#index, this.size()));
  }

  delete(key: Uint8Array): Promise<boolean> {
    try {
      this.#writable('delete from');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#deleteWithVersions(key);
  }

  /** One script removes the value and the versions, so no append can fall between the two. */
  async #deleteWithVersions(key: Uint8Array): Promise<boolean> {
    // A key the server could not take was never stored (nothing to delete) and is not sent.
    if (
      key.byteLength > ALWAYS_ACCEPTED_BYTES &&
      key.byteLength > (await this.#maxBulkBytes(await this.#client(), 'delete from'))
    )
      return false;
    return this.#command('delete from', (client) => removeKey(client, this.#versionNames, asBuffer(key), this.#now()));
  }

  readonly append: AppendStore = {
    append: (key, value) => this.#append(key, value),
    versions: (key) => this.#versions(key),
  };

  async #append(key: Uint8Array, value: Uint8Array): Promise<number> {
    this.#writable('write to');
    if (key.byteLength > ALWAYS_ACCEPTED_BYTES || value.byteLength + 8 > ALWAYS_ACCEPTED_BYTES) {
      await this.#checkSize(await this.#client(), key, Buffer.allocUnsafe(value.byteLength + 8));
    }
    return this.#command('write to', (client) =>
      appendVersion(client, this.#versionNames, asBuffer(key), asBuffer(value)),
    );
  }

  async *#versions(key: Uint8Array): AsyncGenerator<RawVersion> {
    try {
      yield* versionsOf(() => this.#client(), this.#versionNames, asBuffer(key));
    } catch (error) {
      throw this.#failure(error, 'read from');
    }
  }

  /** A key over 1 MB: one the server could not take was never stored (absent, nothing deleted) and is not sent. */
  async #readLargeKey(key: Uint8Array, op: typeof Op.Get): Promise<Buffer | undefined> {
    const client = await this.#client();
    if (key.byteLength > (await this.#maxBulkBytes(client, 'read from'))) return undefined;
    return this.#shared.enqueue(op, this.#hash, asBuffer(key), undefined, this.#failure, this.#live);
  }

  async #setLarge(key: Uint8Array, value: Uint8Array): Promise<void> {
    await this.#checkSize(await this.#client(), key, value);
    const expiresAt = expiresAtOf(value);
    if (expiresAt !== null) return this.#setExpiring([asBuffer(key), asBuffer(value)], [expiresAt]);
    return this.#shared.enqueue(Op.Set, this.#hash, asBuffer(key), asBuffer(value), this.#failure);
  }

  // ---- the whole stash ----

  /**
   * Live entries: HLEN less the entries expired at `context.now()`, which a script counts from the due members of the
   * expiry index (so it costs one look per expired entry not yet purged).
   */
  size(): Promise<number> {
    const now = String(this.#now());
    return this.#command('count', () => this.#shared.script(SIZE, this.#keys, [now]) as Promise<number>);
  }

  /** UNLINK frees the hash in the server's background, so clearing a large stash does not stall other clients. */
  clear(): Promise<void> {
    try {
      this.#writable('clear');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#command('clear', (client) => clearAll(client, this.#versionNames));
  }

  getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    if (keys.length === 0) return Promise.resolve([]);
    if (keys.some((key) => key.byteLength > ALWAYS_ACCEPTED_BYTES)) return this.#getManyWithLargeKeys(keys);
    return this.#command('read from', (client) => this.#hmget(client, keys, ALWAYS_ACCEPTED_BYTES));
  }

  async #getManyWithLargeKeys(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    const client = await this.#client().catch(this.#fail('read from'));
    const limit = await this.#maxBulkBytes(client, 'read from');
    return this.#hmget(client, keys, limit).catch(this.#fail('read from'));
  }

  /** HMGETs of READ_BATCH_KEYS keys, all sent at once; a key over `limit` (never stored) is asked for as no key. */
  async #hmget(client: Redis, keys: readonly Uint8Array[], limit: number): Promise<(Uint8Array | undefined)[]> {
    const chunks: Promise<(Buffer | null)[]>[] = [];
    for (let start = 0; start < keys.length; start += READ_BATCH_KEYS) {
      const fields = keys
        .slice(start, start + READ_BATCH_KEYS)
        .map((key) => (key.byteLength > limit ? EMPTY : asBuffer(key)));
      const chunk = client.hmgetBuffer(this.#hash, ...fields);
      chunk.catch(noop);
      chunks.push(chunk);
    }
    const replies = await Promise.all(chunks);
    const values = replies.length === 1 ? replies[0] : replies.flat();
    // Canonical key bytes are never empty, so a field sent as EMPTY reads as absent.
    return values.map(this.#live);
  }

  /**
   * HSETs of many entries each, a few in flight at once, so a long stream is written fast in bounded memory. A run of
   * expiring entries goes as one expiry script instead (expiry.ts); batches go out in the stream's order.
   */
  async setMany(entries: Iterable<RawEntry> | AsyncIterable<RawEntry>): Promise<void> {
    this.#writable('write to');
    const inFlight: Promise<unknown>[] = [];
    let fields: Buffer[] = [];
    /** The expiry of each entry of `fields` when the batch is of expiring entries, else empty. */
    let expiries: number[] = [];
    let bytes = 0;
    const send = async () => {
      const batch = fields;
      const batchExpiries = expiries;
      fields = [];
      expiries = [];
      bytes = 0;
      if (inFlight.length >= WRITES_IN_FLIGHT) await inFlight.shift();
      const client = await this.#client();
      let written: Promise<unknown>;
      if (batchExpiries.length) written = this.#setExpiring(batch, batchExpiries);
      else {
        // A stash that may be watched logs the batch in the same step (changes.ts).
        const logged = mustLog(client, this.#hash);
        written = logged
          ? (client.eval as (...args: unknown[]) => Promise<unknown>)(...loggedHsetArgs(this.#hash, logged, batch))
          : client.hset(this.#hash, ...batch);
      }
      written.catch(noop);
      inFlight.push(written);
    };
    try {
      for await (const [key, value] of entries) {
        if (key.byteLength > ALWAYS_ACCEPTED_BYTES || value.byteLength > ALWAYS_ACCEPTED_BYTES) {
          await this.#checkSize(await this.#client(), key, value);
        }
        const expiresAt = expiresAtOf(value);
        // A batch holds entries of one kind: expiring ones (a script) or not (HSET).
        if (fields.length && (expiresAt !== null) !== expiries.length > 0) await send();
        fields.push(asBuffer(key), asBuffer(value));
        if (expiresAt !== null) expiries.push(expiresAt);
        bytes += key.byteLength + value.byteLength;
        if (fields.length >= 2 * WRITE_BATCH_ENTRIES || bytes >= WRITE_BATCH_BYTES) await send();
      }
      if (fields.length) await send();
      await Promise.all(inFlight);
    } catch (error) {
      throw this.#failure(error, 'write to');
    }
  }

  keys(): AsyncIterableIterator<Uint8Array> {
    return this.#scan<Uint8Array>(true);
  }

  entries(): AsyncIterableIterator<RawEntry> {
    return this.#scan<RawEntry>(false);
  }

  /**
   * HSCAN batches, each asked for before the previous one is handed out, so the server works while the caller
   * decodes; at most two batches are held. COUNT adapts to the entries' size so a batch stays near SCAN_BATCH_BYTES.
   */
  async *#scan<Item>(keysOnly: boolean): AsyncIterableIterator<Item> {
    const client = await this.#client().catch(this.#fail('read from'));
    const shared = this.#shared;
    let withoutValues = keysOnly && shared.scanWithoutValues !== false;
    const request = (cursor: string, count: number): Promise<[Buffer, Buffer[]]> => {
      const reply = withoutValues
        ? (client.hscanBuffer as (...args: unknown[]) => Promise<[Buffer, Buffer[]]>)(
            this.#hash,
            cursor,
            'COUNT',
            count,
            'NOVALUES',
          )
        : client.hscanBuffer(this.#hash, cursor, 'COUNT', count);
      // Awaited below, unless the caller stops iterating first.
      reply.catch(noop);
      return reply;
    };
    let count = SCAN_FIRST_COUNT;
    let pending = request('0', count);
    for (;;) {
      let cursor: Buffer;
      let items: Buffer[];
      try {
        [cursor, items] = await pending;
        if (withoutValues) shared.scanWithoutValues = true;
      } catch (error) {
        if (
          withoutValues &&
          shared.scanWithoutValues === undefined &&
          isReplyError(error) &&
          /syntax/i.test((error as Error).message)
        ) {
          // Before Redis 7.4 HSCAN has no NOVALUES: scan with values and drop them.
          shared.scanWithoutValues = withoutValues = false;
          pending = request('0', count);
          continue;
        }
        throw this.#failure(error, 'read from');
      }
      const done = cursor.length === 1 && cursor[0] === 0x30;
      const step = withoutValues ? 1 : 2;
      if (!done) {
        let bytes = 0;
        for (const item of items) bytes += item.byteLength;
        const entries = items.length / step;
        count =
          entries === 0
            ? SCAN_MAX_COUNT
            : Math.max(1, Math.min(SCAN_MAX_COUNT, Math.floor((SCAN_BATCH_BYTES * entries) / Math.max(1, bytes))));
        pending = request(cursor.toString('latin1'), count);
      }
      const now = this.#now();
      if (keysOnly && withoutValues) {
        // No blobs to check: the expiry index names the fields that may have expired (expiry.ts).
        let expired: Set<Buffer>;
        try {
          expired = await expiredFields(client, this.#hash, this.#index, items, now);
        } catch (error) {
          throw this.#failure(error, 'read from');
        }
        for (let i = 0; i < items.length; i++) if (!expired.has(items[i])) yield items[i] as Item;
      } else if (keysOnly) {
        for (let i = 0; i < items.length; i += 2) if (!isExpired(items[i + 1], now)) yield items[i] as Item;
      } else {
        for (let i = 0; i < items.length; i += 2)
          if (!isExpired(items[i + 1], now)) yield [items[i], items[i + 1]] as Item;
      }
      if (done) return;
    }
  }

  /** Leaves the shared connection; the last stash to leave quits it. A later operation joins it again. */
  async close(): Promise<void> {
    await this.#feeds.closeAll();
    const shared = this.#connection;
    if (!shared) return;
    this.#connection = undefined;
    await releaseConnection(shared);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

export function createRedisEngine(context: EngineContext): Engine {
  return new RedisEngine(context);
}
