/**
 * Where memos keep what they make, one object per stash: the functions' sub-stashes (made once per name and closed
 * with the stash), the computations under way in each, and the memos `run` makes per function, asynchronous and
 * synchronous. Memo code sees the stash only through these structural types, so it does not import the facade.
 */

import type { AnyFunction } from '../any-function.js';

/** The synchronous side of a {@link MemoStore}: what `stash.sync.stashed` reads and writes. */
export interface SyncMemoStore {
  get(key: unknown, fallback?: unknown): unknown;
  /** Stores under a key already encoded (`encodeKey`), expiring after `options.ttl` when given. */
  setByEncodedKey(rawKey: Uint8Array, value: unknown, options?: { readonly ttl?: number | undefined }): void;
}

/** A function's sub-stash as memo uses it (a HashStash fits). */
export interface MemoStore {
  readonly options: { readonly readonly: boolean };
  readonly engine: { readonly capabilities: { readonly sync: boolean } };
  /** The synchronous view; throws UnsupportedError on an engine that is only asynchronous. */
  readonly sync: SyncMemoStore;
  get(key: unknown, fallback?: unknown): Promise<unknown>;
  /** Stores under a key already encoded (`encodeKey`), expiring after `options.ttl` when given. */
  setByEncodedKey(rawKey: Uint8Array, value: unknown, options?: { readonly ttl?: number | undefined }): Promise<void>;
  close(): Promise<void>;
}

/** What memos are made on: the cache of one stash (a plain object with these members does as well). */
export interface MemoHost {
  /** The sub-stash called `name`, made once, so every memo of one function shares it (and its in-flight calls). */
  memoStash(name: string): MemoStore;
  /** The computations under way in a sub-stash, by the canonical text of their key. */
  inFlight(stash: MemoStore): Map<string, Promise<unknown>>;
  /** The memo `run` (or `sync.run`) uses for `fn`: made by `make` the first time, then kept. */
  runMemo<F extends AnyFunction>(fn: AnyFunction, sync: boolean, make: () => F): F;
}

/** The {@link MemoHost} of one stash; `open(name)` makes its sub-stash `name`. */
export class MemoCache implements MemoHost {
  readonly #open: (name: string) => MemoStore;
  readonly #stashes = new Map<string, MemoStore>();
  readonly #inFlight = new WeakMap<MemoStore, Map<string, Promise<unknown>>>();
  readonly #runs = new WeakMap<AnyFunction, AnyFunction>();
  readonly #syncRuns = new WeakMap<AnyFunction, AnyFunction>();

  constructor(open: (name: string) => MemoStore) {
    this.#open = open;
  }

  memoStash(name: string): MemoStore {
    let stash = this.#stashes.get(name);
    if (!stash) this.#stashes.set(name, (stash = this.#open(name)));
    return stash;
  }

  inFlight(stash: MemoStore): Map<string, Promise<unknown>> {
    let inFlight = this.#inFlight.get(stash);
    if (!inFlight) this.#inFlight.set(stash, (inFlight = new Map<string, Promise<unknown>>()));
    return inFlight;
  }

  runMemo<F extends AnyFunction>(fn: AnyFunction, sync: boolean, make: () => F): F {
    const memos = sync ? this.#syncRuns : this.#runs;
    let memo = memos.get(fn) as F | undefined;
    if (!memo) memos.set(fn, (memo = make()));
    return memo;
  }

  /** Closes the sub-stashes made so far; memos made later open new ones. */
  async close(): Promise<void> {
    const stashes = [...this.#stashes.values()];
    this.#stashes.clear();
    await Promise.all(stashes.map((stash) => stash.close()));
  }
}
