import { homedir } from 'node:os';
import { join, sep } from 'node:path';
import type { Engine, RawEntry, SyncAppendStore, AppendStore, SyncStore } from './engines/engine.js';
import { engineFactory } from './engines/index.js';
import { checkOptionsObject, checkTtl } from './checks.js';
import { isExpiredAt, mayExpire } from './engines/expiry.js';
import { KeyNotFoundError, ReadOnlyError, UnsupportedError } from './errors.js';
import { expiresAtOf } from './format/header.js';
import type { BlobFormat } from './format/blob.js';
import { keyCodec, type KeyCodec } from './keys/encoding.js';
import { lazy } from './lazy.js';
import { resolveOptions, settingsFolder, type HashStashOptions, type ResolvedOptions } from './options.js';
import { redactUrl } from './server-url.js';
import { countedRead, stashStats, type ReadCounts, type StashStats } from './read-counts.js';
import type { OpenStash } from './tmp/sweep.js';
import type { Prefetching } from './tiers/upper-tier.js';
import { checkPrefetchOptions, type PrefetchOptions } from './tiers/options.js';
import type { Ttl } from './ttl.js';

/** The options of one write: `set`, `setMany`, `update` (and their sync forms). */
export interface WriteOptions {
  /**
   * This write's expiry: ms, or a duration like `'30s'`, `'15m'`, `'1h'`, `'7d'`, counted from now by the stash's
   * clock. Overrides the stash's `ttl` option; unset, that option applies (and without it the entry never expires).
   */
  ttl?: Ttl | undefined;
}

const WRITE_OPTION_NAMES = ['ttl'];

/**
 * The rules of the dictionary, written once for `HashStash` (asynchronous) and `stash.sync` (synchronous): key
 * encoding, the read counts, absent keys (fallback or KeyNotFoundError), the readonly check, `setDefault`, append
 * mode, and the clear-on-open gate. Each rule runs against an {@link Access}: the engine, whose methods return
 * promises, or its synchronous store, whose methods return values; {@link then} chains a step either way, so the sync
 * view gets plain values and the facade promises from the same code.
 */

// Loaded with the first operation (lazy.ts): constructing a stash loads no key encoder.
const from = import.meta.url;
const preview = lazy<typeof import('./keys/preview.js')>(from, './keys/preview.js');
const formats = lazy<typeof import('./stash-format.js')>(from, './stash-format.js');
const appendMode = lazy<typeof import('./append-mode.js')>(from, './append-mode.js');
const sweeps = lazy<typeof import('./tmp/sweep.js')>(from, './tmp/sweep.js');
const tiering = lazy<typeof import('./tiers/create.js')>(from, './tiers/create.js');
const localEngine = lazy<typeof import('./engines/local-engine.js')>(from, './engines/local-engine.js');

/** A value now (a synchronous store) or later (an engine). */
export type Maybe<T> = T | Promise<T>;

/** True for a promise, or any thenable an engine of one's own may return. */
export const isPromise = (value: unknown): value is Promise<unknown> =>
  typeof (value as { then?: unknown } | null | undefined)?.then === 'function';

/** `next(value)`, at once when `value` is not a promise, else when it resolves. */
export function then<T, R>(value: Maybe<T>, next: (value: T) => Maybe<R>): Maybe<R> {
  return isPromise(value) ? value.then(next) : next(value);
}

/** What the rules read and write: an {@link Engine} or its `SyncStore` (both fit). */
export interface Access {
  get(key: Uint8Array): Maybe<Uint8Array | undefined>;
  getTransient?(key: Uint8Array): Uint8Array | undefined;
  set(key: Uint8Array, value: Uint8Array): Maybe<void>;
  has(key: Uint8Array): Maybe<boolean>;
  delete(key: Uint8Array): Maybe<boolean>;
  size(): Maybe<number>;
  clear(): Maybe<void>;
  getMany(keys: readonly Uint8Array[]): Maybe<(Uint8Array | undefined)[]>;
  readonly append?: AppendStore | SyncAppendStore | undefined;
}

/** What purging expired entries uses: an {@link Engine} or its `SyncStore`. */
export interface PurgeAccess {
  entries(): Iterable<RawEntry> | AsyncIterable<RawEntry>;
  delete(key: Uint8Array): Maybe<boolean>;
  compareAndSet?(key: Uint8Array, expected: Uint8Array | undefined, next: Uint8Array | undefined): Maybe<boolean>;
  purgeExpired?(): Maybe<number>;
}

