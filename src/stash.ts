import { homedir } from 'node:os';
import { join, sep } from 'node:path';
import type { GetAllOptions, VersionRecord } from './append-mode.js';
import type { Engine, RawEntry } from './engines/engine.js';
import { engineFactory } from './engines/index.js';
// Loaded with the facade for its rules that run at import: a thread that starts a worker, or a worker that inherited
// no memory arena, listens for one (hand-over.ts).
import './engines/shared-memory/hand-over.js';
import { KeyNotFoundError, ReadOnlyError, UnsupportedError } from './errors.js';
import type { BlobFormat } from './format/blob.js';
import { lazy } from './lazy.js';
import type { StashedDecorator } from './memo/decorator.js';
import { closeMemoStashes } from './memo/made.js';
import type { MemoOptions, Memoized } from './memo/memoize.js';
import { resolveOptions, settingsFolder, type HashStashOptions, type ResolvedOptions } from './options.js';
import type { MapFunction } from './parallel/function-ref.js';
import type { StashMap } from './parallel/map.js';
import type { MapOptions } from './parallel/options.js';
import type { SyncHashStash } from './sync-stash.js';
import type { UpdateSource } from './update-source.js';
import { countedRead, stashStats, type ReadCounts, type StashStats } from './read-counts.js';
import type { RecordOptions } from './tables/records.js';
import type { FlatRecord } from './tables/flatten.js';
import type { Table } from './tables/table.js';
import type { TemporaryHashStash } from './tmp/temporary.js';

// What a stash needs beyond its facade loads when first needed (see lazy.ts): importing hashstash loads none of it.
const from = import.meta.url;
const keys = lazy<typeof import('./keys/encode.js')>(from, './keys/encode.js');
const preview = lazy<typeof import('./keys/preview.js')>(from, './keys/preview.js');
const formats = lazy<typeof import('./stash-format.js')>(from, './stash-format.js');
const appendMode = lazy<typeof import('./append-mode.js')>(from, './append-mode.js');
const updates = lazy<typeof import('./update-source.js')>(from, './update-source.js');
const syncView = lazy<typeof import('./sync-stash.js')>(from, './sync-stash.js');
const memo = lazy<typeof import('./memo/memoize.js')>(from, './memo/memoize.js');
const decorator = lazy<typeof import('./memo/decorator.js')>(from, './memo/decorator.js');
const mapping = lazy<typeof import('./parallel/map.js')>(from, './parallel/map.js');
const records = lazy<typeof import('./tables/records.js')>(from, './tables/records.js');
const tables = lazy<typeof import('./tables/table.js')>(from, './tables/table.js');
const temporary = lazy<typeof import('./tmp/temporary.js')>(from, './tmp/temporary.js');
const sweeps = lazy<typeof import('./tmp/sweep.js')>(from, './tmp/sweep.js');
const localEngine = lazy<typeof import('./engines/local-engine.js')>(from, './engines/local-engine.js');

/**
 * A dictionary whose keys and values can be anything, kept on the storage named by `engine`.
 * The constructor only validates; storage is opened on first use, and so is the sweep of abandoned temporary stashes.
 */
export class HashStash<K = any, V = any> implements AsyncDisposable, AsyncIterable<[K, V]> {
  /** Where the data lives: `<root>/<name>/<engine>.<serializer>.<compress>[+b64]`. */
  readonly path: string;
  readonly #options: ResolvedOptions;
  /** The root as the user wrote it: server engines namespace by it, and sub-stashes inherit it. */
  readonly #rootAsGiven: string;
  readonly #engine: Engine;
  readonly #format: BlobFormat;
  #pendingClear: boolean;
  #used = false;
  #syncView: SyncHashStash<K, V> | undefined;
  readonly #memoized = new WeakMap<Function, Memoized<any, any>>();
  readonly #reads: ReadCounts = { hits: 0, misses: 0 };

