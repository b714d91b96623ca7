import type { TierStats } from '../tiers/stats.js';

/**
 * The storage layer: an engine stores bytes under bytes and knows nothing of serializers or codecs.
 * Keys arrive as the canonical key encoding (see src/keys); an engine that needs a fixed-length
 * name hashes them itself with `hashKey`.
 */

/** What an engine can do; the facade reads these instead of checking classes. */
export interface EngineCapabilities {
  /** Data outlives the process. */
  readonly persistent: boolean;
  /** Offers a synchronous store (`Engine.sync`), so `stash.sync` works. */
  readonly sync: boolean;
  /** Several processes may open the same stash at once. */
  readonly sharedAcrossProcesses: boolean;
  /** Several worker threads of one process see the same entries. */
  readonly sharedAcrossThreads: boolean;
  /** Keeps several versions of a key natively (append mode without rewriting history). */
  readonly nativeAppend: boolean;
  /**
   * Hides expired entries itself: `get`, `getMany`, `has`, `keys`, `entries` and `size` skip every blob whose
   * {@link expiresAtOf} is at or before `context.now()`. Without it the facade filters what the engine returns (and
   * reads values to answer `has` and `size` on a stash that has expiring entries).
   */
  readonly hidesExpired?: boolean;
}

/**
 * Where and how an engine opens: everything is resolved by the facade before the engine sees it. The facade passes it
 * to the factory of the engine named by the `engine` option, built-in or given to `registerEngine`; an engine object
 * passed as the option gets its location from you instead.
 */
export interface EngineContext {
  /** The stash's own location, `<root>/<name>/<engine>.<serializer>.<compress>[+b64]`. */
  readonly path: string;
  /** The same parts joined for server engines that namespace keys instead of using folders. */
  readonly namespace: string;
  /** The stash was opened with `readonly: true`: the engine must create and change nothing it can avoid. */
  readonly readonly: boolean;
  /**
   * The stash was opened with `follow: true` (always with `readonly`): each read must see the newest commit of the
   * processes writing the stash, not a snapshot the engine keeps between reads. Only lmdb and sqlite are given it.
   */
  readonly follow?: boolean;
  /** Server URL, for the engines that talk to one. */
  readonly url: string | undefined;
  /** The memory engine's byte budget: bytes, or a size like '512mb' or '25%' (of the machine's memory). */
  readonly maxBytes?: number | string;
  /** What the memory engine drops when the budget is full ('none': a write that does not fit throws). */
  readonly evict?: 'lru' | 'lfu' | 'fifo' | 'none';
  /**
   * The clock expiry is judged by, in ms since the epoch: `Date.now` unless the stash was given a `clock`. A blob
   * expires when its {@link expiresAtOf} is at or before `now()`.
   */
  readonly now: () => number;
}

/**
 * One change seen by {@link Engine.watch}: a key set or deleted, the stash cleared, or `missed` when the watcher fell
 * behind and some changes are lost to it (it should re-read what it cares about).
 */
export type RawChange =
  | {
      /** A key was set or deleted. */
      readonly type: 'set' | 'delete';
      /** The key's canonical bytes ({@link encodeKey}). */
      readonly key: Uint8Array;
    }
  | {
      /** The stash was cleared. */
      readonly type: 'clear';
    }
  | {
      /** Changes were lost to this watcher. */
      readonly type: 'missed';
      /** How many, when the engine knows. */
      readonly count?: number;
    };

/** One entry as stored: the key's canonical bytes ({@link encodeKey}) and the value's blob. */
export type RawEntry = [key: Uint8Array, value: Uint8Array];

/** One stored version of a key in append mode. */
export interface RawVersion {
  /** Counts from 1. */
  readonly version: number;
  /**
   * Milliseconds since the epoch: the appending process's clock when the version took its number, raised to the
   * previous version's timestamp when that is later, so that timestamps never go down as versions go up.
   */
  readonly timestamp: number;
  /** The stored blob. */
  readonly value: Uint8Array;
}