/** UnsupportedError naming an engine that keeps no versions. */
export function noVersions(engine: { readonly name: string }): UnsupportedError {
  return new UnsupportedError(
    `appendMode needs an engine that keeps versions; the '${engine.name}' engine does not (engines that do: lmdb, sqlite, pairtree, memory, redis, mongo)`,
  );
}

/** The state and rules of one stash object, shared by its asynchronous API and its sync view. */
export class StashCore {
  /** Where the data lives: `<root>/<name>/<engine>.<serializer>.<compress>[+b64]`. */
  readonly path: string;
  /** The root as the user wrote it: server engines namespace by it, and sub-stashes inherit it. */
  readonly rootAsGiven: string;
  readonly options: ResolvedOptions;
  readonly engine: Engine;
  readonly format: BlobFormat;
  /** Reads through this stash object (both surfaces) that found a value, and that did not. */
  readonly reads: ReadCounts = { hits: 0, misses: 0 };
  /** The clock expiry is judged and stamped by, ms since the epoch; the engine's context gets the same one. */
  readonly now: () => number;
  /**
   * The engine does not hide expired entries itself (no `capabilities.hidesExpired`): this object filters what it
   * returns.
   */
  readonly #filters: boolean;
  /**
   * This object has a default ttl, wrote an expiring entry or read one. Until then, on an engine that does not hide
   * expired entries, `has`, `keys` and `size` ask the engine as they did before expiry existed; from then on they
   * read values to leave the expired ones out (see the README's Expiry section).
   */
  #expiring: boolean;
  readonly #label: { toString(): string };
  readonly #keys: KeyCodec;
  readonly #open: OpenStash;
  #pendingClear: boolean;
  #used = false;
  #shownOptions: ResolvedOptions | undefined;

  /**
   * Validates `given` and builds the engine without touching storage.
   *
   * @param label - The stash as error messages name it (`String(stash)`).
   * @param open - Opens a stash from options: the sweep of abandoned temporary stashes clears them through it.
   */
  constructor(given: HashStashOptions, label: { toString(): string }, open: OpenStash) {
    const { engineObject, rootAsGiven, ...options } = resolveOptions(given);
    this.options = options;
    this.rootAsGiven = rootAsGiven;
    this.#keys = keyCodec(options.keyEncoding, options.trustCode);
    this.path = join(options.root, options.name, settingsFolder(options));
    // Server engines namespace by the root as the user wrote it, not by this machine's cache folder, so programs on
    // different machines that open `{ root: 'project_stash' }` on one server share one stash.
    const namespace = [rootAsGiven, options.name, settingsFolder(options)].join('/');
    const { path } = this;
    const { readonly, follow, url, maxBytes, evict } = options;
    this.now = options.clock ?? Date.now;
    const context = { path, namespace, readonly, follow, url, maxBytes, evict, now: this.now };
    this.engine =
      engineObject ??
      (options.tiers
        ? tiering().createTieredEngine(options.tiers, context, options.coherence)
        : engineFactory(options.engine)(context));
    // Fails at once, naming the engine, when the engine keeps no versions.
    if (options.appendMode && !this.engine.append) throw noVersions(this.engine);
    this.format = formats().blobFormat(options);
    this.#filters = !this.engine.capabilities.hidesExpired;
    this.#expiring = options.ttl !== undefined;
    this.#label = label;
    this.#open = open;
    this.#pendingClear = options.clear;
  }

