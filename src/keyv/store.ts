import { EventEmitter } from 'node:events';
import { ConfigError } from '../errors.js';
import type { HashStashOptions } from '../options.js';
import { HashStash } from '../stash.js';

/**
 * The options of {@link KeyvHashStash} of its own; it takes them beside a stash's options (`engine`, `root`, `name`,
 * `url`, ...: see HashStashOptions), or beside a stash of your own.
 */
export interface KeyvHashStashOptions {
  /**
   * A stash to keep the entries in, instead of one opened from the other options. Each keyv namespace is a sub-stash
   * of it; `disconnect()` closes the sub-stashes, not this stash.
   */
  readonly stash?: HashStash | undefined;
  /**
   * Removes expired entries (`stash.purgeExpired()` of every namespace used) this often, in ms; unset, nothing runs
   * in the background and expired entries are hidden from every read and removed by `purgeExpired()`. The timer keeps
   * no process alive.
   */
  readonly purgeInterval?: number | undefined;
}

/** One entry as keyv's `setMany` hands it over. */
export interface KeyvStoreEntry {
  /** The key, prefixed with the namespace by keyv. */
  readonly key: string;
  /** What keyv stores: its JSON text, or its `{ value, expires }` object when its serialization is off. */
  readonly value: unknown;
  /** ms until it expires; 0 or undefined for never. */
  readonly ttl?: number | undefined;
}

/**
 * A keyv 5 store on a hashstash engine: `new Keyv({ store: new KeyvHashStash({ engine: 'lmdb' }) })` gives keyv (and
 * cacheable, cache-manager and everything else built on it) lmdb, the shared-memory engine, pairtree, sqlite, redis
 * or mongo, with hashstash's serializers.
 *
 * - Each keyv namespace is a sub-stash (`stash.sub(namespace)`), so `clear()` clears the current namespace only, and
 *   `iterator(namespace)` walks one sub-stash. Keys are stored as keyv hands them over (prefixed with the namespace).
 * - keyv's ttl is the engine's expiry (`stash.set(key, value, { ttl })`): an expired entry is never read back, and
 *   `purgeExpired()` (or the `purgeInterval` option) removes it from storage; on redis and mongo the server helps.
 * - Values are whatever keyv passes: its JSON text by default, or, with `serialize: undefined, deserialize: undefined`
 *   on the Keyv (recommended; {@link createKeyv} does it), keyv's `{ value, expires }` object, stored by hashstash's
 *   serializer, which carries Dates, Maps, Sets, BigInts, typed arrays and more that JSON cannot.
 *
 * `opts.dialect` is `'hashstash'`, which keyv 5 does not know, so a Keyv does not build `keyv.iterator()` for this
 * store by itself: {@link createKeyv} wires it (as keyv wires it for its own stores), or
 * `keyv.iterator = keyv.generateIterator(store.iterator.bind(store))`.
 */
export class KeyvHashStash extends EventEmitter {
  /** What keyv reads of a store's options. */
  readonly opts: {
    /** keyv's name for the kind of store. */
    readonly dialect: 'hashstash';
    /** Where the entries live: the base stash as `String(stash)` shows it (a server URL redacted). */
    readonly url: string;
    /** The engine's name. */
    readonly engine: string;
  };
  /** Set by keyv: the namespace of the keys it passes (they arrive prefixed with it). */
  namespace: string | undefined;
  readonly #base: HashStash;
  readonly #ownsBase: boolean;
  readonly #namespaces = new Map<string, HashStash>();
  readonly #purgeTimer: NodeJS.Timeout | undefined;

  /**
   * Opens the base stash (or takes yours) and, with `purgeInterval`, starts the purge timer.
   *
   * @param options - A stash's options (default: the `lmdb` engine under the default root, stash name `keyv`) with
   *   this store's own ({@link KeyvHashStashOptions}), or `{ stash }` with a stash of your own.
   */
  constructor(options: HashStashOptions & KeyvHashStashOptions = {}) {
    super();
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new ConfigError(
        `KeyvHashStash options must be an object, got ${options === null ? 'null' : typeof options}`,
      );
    }
    const { stash, purgeInterval, ...stashOptions } = options;
    if (stash !== undefined && !(stash instanceof HashStash)) {
      throw new ConfigError(`KeyvHashStash option 'stash' must be a HashStash, got ${typeof stash}`);
    }
    if (stash !== undefined && Object.keys(stashOptions).length > 0) {
      throw new ConfigError(
        `KeyvHashStash takes either 'stash' or the options of one, not both (got ${Object.keys(stashOptions).join(', ')} beside it)`,
      );
    }
    this.#base = stash ?? new HashStash({ name: 'keyv', ...stashOptions });
    this.#ownsBase = stash === undefined;
    this.opts = { dialect: 'hashstash', url: String(this.#base), engine: this.#base.engine.name };
    if (purgeInterval !== undefined) {
      if (typeof purgeInterval !== 'number' || !Number.isFinite(purgeInterval) || purgeInterval <= 0) {
        throw new ConfigError(
          `KeyvHashStash option 'purgeInterval' must be a positive number of ms, got ${String(purgeInterval)}`,
        );
      }
      this.#purgeTimer = setInterval(() => {
        this.purgeExpired().catch((error: unknown) => this.#report(error));
      }, purgeInterval);
      this.#purgeTimer.unref();
    }
  }

