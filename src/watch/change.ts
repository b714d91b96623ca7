/**
 * One change seen by `stash.watch()`, made by this or any other thread or process (machine, on a server engine):
 * - `set`: `key` was stored (new or replaced; an append in append mode too);
 * - `delete`: `key` was removed;
 * - `clear`: the whole stash was cleared;
 * - `missed`: the watcher fell behind (or lost its connection) and some changes are lost to it: `count` says how many
 *   where the engine knows. Re-read what you care about: nothing is ever skipped without this.
 *
 * @typeParam K - The stash's key type.
 */
export type StashChange<K = unknown> =
  | {
      /** The key was stored (new, replaced, or appended to), or removed. */
      readonly type: 'set' | 'delete';
      /** The key, decoded as `get` takes it. */
      readonly key: K;
    }
  | {
      /** The whole stash was cleared. */
      readonly type: 'clear';
    }
  | {
      /** Some changes are lost to this watcher: re-read what you care about. */
      readonly type: 'missed';
      /** How many, where the engine knows. */
      readonly count?: number;
    };

/** What `stash.watch()` takes. */
export interface WatchOptions {
  /** Ends the watch (the loop over it finishes) when it aborts. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * What `stash.watch()` returns: the changes, as an async iterable, and `ready`.
 *
 * @typeParam K - The stash's key type.
 */
export interface StashWatch<K = unknown> extends AsyncIterable<StashChange<K>> {
  /**
   * Resolves once every change made from then on is sure to be seen. Local engines are ready when `watch()` returns;
   * redis subscribes and waits out the writers' "unwatched" leases first (well under a second); mongo is ready once
   * it has read where the change log stands.
   */
  readonly ready: Promise<void>;
}