/**
 * Append mode, kept natively: each version is an entry of its own, so adding one never rewrites the history.
 * `append` is atomic even between processes (where the engine is shared across processes): it takes the next version
 * number and, in the same step, the version's timestamp (see `RawVersion.timestamp`), stores the version, and makes it
 * the key's current value, so a plain `get` (and a stash opened without append mode) reads the latest version. The
 * engine's `delete` removes every version of the key and `clear` every version of every key; `size` and `keys` count
 * keys, not versions.
 */
export interface AppendStore {
  /** Returns the version number given to this value. */
  append(key: Uint8Array, value: Uint8Array): Promise<number>;
  /** Oldest first; streams. Empty when the key has no versions (also for a key set outside append mode). */
  versions(key: Uint8Array): AsyncIterable<RawVersion>;
}

/** The synchronous form of `AppendStore`, for local engines. */
export interface SyncAppendStore {
  /** Adds `value` as the key's next version and current value, atomically; returns the version number it got. */
  append(key: Uint8Array, value: Uint8Array): number;
  /** Appends each entry in turn, as one transaction (one commit) where the engine has them: for `update` in append mode. */
  appendMany?(entries: Iterable<RawEntry>): void;
  /** Oldest first; streams. Empty when the key has no versions (also for a key set outside append mode). */
  versions(key: Uint8Array): Iterable<RawVersion>;
}

/** The synchronous operations of a local engine. Writes must be durable or atomic as the engine documents. */
export interface SyncStore {
  /** The blob stored under `key`, or undefined. */
  get(key: Uint8Array): Uint8Array | undefined;
  /**
   * Like `get`, but the bytes may be a view the engine reuses: they are valid only until the next call on this store
   * in this thread. For callers that decode at once; it lets lmdb skip a copy on the hottest path.
   */
  getTransient?(key: Uint8Array): Uint8Array | undefined;
  /** Stores `value` under `key`, replacing what was there; stored when it returns. */
  set(key: Uint8Array, value: Uint8Array): void;
  /** True when something is stored under `key`. */
  has(key: Uint8Array): boolean;
  /** Removes `key` (every version of it, with `append`); true when something was removed. */
  delete(key: Uint8Array): boolean;
  /** How many keys (not versions). */
  size(): number;
  /** Removes every entry of this stash, and nothing else. */
  clear(): void;
  /** Streams: never holds more than a bounded batch in memory. */
  keys(): Iterable<Uint8Array>;
  /** Every key and its blob; streams like `keys`. */
  entries(): Iterable<RawEntry>;
  /** The blobs of `keys`, in the same order, undefined where absent. */
  getMany(keys: readonly Uint8Array[]): (Uint8Array | undefined)[];
  /** Stores every entry, as one transaction where the engine has them (the facade sends batches of 10,000). */
  setMany(entries: Iterable<RawEntry>): void;
  /** Present on engines whose capabilities say `nativeAppend`. */
  readonly append?: SyncAppendStore;
  /** See {@link Engine.compareAndSet}. */
  compareAndSet?(key: Uint8Array, expected: Uint8Array | undefined, next: Uint8Array | undefined): boolean;
  /** See {@link Engine.purgeExpired}. */
  purgeExpired?(): number;
}

/**
 * The asynchronous operations every engine offers. Keys and values arrive as bytes: the facade has encoded the key
 * and serialized and compressed the value. To store them elsewhere, register a factory of your own engines with
 * `registerEngine` and name it as the `engine` option, or pass one engine object as the option; it should open storage
 * on its first call, not when it is made, so that constructing a stash touches nothing. The conformance suite,
 * `engineConformance` from `hashstash/test-suite`, checks an engine against this contract.
 *
 * @example
 * ```ts
 * registerEngine('mine', (context) => new MyEngine(context.path));
 * const stash = new HashStash({ engine: 'mine' });      // or, for one stash: new HashStash({ engine: myEngine })
 * ```
 */