  constructor(options: HashStashOptions = {}) {
    const { engineObject, rootAsGiven, ...resolved } = resolveOptions(options);
    this.#options = resolved;
    this.#rootAsGiven = rootAsGiven;
    this.path = join(resolved.root, resolved.name, settingsFolder(resolved));
    // Server engines namespace by the root as the user wrote it, not by this machine's cache folder, so programs on
    // different machines that open `{ root: 'project_stash' }` on one server share one stash.
    const namespace = [rootAsGiven, resolved.name, settingsFolder(resolved)].join('/');
    this.#engine = engineObject ?? engineFactory(resolved.engine as never)({
      path: this.path,
      namespace,
      readonly: resolved.readonly,
      url: resolved.url,
      maxBytes: resolved.maxBytes,
      evict: resolved.evict,
    });
    this.#format = formats().blobFormat(resolved);
    this.#pendingClear = resolved.clear;
    // Fails at once, naming the engine, when the engine keeps no versions.
    if (resolved.appendMode) appendMode().appendStoreOf(this.#engine);
  }

  /**
   * The engine, for an operation on storage. The first one also starts, in the background and at most once per root
   * (and server) per process, the sweep that removes temporary stashes of dead processes: a stash that is only
   * constructed touches nothing, and a readonly one never sweeps.
   */
  get #storage(): Engine {
    if (!this.#used) {
      this.#used = true;
      const { root, engine, url, readonly } = this.#options;
      if (!readonly) void sweeps().sweepOnce({ root, engine, url }, HashStash);
    }
    return this.#engine;
  }

  /** The storage engine this stash runs on. */
  get engine(): Engine { return this.#engine; }
  get name(): string { return this.#options.name; }
  get root(): string { return this.#options.root; }
  get options(): ResolvedOptions { return this.#options; }

  /** The same stash, synchronously, for local engines (memory, pairtree, lmdb, sqlite). */
  get sync(): SyncHashStash<K, V> {
    if (!this.#syncView) {
      const store = this.#engine.sync;
      if (!this.#engine.capabilities.sync || !store) {
        throw new UnsupportedError(`stash.sync needs a local engine; '${this.#engine.name}' is only asynchronous`);
      }
      void this.#storage;
      this.#syncView = new (syncView().SyncHashStash)<K, V>(this, store, this.#format, () => this.#clearIfPendingSync(), this.#reads);
    }
    return this.#syncView;
  }

  /** A stash inside this one, with the same settings, at `<root>/<name>/<subName>/…`. */
  sub<SK = any, SV = any>(subName: string, overrides: Partial<HashStashOptions> = {}): HashStash<SK, SV> {
    const { engine, serializer, compress, b64, readonly, url, trustCode, maxBytes, evict } = this.#options;
    // The root as given, so that on a server a sub-stash (a memo's, a map's) is the same one from every machine.
    return new HashStash<SK, SV>({
      root: this.#rootAsGiven, engine: engine as HashStashOptions['engine'], serializer, compress, b64, readonly, url, trustCode, maxBytes, evict,
      ...overrides,
      name: `${this.#options.name}/${subName}`,
    });
  }

  /**
   * A stash with these settings in a fresh location in the root, removed (files and server keys) when disposed:
   * `await using tmp = stash.tmp()`. ReadOnlyError on a readonly stash, which writes nothing in its root.
   */
  tmp<TK = K, TV = V>(): TemporaryHashStash<TK, TV> { return temporary().openTmpStash<TK, TV>(this, HashStash); }

  /** `fn(tmp)` with a temporary stash that is removed when `fn` settles, also when it throws. */
  withTmp<R, TK = K, TV = V>(fn: (tmp: TemporaryHashStash<TK, TV>) => R | Promise<R>): Promise<Awaited<R>> {
    return temporary().withTmpStash<TK, TV, R>(this, HashStash, fn);
  }

  // ---- the dictionary ----

  get(key: K): Promise<V | undefined>;
  get<F>(key: K, fallback: F): Promise<V | F>;
  // Not an async function, like `set`: a round trip's reply is decoded in the engine promise's own callback.
  get(key: K, fallback?: unknown): Promise<unknown> {
    try {
      if (this.#pendingClear) return this.#clearPending().then(() => this.get(key, fallback));
      const encoded = keys().encodeKey(key);
      const store = this.#storage.sync;
      if (!store) return this.#storage.get(encoded).then((blob) => this.#found(blob, fallback));
      // Decoding at once, before anything else can run, is what makes the engine's transient read safe here.
      return Promise.resolve(this.#found(store.getTransient ? store.getTransient(encoded) : store.get(encoded), fallback));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #found(blob: Uint8Array | undefined, fallback: unknown): unknown {
    return countedRead(this.#reads, this.#format, blob, fallback);
  }

  // Not an async function: handing back the engine's own promise saves a promise layer on the hottest write path.
  set(key: K, value: V): Promise<void> {
    try {
      return this.setRaw(keys().encodeKey(key), value);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * `set` under a key already encoded with `encodeKey`, for callers that must fix the key before the value exists:
   * a memo whose function changes its own arguments still stores under the arguments it was called with.
   */
  setRaw(rawKey: Uint8Array, value: V): Promise<void> {
    try {
      this.#writable('set');
      if (this.#options.appendMode) return this.#append(rawKey, value);
      if (this.#pendingClear) return this.#clearPending().then(() => this.#storage.set(rawKey, this.#format.pack(value)));
      return this.#storage.set(rawKey, this.#format.pack(value));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async has(key: K): Promise<boolean> {
    if (this.#pendingClear) await this.#clearPending();
    return this.#storage.has(keys().encodeKey(key));
  }

  /** True when something was removed. */
  async delete(key: K): Promise<boolean> {
    this.#writable('delete');
    if (this.#pendingClear) await this.#clearPending();
    return this.#storage.delete(keys().encodeKey(key));
  }

  /** The value, removed. Without a fallback, an absent key throws KeyNotFoundError. */
  async pop(key: K): Promise<V>;
  async pop<F>(key: K, fallback: F): Promise<V | F>;
  async pop(key: K, ...fallback: unknown[]): Promise<unknown> {
    this.#writable('pop');
    if (this.#pendingClear) await this.#clearPending();
    const encoded = keys().encodeKey(key);
    const blob = await this.#storage.get(encoded);
    if (blob === undefined) {
      if (fallback.length) return fallback[0];
      throw new KeyNotFoundError(`key not found: ${preview().previewKey(key)}`);
    }
    const value = this.#format.unpack(blob);
    await this.#storage.delete(encoded);
    return value;
  }

  /** The stored value; when absent, stores `value` first and returns it. */
  async setDefault(key: K, value: V): Promise<V> {
    if (this.#pendingClear) await this.#clearPending();
    const encoded = keys().encodeKey(key);
    const blob = await this.#storage.get(encoded);
    if (blob !== undefined) return this.#format.unpack(blob) as V;
    this.#writable('setDefault');
    if (this.#options.appendMode) await this.#append(encoded, value);
    else await this.#storage.set(encoded, this.#format.pack(value));
    return value;
  }

  /** Stores every entry of a Map, an iterable or async iterable of [key, value], a plain object, or another stash. */
  async update(source: UpdateSource<K, V>): Promise<void> {
    this.#writable('update');
    await this.setMany(updates().toEntries(source));
  }

  /** Values for many keys at once, in the order asked (undefined where absent). */
  async getMany(wanted: Iterable<K>): Promise<(V | undefined)[]> {
    if (this.#pendingClear) await this.#clearPending();
    const { encodeKey } = keys();
    const blobs = await this.#storage.getMany(Array.from(wanted, (key) => encodeKey(key)));
    return blobs.map((blob) => this.#found(blob, undefined) as V | undefined);
  }

  /** `setMany` under keys already encoded with `encodeKey` (as `setRaw`): stash.map fixes each key when it sends the call. */
  async setManyRaw(entries: Iterable<readonly [Uint8Array, V]>): Promise<void> {
    this.#writable('setMany');
    if (this.#pendingClear) await this.#clearPending();
    const format = this.#format;
    if (this.#options.appendMode) for (const [rawKey, value] of entries) await appendMode().appendValue(this.#storage, format, rawKey, value);
    else await this.#storage.setMany(Array.from(entries, ([rawKey, value]): RawEntry => [rawKey, format.pack(value)]));
  }

  /** Stores many entries, streaming them to the engine in batches. */
  async setMany(entries: Iterable<readonly [K, V]> | AsyncIterable<readonly [K, V]>): Promise<void> {
    this.#writable('setMany');
    if (this.#pendingClear) await this.#clearPending();
    if (this.#options.appendMode) return appendMode().appendEntries(this.#storage, this.#format, entries);
    const format = this.#format;
    const { encodeKey } = keys();
    if (Symbol.iterator in entries) {
      // Encoding streams lazily inside the engine's own batching, so a million entries never sit in memory at once.
      await this.#storage.setMany((function* () {
        for (const [key, value] of entries) yield [encodeKey(key), format.pack(value)] as RawEntry;
      })());
      return;
    }
    // An asynchronous source is gathered into batches here, so the engine sees whole batches, not one promise per entry.
    let batch: RawEntry[] = [];
    for await (const [key, value] of entries) {
      batch.push([encodeKey(key), format.pack(value)]);
      if (batch.length >= localEngine().WRITE_BATCH) {
        await this.#storage.setMany(batch);
        batch = [];
      }
    }
    if (batch.length) await this.#storage.setMany(batch);
  }

  /** Every version of `key` kept in append mode, oldest first; `withMetadata` gives `{ version, timestamp, value }`. */
  async getAll(key: K): Promise<V[]>;
  async getAll(key: K, options: GetAllOptions & { withMetadata: true }): Promise<VersionRecord<V>[]>;
  async getAll(key: K, options?: GetAllOptions): Promise<V[] | VersionRecord<V>[]>;
  async getAll(key: K, options: GetAllOptions = {}): Promise<V[] | VersionRecord<V>[]> {
    if (this.#pendingClear) await this.#clearPending();
    return appendMode().allVersions<V>(this.#storage, this.#format, key, options);
  }

  async #append(rawKey: Uint8Array, value: V): Promise<void> {
    if (this.#pendingClear) await this.#clearPending();
    await appendMode().appendValue(this.#storage, this.#format, rawKey, value);
  }

  async clear(): Promise<void> {
    this.#writable('clear');
    this.#pendingClear = false;
    await this.#storage.clear();
  }

  /** Hits and misses of reads through this stash object, with the engine's entries, evictions and bytes where it counts them. */
  async stats(): Promise<StashStats> {
    if (this.#pendingClear) await this.#clearPending();
    return stashStats(this.#storage, this.#reads);
  }

  /** How many keys (in append mode: keys, not versions). */
  async size(): Promise<number> {
    if (this.#pendingClear) await this.#clearPending();
    return this.#storage.size();
  }

  // ---- iteration: streams, holding a bounded amount whatever the size ----

  [Symbol.asyncIterator](): AsyncIterator<[K, V]> { return this.entries(); }

  async *entries(): AsyncGenerator<[K, V]> {
    for await (const [key, value] of this.rawEntries()) yield [this.decodeKey(key), this.decodeValue(value)];
  }

  async *keys(): AsyncGenerator<K> {
    for await (const key of this.rawKeys()) yield this.decodeKey(key);
  }

  async *values(): AsyncGenerator<V> {
    for await (const [, value] of this.rawEntries()) yield this.decodeValue(value);
  }

  /** Keys and values as stored: key bytes and blobs. */
  async *rawEntries(): AsyncGenerator<RawEntry> {
    if (this.#pendingClear) await this.#clearPending();
    yield* this.#storage.entries();
  }

  async *rawKeys(): AsyncGenerator<Uint8Array> {
    if (this.#pendingClear) await this.#clearPending();
    yield* this.#storage.keys();
  }

  async *rawValues(): AsyncGenerator<Uint8Array> {
    for await (const [, value] of this.rawEntries()) yield value;
  }

  decodeKey(rawKey: Uint8Array): K { return keys().decodeKey(rawKey, { trustCode: this.#options.trustCode }) as K; }
  decodeValue(rawValue: Uint8Array): V { return this.#format.unpack(rawValue) as V; }

  // ---- records and tables (src/tables) ----

  /** One flat object per entry (per version in append mode): nested fields joined with '.', the key in `_key`. */
  records(options: RecordOptions = {}): Promise<FlatRecord[]> { return records().collectRecords(this, options); }

  /** The same records, streamed in bounded memory. */
  iterRecords(options: RecordOptions = {}): AsyncGenerator<FlatRecord> { return records().iterRecords(this, options); }

  /** The records as a table: columns in first-seen order, a readable printout, CSV, `toArquero()`. */
  table(options: RecordOptions = {}): Promise<Table> { return tables().Table.fromAsync(records().iterRecords(this, options)); }

  // ---- memoized functions ----

  /** `fn(...args)`, computed once and read from the stash after. */
  run<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>, ...args: A): Promise<Awaited<R>> {
    return memo().runOn(this, this.#memoized, fn, args);
  }

  /** A wrapper of `fn` whose results are kept in its own sub-stash (`wrapper.stash`); or, without `fn`, a method decorator. */
  stashed<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>, options?: MemoOptions): Memoized<A, R>;
  stashed(options?: MemoOptions): StashedDecorator;
  stashed(first?: unknown, second?: unknown): unknown {
    return decorator().memoOrDecorator(first, second, (fn, options) => memo().memoize(this, fn as () => unknown, options));
  }

  /** `fn` over `items` on worker threads; stored results are read, only missing items are computed (see StashMap). */
  map<T, R = unknown>(fn: MapFunction<T, R>, items: Iterable<T>, options?: MapOptions): StashMap<T, Awaited<R>> {
    return new (mapping().StashMap)<T, Awaited<R>>(this, fn as MapFunction<T, Awaited<R>>, items, options);
  }

  // ---- identity and lifetime ----

  toString(): string {
    const home = homedir();
    const shown = this.path.startsWith(home + sep) ? `~${this.path.slice(home.length)}` : this.path;
    const kind = this.#engine.name.charAt(0).toUpperCase() + this.#engine.name.slice(1);
    return `${kind}HashStash(${shown})`;
  }

  toJSON() {
    const { root, name, engine, serializer, compress, b64, appendMode, readonly, url, trustCode } = this.#options;
    return { root, name, engine, serializer, compress, b64, appendMode, readonly, url, trustCode, path: this.path };
  }

  async close(): Promise<void> {
    await closeMemoStashes(this);
    await this.#engine.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #writable(operation: string): void {
    if (this.#options.readonly) throw new ReadOnlyError(`cannot ${operation}: ${this} was opened with readonly: true`);
  }

  async #clearPending(): Promise<void> {
    this.#pendingClear = false;
    this.#writable('clear on open');
    await this.#storage.clear();
  }

  #clearIfPendingSync(): void {
    if (this.#pendingClear) {
      this.#pendingClear = false;
      this.#writable('clear on open');
      this.#storage.sync!.clear();
    }
  }
}