  /** The stash of the current namespace (the base stash when there is none). */
  get stash(): HashStash {
    return this.#stashOf(this.namespace);
  }

  #stashOf(namespace: string | undefined): HashStash {
    if (namespace === undefined || namespace === '') return this.#base;
    let stash = this.#namespaces.get(namespace);
    if (stash === undefined) this.#namespaces.set(namespace, (stash = this.#base.sub(namespace)));
    return stash;
  }

  /** keyv's 'error' event, for failures nobody awaits (the purge timer); awaited calls reject instead. */
  #report(error: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  /** The value stored under `key`; undefined when absent or expired. */
  async get<Value>(key: string): Promise<Value | undefined> {
    return (await this.stash.get(key)) as Value | undefined;
  }

  /** The values of `keys`, in order (one batched read: a read transaction, an HMGET, a `$in` query). */
  async getMany<Value>(keys: string[]): Promise<(Value | undefined)[]> {
    return (await this.stash.getMany(keys)) as (Value | undefined)[];
  }

  /** Stores `value`; a `ttl` in ms (keyv's) expires it, 0 or none never. Resolves to true, as keyv's stores do. */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    await this.stash.set(key, value, expiryOf(ttl));
    return true;
  }

  /** One `setMany` per distinct ttl (one transaction per 10,000 entries on local engines, one round trip on redis). */
  async setMany(entries: KeyvStoreEntry[]): Promise<void> {
    const byTtl = new Map<number | undefined, [string, unknown][]>();
    for (const { key, value, ttl } of entries) {
      const expiry = expiryOf(ttl)?.ttl;
      let group = byTtl.get(expiry);
      if (group === undefined) byTtl.set(expiry, (group = []));
      group.push([key, value]);
    }
    const stash = this.stash;
    await Promise.all(
      Array.from(byTtl, ([ttl, group]) => stash.setMany(group, ttl === undefined ? undefined : { ttl })),
    );
  }

  /** Whether a live entry is stored under `key`. */
  async has(key: string): Promise<boolean> {
    return this.stash.has(key);
  }

  /** {@link has} of each of `keys`, in order. */
  async hasMany(keys: string[]): Promise<boolean[]> {
    const stash = this.stash;
    return Promise.all(keys.map((key) => stash.has(key)));
  }

  /** Removes `key`; true when a live entry was there. */
  async delete(key: string): Promise<boolean> {
    return this.stash.delete(key);
  }

  /** True when at least one of `keys` was there (keyv's meaning). */
  async deleteMany(keys: string[]): Promise<boolean> {
    const stash = this.stash;
    return (await Promise.all(keys.map((key) => stash.delete(key)))).includes(true);
  }

  /** Clears the current namespace only. */
  async clear(): Promise<void> {
    await this.stash.clear();
  }

  /** `[key, value]` of every live entry of `namespace` (default: the current one), keys as keyv stored them. */
  async *iterator<Value>(namespace?: string): AsyncGenerator<[string, Value], void> {
    for await (const [key, value] of this.#stashOf(namespace ?? this.namespace).entries())
      yield [key as string, value as Value];
  }

  /** Removes the expired entries of every namespace this store has used; how many. */
  async purgeExpired(): Promise<number> {
    let removed = await this.#base.purgeExpired();
    for (const stash of this.#namespaces.values()) removed += await stash.purgeExpired();
    return removed;
  }

  /** Stops the purge timer and closes the stashes this store opened. */
  async disconnect(): Promise<void> {
    if (this.#purgeTimer) clearInterval(this.#purgeTimer);
    const stashes = [...this.#namespaces.values()];
    this.#namespaces.clear();
    await Promise.all(stashes.map((stash) => stash.close()));
    if (this.#ownsBase) await this.#base.close();
  }

  /** `await using store = new KeyvHashStash(...)`: {@link disconnect} at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.disconnect();
  }
}

/** keyv's ttl as a write option: a positive number of ms; 0, undefined or anything else means no expiry. */
function expiryOf(ttl: number | undefined): { ttl: number } | undefined {
  return typeof ttl === 'number' && Number.isFinite(ttl) && ttl > 0 ? { ttl } : undefined;
}