export interface Engine extends AsyncDisposable {
  /** The name used in paths and in `String(stash)`, e.g. `pairtree`. */
  readonly name: string;
  /** What it can do; the facade reads these instead of checking classes. */
  readonly capabilities: EngineCapabilities;
  /** Present exactly when `capabilities.sync`. */
  readonly sync: SyncStore | undefined;
  /** The blob stored under `key`, or undefined. */
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  /** Stores `value` under `key`, replacing what was there; resolves once it is stored. */
  set(key: Uint8Array, value: Uint8Array): Promise<void>;
  /** True when something is stored under `key`. */
  has(key: Uint8Array): Promise<boolean>;
  /** Removes `key` (every version of it, with `append`); true when something was removed. */
  delete(key: Uint8Array): Promise<boolean>;
  /** How many keys (not versions). */
  size(): Promise<number>;
  /** Removes every entry of this stash, and nothing else (not other stashes on the same server or in the same root). */
  clear(): Promise<void>;
  /** Every key; streams, never holding more than a bounded batch in memory. */
  keys(): AsyncIterable<Uint8Array>;
  /** Every key and its blob; streams like `keys`. */
  entries(): AsyncIterable<RawEntry>;
  /** The blobs of `keys`, in the same order, undefined where absent. */
  getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]>;
  /** Stores every entry; the facade passes arrays of up to 10,000, or one iterable encoded as the engine reads it. */
  setMany(entries: Iterable<RawEntry> | AsyncIterable<RawEntry>): Promise<void>;
  /** Present exactly when `capabilities.nativeAppend`. */
  readonly append?: AppendStore | undefined;
  /** Cheap counters where the engine keeps them (see `EngineStats`). */
  stats?(): Promise<Partial<EngineStats>>;
  /**
   * Atomically, between threads, processes and (server engines) machines: when the blob under `key` is byte-equal to
   * `expected` (undefined: nothing stored, or a blob expired at `context.now()`), store `next` (undefined: delete the
   * key); true when it did. `setIfAbsent` and leases are built on it; without it they throw UnsupportedError.
   * With versions (`nativeAppend`) it compares and replaces the key's current value and adds no version; deleting
   * removes every version, as `delete` does.
   */
  compareAndSet?(key: Uint8Array, expected: Uint8Array | undefined, next: Uint8Array | undefined): Promise<boolean>;
  /**
   * Removes every entry expired at `context.now()`, atomically per entry (one set again meanwhile stays); returns how
   * many. Without it the facade scans `entries()` and removes expired ones with `compareAndSet` (or `delete`).
   */
  purgeExpired?(): Promise<number>;
  /**
   * Changes made from now on by any thread or process (machine, for servers) on this stash, until `signal` aborts or
   * the engine closes; a watcher that falls behind gets `{ type: 'missed' }`, never a silent gap.
   */
  watch?(options: { readonly signal?: AbortSignal | undefined }): AsyncIterable<RawChange>;
  /** Releases files and connections; `stash.close()` calls it. */
  close(): Promise<void>;
}

/** What `stash.stats()` reports; an engine fills in what it can count cheaply, the facade counts hits and misses. */
export interface EngineStats {
  /** Reads that found a value. `stash.stats()` counts these per stash object itself: an engine's count is not used. */
  readonly hits: number;
  /** Reads that found nothing; counted like `hits`. */
  readonly misses: number;
  /** Entries dropped to stay within a byte budget (the memory engine). */
  readonly evictions: number;
  /** How many keys. */
  readonly entries: number;
  /** Bytes of keys and values held. */
  readonly bytesUsed: number;
  /** Bytes the engine has taken from the system for them (files, segments). */
  readonly bytesReserved: number;
  /** A tiered stash's tiers, fastest first (see the `tiers` and `memory` options). */
  readonly tiers: readonly TierStats[];
}

/**
 * Builds an engine for one stash location; must not touch storage until first use. What `registerEngine` takes, and
 * what the conformance suite runs on.
 */
export type EngineFactory = (context: EngineContext) => Engine;
