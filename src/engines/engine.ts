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
}

/** Where and how an engine opens: everything is resolved by the facade before the engine sees it. */
export interface EngineContext {
  /** The stash's own location, `<root>/<name>/<engine>.<serializer>.<compress>[+b64]`. */
  readonly path: string;
  /** The same parts joined for server engines that namespace keys instead of using folders. */
  readonly namespace: string;
  readonly readonly: boolean;
  /** Server URL, for the engines that talk to one. */
  readonly url: string | undefined;
}

export type RawEntry = [key: Uint8Array, value: Uint8Array];

/** The synchronous operations of a local engine. Writes must be durable or atomic as the engine documents. */
export interface SyncStore {
  get(key: Uint8Array): Uint8Array | undefined;
  /**
   * Like `get`, but the bytes may be a view the engine reuses: they are valid only until the next call on this store
   * in this thread. For callers that decode at once; it lets lmdb skip a copy on the hottest path.
   */
  getTransient?(key: Uint8Array): Uint8Array | undefined;
  set(key: Uint8Array, value: Uint8Array): void;
  has(key: Uint8Array): boolean;
  delete(key: Uint8Array): boolean;
  size(): number;
  clear(): void;
  /** Streams: never holds more than a bounded batch in memory. */
  keys(): Iterable<Uint8Array>;
  entries(): Iterable<RawEntry>;
  getMany(keys: readonly Uint8Array[]): (Uint8Array | undefined)[];
  setMany(entries: Iterable<RawEntry>): void;
}

/** The asynchronous operations every engine offers. */
export interface Engine extends AsyncDisposable {
  /** The name used in paths and in `String(stash)`, e.g. `pairtree`. */
  readonly name: string;
  readonly capabilities: EngineCapabilities;
  /** Present exactly when `capabilities.sync`. */
  readonly sync: SyncStore | undefined;
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  set(key: Uint8Array, value: Uint8Array): Promise<void>;
  has(key: Uint8Array): Promise<boolean>;
  delete(key: Uint8Array): Promise<boolean>;
  size(): Promise<number>;
  clear(): Promise<void>;
  keys(): AsyncIterable<Uint8Array>;
  entries(): AsyncIterable<RawEntry>;
  getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]>;
  setMany(entries: Iterable<RawEntry> | AsyncIterable<RawEntry>): Promise<void>;
  close(): Promise<void>;
}

/** Builds an engine for one stash location; must not touch storage until first use. */
export type EngineFactory = (context: EngineContext) => Engine;