  /** The engine, for an operation on storage: the first one starts the sweep of abandoned temporary stashes. */
  get storage(): Engine {
    if (!this.#used) {
      this.#used = true;
      // The first operation on storage starts, in the background and at most once per root (and server) per
      // process, the sweep of temporary stashes of dead processes; a readonly stash never sweeps.
      const { root, engine, url, readonly } = this.options;
      if (!readonly) void sweeps().sweepOnce({ root, engine, url }, this.#open);
    }
    return this.engine;
  }

  /** The engine's synchronous store, for `stash.sync`; UnsupportedError on an engine that is only asynchronous. */
  get syncStore(): SyncStore {
    const { engine } = this;
    if (!engine.capabilities.sync || !engine.sync)
      throw new UnsupportedError(`stash.sync needs a local engine; '${engine.name}' is only asynchronous`);
    void this.storage;
    return engine.sync;
  }

  /** The options of the sub-stash `subName`: these settings, `overrides`, and the name `<name>/<subName>`. */
  subOptions(subName: string, overrides: Partial<HashStashOptions>): HashStashOptions {
    const { name, engine, serializer, compress, b64, readonly, url, trustCode, maxBytes, evict, ttl, clock } =
      this.options;
    const { tiers, coherence, follow } = this.options;
    // The root as given, so that on a server a sub-stash (a memo's, a map's) is the same one from every machine.
    return {
      root: this.rootAsGiven,
      engine: engine,
      tiers,
      coherence,
      serializer,
      compress,
      b64,
      readonly,
      follow,
      url,
      trustCode,
      maxBytes,
      evict,
      ttl,
      clock,
      ...overrides,
      name: `${name}/${subName}`,
    };
  }

  /** `stash.options`: the resolved options as they may be shown, with the URL's password as `***`. */
  get shownOptions(): ResolvedOptions {
    const { url } = this.options;
    this.#shownOptions ??= url === undefined ? this.options : Object.freeze({ ...this.options, url: redactUrl(url) });
    return this.#shownOptions;
  }

  /** `stash.toJSON()`: the resolved options without `clear`, `maxBytes` and `evict`, and the path; the URL redacted. */
  toJSON(): Omit<ResolvedOptions, 'clear' | 'maxBytes' | 'evict'> & { readonly path: string } {
    const { root, name, engine, serializer, compress, b64, appendMode, readonly, url, trustCode, ttl, clock } =
      this.shownOptions;
    const { tiers, coherence, keyEncoding, follow } = this.shownOptions;
    return {
      root,
      name,
      engine,
      serializer,
      compress,
      b64,
      keyEncoding,
      appendMode,
      readonly,
      follow,
      url,
      trustCode,
      ttl,
      clock,
      tiers,
      coherence,
      path: this.path,
    };
  }

  /** `String(stash)`: `LmdbHashStash(~/.cache/hashstash/project_stash/main/lmdb.hashstash.lz4)`. */
  describe(): string {
    const home = homedir();
    const shown = this.path.startsWith(home + sep) ? `~${this.path.slice(home.length)}` : this.path;
    const { name } = this.engine;
    return `${name.charAt(0).toUpperCase()}${name.slice(1)}HashStash(${shown})`;
  }

  /** What reads go through: the synchronous store where there is one (no promise until the value is known). */
  get reader(): Access {
    const engine = this.storage;
    return engine.sync ?? engine;
  }

  /** ReadOnlyError for a write on a readonly stash. */
  writable(operation: string): void {
    if (this.options.readonly)
      throw new ReadOnlyError(`cannot ${operation}: ${String(this.#label)} was opened with readonly: true`);
  }

  /** The clear-on-open gate: the first operation of a stash opened with `clear: true` empties it first. */
  ready(access: Access): Maybe<void> {
    if (!this.#pendingClear) return undefined;
    this.#pendingClear = false;
    this.writable('clear on open');
    return access.clear();
  }

  /** `run()` once past the gate. */
  gated<R>(access: Access, run: () => Maybe<R>): Maybe<R> {
    return this.#pendingClear ? then(this.ready(access), run) : run();
  }

  /** `clear()`: nothing is pending after it. */
  clear(access: Access): Maybe<void> {
    this.writable('clear');
    this.#pendingClear = false;
    return access.clear();
  }

  encode(key: unknown): Uint8Array {
    return this.#keys.encode(key);
  }

  /** The key stored key bytes stand for (a function key as a StoredFunction unless `trustCode`). */
  decodeKey(rawKey: Uint8Array): unknown {
    return this.#keys.decode(rawKey);
  }

  /** The value of a blob a read found, or `fallback`; counted as a hit or a miss. An expired blob is not found. */
  found(blob: Uint8Array | undefined, fallback: unknown): unknown {
    // A byte test before anything else, on engines that leave expired blobs to us: a version 1 blob costs no more.
    if (blob !== undefined && this.#filters && mayExpire(blob) && this.#expiredHere(blob)) blob = undefined;
    return countedRead(this.reads, this.format, blob, fallback);
  }

  /** True when `blob` has expired by this stash's clock (whether or not the engine hides expired blobs). */
  isExpired(blob: Uint8Array): boolean {
    return mayExpire(blob) && isExpiredAt(blob, this.now());
  }

  /** {@link isExpired} for a blob the engine handed on: notes that this stash has expiring entries. */
  #expiredHere(blob: Uint8Array): boolean {
    const at = expiresAtOf(blob);
    if (at === null) return false;
    this.#expiring = true;
    return at <= this.now() && isExpiredAt(blob, this.now());
  }

  /** `blob`, or undefined when it has expired and the engine left it to us to hide. */
  live(blob: Uint8Array | undefined): Uint8Array | undefined {
    return blob !== undefined && this.#filters && mayExpire(blob) && this.#expiredHere(blob) ? undefined : blob;
  }

  /**
   * On an engine that does not hide expired entries, whether `has`, `keys` and `size` must read values to leave
   * expired ones out: once this object has a default ttl or has met an expiring entry.
   */
  get #readsValues(): boolean {
    return this.#filters && this.#expiring;
  }

  /**
   * When a write made now with `options` expires, ms since the epoch; undefined for never. ConfigError, naming the
   * option, for an unknown or bad one.
   *
   * @param operation - The method, as the message names it (`set option 'ttl' …`).
   */
  expiresAtFor(options: WriteOptions | undefined, operation: string): number | undefined {
    let ttl = this.options.ttl;
    if (options !== undefined) {
      checkOptionsObject(operation, options, WRITE_OPTION_NAMES);
      ttl = checkTtl(operation, 'ttl', options.ttl) ?? ttl;
    }
    if (ttl === undefined) return undefined;
    this.#expiring = true;
    return this.now() + ttl;
  }

  /** The ttl in ms a write with `options` gets, checked as {@link expiresAtFor} checks it; undefined for none. */
  ttlFor(options: WriteOptions | undefined, operation: string): number | undefined {
    let ttl = this.options.ttl;
    if (options !== undefined) {
      checkOptionsObject(operation, options, WRITE_OPTION_NAMES);
      ttl = checkTtl(operation, 'ttl', options.ttl) ?? ttl;
    }
    if (ttl !== undefined) this.#expiring = true;
    return ttl;
  }

  get(access: Access, key: unknown, fallback: unknown): Maybe<unknown> {
    if (this.#pendingClear) return then(this.ready(access), () => this.get(access, key, fallback));
    const encoded = this.#keys.encode(key);
    // Decoding at once, before anything else can run, is what makes the engine's transient read safe here.
    const blob = access.getTransient ? access.getTransient(encoded) : access.get(encoded);
    if (blob === undefined || blob instanceof Uint8Array) return this.found(blob, fallback);
    return blob.then((found) => this.found(found, fallback));
  }

  /** {@link get} for the asynchronous API: a promise, rejected rather than thrown. */
  getAsync(key: unknown, fallback: unknown): Promise<unknown> {
    try {
      return Promise.resolve(this.get(this.reader, key, fallback));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `stash.expiresAt`: ms since the epoch, null when the entry never expires, undefined when absent or expired. */
  expiresAt(access: Access, key: unknown): Maybe<number | null | undefined> {
    return this.gated(access, () =>
      then(access.get(this.#keys.encode(key)), (blob) => {
        if (blob === undefined) return undefined;
        const at = expiresAtOf(blob);
        return at !== null && isExpiredAt(blob, this.now()) ? undefined : at;
      }),
    );
  }

  getMany(access: Access, wanted: Iterable<unknown>): Maybe<unknown[]> {
    return this.gated(access, () =>
      then(access.getMany(Array.from(wanted, (key) => this.#keys.encode(key))), (blobs) =>
        blobs.map((blob) => this.found(blob, undefined)),
      ),
    );
  }

  /** Stores `value` under an encoded key (in append mode: adds a version), expiring as `options` and the stash say. */
  set(access: Access, rawKey: Uint8Array, value: unknown, options?: WriteOptions): Maybe<void> {
    this.writable('set');
    const expiresAt = this.expiresAtFor(options, 'set');
    if (this.#pendingClear) return then(this.ready(access), () => this.#write(access, rawKey, value, expiresAt));
    return this.#write(access, rawKey, value, expiresAt);
  }

  /**
   * {@link set} for the asynchronous API, under `key` encoded now or under `rawKey`: a promise, rejected rather than
   * thrown. Not an async function: handing back the engine's own promise saves a promise layer on the hot write path.
   */
  setAsync(key: unknown, value: unknown, rawKey?: Uint8Array, options?: WriteOptions): Promise<void> {
    try {
      return Promise.resolve(this.set(this.storage, rawKey ?? this.#keys.encode(key), value, options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #write(access: Access, rawKey: Uint8Array, value: unknown, expiresAt: number | undefined): Maybe<void> {
    const blob = this.format.pack(value, expiresAt);
    if (!this.options.appendMode) return access.set(rawKey, blob);
    return then(this.versions(access).append(rawKey, blob), () => undefined);
  }

  has(access: Access, key: unknown): Maybe<boolean> {
    return this.gated(access, () => {
      const encoded = this.#keys.encode(key);
      if (!this.#readsValues) return access.has(encoded);
      return then(access.get(encoded), (blob) => this.live(blob) !== undefined);
    });
  }

  delete(access: Access, key: unknown): Maybe<boolean> {
    this.writable('delete');
    return this.gated(access, () => {
      const encoded = this.#keys.encode(key);
      if (!this.#readsValues) return access.delete(encoded);
      // The engine removes an expired entry too, and says true: it was no entry any read would have returned.
      return then(access.get(encoded), (blob) => {
        const live = this.live(blob) !== undefined;
        return then(access.delete(encoded), (removed) => removed && live);
      });
    });
  }

  size(access: Access & { entries(): Iterable<RawEntry> | AsyncIterable<RawEntry> }): Maybe<number> {
    return this.gated(access, () => (this.#readsValues ? this.#countLive(access.entries()) : access.size()));
  }

  /** How many of `entries` have not expired: `size()` where the engine does not hide expired entries. */
  #countLive(entries: Iterable<RawEntry> | AsyncIterable<RawEntry>): Maybe<number> {
    if (Symbol.iterator in entries) {
      let count = 0;
      for (const [, blob] of entries) if (this.live(blob) !== undefined) count++;
      return count;
    }
    return (async () => {
      let count = 0;
      for await (const [, blob] of entries) if (this.live(blob) !== undefined) count++;
      return count;
    })();
  }

  /** The entries of `entries` that have not expired, where the engine leaves them to us. */
  *liveEntries(entries: Iterable<RawEntry>): Generator<RawEntry> {
    if (!this.#filters) {
      yield* entries;
      return;
    }
    for (const entry of entries) if (this.live(entry[1]) !== undefined) yield entry;
  }

  /** Every key whose entry has not expired, from `store`: its keys, or its entries where values must be read. */
  *liveKeys(store: { keys(): Iterable<Uint8Array>; entries(): Iterable<RawEntry> }): Generator<Uint8Array> {
    if (!this.#readsValues) {
      yield* store.keys();
      return;
    }
    for (const [key, blob] of store.entries()) if (this.live(blob) !== undefined) yield key;
  }

  /**
   * `purgeExpired()`: removes every entry expired by now and returns how many. The engine's own purge where it has one;
   * else a scan of the entries that removes each expired one with `compareAndSet` (so a key set again meanwhile
   * stays), or with `delete` on an engine without it.
   */
  purgeExpired(access: Access & PurgeAccess): Maybe<number> {
    this.writable('purgeExpired');
    return this.gated(access, () => {
      if (access.purgeExpired) return access.purgeExpired();
      const entries = access.entries();
      const remove = (key: Uint8Array, blob: Uint8Array) =>
        access.compareAndSet ? access.compareAndSet(key, blob, undefined) : access.delete(key);
      if (Symbol.iterator in entries) {
        // Gathered first: a store's iteration may not see its own deletes well while it runs.
        const doomed: RawEntry[] = [];
        for (const entry of entries) if (this.isExpired(entry[1])) doomed.push(entry);
        let removed = 0;
        for (const [key, blob] of doomed) if (remove(key, blob) as boolean) removed++;
        return removed;
      }
      return (async () => {
        let removed = 0;
        for await (const [key, blob] of entries) if (this.isExpired(blob) && (await remove(key, blob))) removed++;
        return removed;
      })();
    });
  }

  /** The value under `key`, removed; `fallback[0]` when absent, KeyNotFoundError when there is no fallback. */
  pop(access: Access, key: unknown, fallback: unknown[]): Maybe<unknown> {
    this.writable('pop');
    return this.gated(access, () => {
      const encoded = this.#keys.encode(key);
      return then(access.get(encoded), (found) => {
        const blob = this.live(found);
        if (blob === undefined) {
          if (fallback.length) return fallback[0];
          throw new KeyNotFoundError(`key not found: ${preview().previewKey(key)}`);
        }
        const value = this.format.unpack(blob);
        return then(access.delete(encoded), () => value);
      });
    });
  }

  /** The stored value; when absent, `value`, stored first (only then is the stash required to be writable). */
  setDefault(access: Access, key: unknown, value: unknown): Maybe<unknown> {
    return this.gated(access, () => {
      const encoded = this.#keys.encode(key);
      return then(access.get(encoded), (found) => {
        const blob = this.live(found);
        if (blob !== undefined) return this.format.unpack(blob);
        this.writable('setDefault');
        return then(this.#write(access, encoded, value, this.expiresAtFor(undefined, 'setDefault')), () => value);
      });
    });
  }

  /** `[encoded key, blob]` of each entry, made as the engine takes them, so a large source never sits in memory. */
  *packed(entries: Iterable<readonly [unknown, unknown]>, encoded = false, ttl?: number): Generator<RawEntry> {
    const { format } = this;
    const keyCodec = this.#keys;
    if (ttl === undefined) {
      for (const [key, value] of entries)
        yield [encoded ? (key as Uint8Array) : keyCodec.encode(key), format.pack(value)];
      return;
    }
    // The clock is read per entry: a long stream's later entries live as long as its first.
    for (const [key, value] of entries)
      yield [encoded ? (key as Uint8Array) : keyCodec.encode(key), format.pack(value, this.now() + ttl)];
  }

  /**
   * `stash.setMany`: streamed to the engine in batches; an asynchronous source is gathered into batches here, so the
   * engine sees whole batches, not one promise per entry. `encoded`: the keys are encoded already.
   */
  async setMany(
    entries: Iterable<readonly [unknown, unknown]> | AsyncIterable<readonly [unknown, unknown]>,
    encoded = false,
    options?: WriteOptions,
    operation = 'setMany',
  ): Promise<void> {
    this.writable(operation);
    const ttl = this.ttlFor(options, operation);
    const engine = this.storage;
    await this.ready(engine);
    if (this.options.appendMode) {
      if (!encoded) return appendMode().appendEntries(this, engine, entries, ttl);
      for await (const [rawKey, value] of entries) await this.set(engine, rawKey as Uint8Array, value, options);
      return;
    }
    // Encoding streams lazily inside the engine's own batching, so a million entries never sit in memory at once.
    if (Symbol.iterator in entries) return engine.setMany(this.packed(entries, encoded, ttl));
    const batch: (readonly [unknown, unknown])[] = [];
    for await (const entry of entries) {
      if (batch.push(entry) >= localEngine().WRITE_BATCH)
        await engine.setMany(this.packed(batch.splice(0), encoded, ttl));
    }
    if (batch.length) await engine.setMany(this.packed(batch, encoded, ttl));
  }

  /** `stash.getAll`: every version of `key`, oldest first. */
  async getAll(key: unknown, options: { readonly withMetadata?: boolean | undefined }): Promise<unknown[]> {
    await this.ready(this.storage);
    return appendMode().allVersions(this, this.storage, key, options);
  }

  /** `stash.prefetch()`: loads `keys` into the upper tiers; 0 on a stash without tiers. */
  async prefetch(wanted: Iterable<unknown>, options: PrefetchOptions): Promise<number> {
    const signal = checkPrefetchOptions(options);
    const engine = this.storage as Engine & Partial<Prefetching>;
    await this.ready(engine);
    if (typeof engine.prefetch !== 'function') return 0;
    return engine.prefetch(
      Array.from(wanted, (key) => this.#keys.encode(key)),
      signal,
    );
  }

  /** `stash.stats()`: this object's read counts with the engine's counters. */
  async stats(): Promise<StashStats> {
    await this.ready(this.storage);
    return stashStats(this.storage, this.reads);
  }

  /** `stash.rawEntries()` */
  async *rawEntries(): AsyncGenerator<RawEntry> {
    await this.ready(this.storage);
    if (!this.#filters) {
      yield* this.storage.entries();
      return;
    }
    for await (const entry of this.storage.entries()) if (this.live(entry[1]) !== undefined) yield entry;
  }

  /** `stash.rawKeys()` */
  async *rawKeys(): AsyncGenerator<Uint8Array> {
    await this.ready(this.storage);
    if (!this.#readsValues) {
      yield* this.storage.keys();
      return;
    }
    for await (const [key, blob] of this.storage.entries()) if (this.live(blob) !== undefined) yield key;
  }

  /** The version store of `access` (the engine's or the sync store's); UnsupportedError when it keeps none. */
  versions<A extends Access>(access: A): NonNullable<A['append']> {
    if (!access.append || !this.engine.append) throw noVersions(this.engine);
    return access.append;
  }
}
