import type { Engine, RawEntry, SyncAppendStore, AppendStore } from './engines/engine.js';
import { KeyNotFoundError, ReadOnlyError, UnsupportedError } from './errors.js';
import type { BlobFormat } from './format/blob.js';
import { lazy } from './lazy.js';
import type { ResolvedOptions } from './options.js';
import { countedRead, type ReadCounts } from './read-counts.js';

/**
 * The rules of the dictionary, written once for `HashStash` (asynchronous) and `stash.sync` (synchronous): key
 * encoding, the read counts, absent keys (fallback or KeyNotFoundError), the readonly check, `setDefault`, append
 * mode, and the clear-on-open gate. Each rule runs against an {@link Access}: the engine, whose methods return
 * promises, or its synchronous store, whose methods return values; {@link then} chains a step either way, so the sync
 * view gets plain values and the facade promises from the same code.
 */

// Loaded with the first operation (lazy.ts): constructing a stash loads no key encoder.
const from = import.meta.url;
const keys = lazy<typeof import('./keys/encode.js')>(from, './keys/encode.js');
const preview = lazy<typeof import('./keys/preview.js')>(from, './keys/preview.js');

/** A value now (a synchronous store) or later (an engine). */
export type Maybe<T> = T | Promise<T>;

/** `next(value)`, at once when `value` is not a promise, else when it resolves. */
export function then<T, R>(value: Maybe<T>, next: (value: T) => Maybe<R>): Maybe<R> {
  return value instanceof Promise ? value.then(next) : next(value);
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

/** UnsupportedError naming an engine that keeps no versions. */
export function noVersions(engine: { readonly name: string }): UnsupportedError {
  return new UnsupportedError(
    `appendMode needs an engine that keeps versions; the '${engine.name}' engine does not (engines that do: lmdb, sqlite, pairtree, memory, redis, mongo)`);
}

/** The state and rules of one stash object, shared by its asynchronous API and its sync view. */
export class StashCore {
  /** Reads through this stash object (both surfaces) that found a value, and that did not. */
  readonly reads: ReadCounts = { hits: 0, misses: 0 };
  #pendingClear: boolean;
  #used = false;

  /**
   * @param label - The stash as error messages name it (`String(stash)`).
   * @param firstUse - Run once, before the first operation on storage (the facade starts its sweep there).
   */
  constructor(
    readonly options: ResolvedOptions,
    readonly engine: Engine,
    readonly format: BlobFormat,
    private readonly label: { toString(): string },
    private readonly firstUse: () => void,
  ) {
    this.#pendingClear = options.clear;
  }

  /** The engine, for an operation on storage: the first one runs `firstUse`. */
  get storage(): Engine {
    if (!this.#used) {
      this.#used = true;
      this.firstUse();
    }
    return this.engine;
  }

  /** What reads go through: the synchronous store where there is one (no promise until the value is known). */
  get reader(): Access {
    const engine = this.storage;
    return engine.sync ?? engine;
  }

  /** ReadOnlyError for a write on a readonly stash. */
  writable(operation: string): void {
    if (this.options.readonly) throw new ReadOnlyError(`cannot ${operation}: ${this.label} was opened with readonly: true`);
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

  encode(key: unknown): Uint8Array { return keys().encodeKey(key); }

  /** The value of a blob a read found, or `fallback`; counted as a hit or a miss. */
  found(blob: Uint8Array | undefined, fallback: unknown): unknown {
    return countedRead(this.reads, this.format, blob, fallback);
  }

  get(access: Access, key: unknown, fallback: unknown): Maybe<unknown> {
    if (this.#pendingClear) return then(this.ready(access), () => this.get(access, key, fallback));
    const encoded = keys().encodeKey(key);
    // Decoding at once, before anything else can run, is what makes the engine's transient read safe here.
    const blob = access.getTransient ? access.getTransient(encoded) : access.get(encoded);
    return blob instanceof Promise ? blob.then((found) => this.found(found, fallback)) : this.found(blob, fallback);
  }

  getMany(access: Access, wanted: Iterable<unknown>): Maybe<unknown[]> {
    return this.gated(access, () => then(access.getMany(Array.from(wanted, (key) => keys().encodeKey(key))),
      (blobs) => blobs.map((blob) => this.found(blob, undefined))));
  }

  /** Stores `value` under an encoded key (in append mode: adds a version). */
  set(access: Access, rawKey: Uint8Array, value: unknown): Maybe<void> {
    this.writable('set');
    if (this.#pendingClear) return then(this.ready(access), () => this.#write(access, rawKey, value));
    return this.#write(access, rawKey, value);
  }

  #write(access: Access, rawKey: Uint8Array, value: unknown): Maybe<void> {
    const blob = this.format.pack(value);
    if (!this.options.appendMode) return access.set(rawKey, blob);
    return then(this.versions(access).append(rawKey, blob), () => undefined);
  }

  has(access: Access, key: unknown): Maybe<boolean> {
    return this.gated(access, () => access.has(keys().encodeKey(key)));
  }

  delete(access: Access, key: unknown): Maybe<boolean> {
    this.writable('delete');
    return this.gated(access, () => access.delete(keys().encodeKey(key)));
  }

  size(access: Access): Maybe<number> {
    return this.gated(access, () => access.size());
  }

  /** The value under `key`, removed; `fallback[0]` when absent, KeyNotFoundError when there is no fallback. */
  pop(access: Access, key: unknown, fallback: unknown[]): Maybe<unknown> {
    this.writable('pop');
    return this.gated(access, () => {
      const encoded = keys().encodeKey(key);
      return then(access.get(encoded), (blob) => {
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
      const encoded = keys().encodeKey(key);
      return then(access.get(encoded), (blob) => {
        if (blob !== undefined) return this.format.unpack(blob);
        this.writable('setDefault');
        return then(this.#write(access, encoded, value), () => value);
      });
    });
  }

  /** `[encoded key, blob]` of each entry, made as the engine takes them, so a large source never sits in memory. */
  *packed(entries: Iterable<readonly [unknown, unknown]>, encoded = false): Generator<RawEntry> {
    const { format } = this;
    const { encodeKey } = keys();
    for (const [key, value] of entries) yield [encoded ? key as Uint8Array : encodeKey(key), format.pack(value)];
  }

  /** The version store of `access` (the engine's or the sync store's); UnsupportedError when it keeps none. */
  versions<A extends Access>(access: A): NonNullable<A['append']> {
    if (!access.append || !this.engine.append) throw noVersions(this.engine);
    return access.append as NonNullable<A['append']>;
  }
}
