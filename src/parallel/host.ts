import type { StashTarget } from '../queue/job.js';

/**
 * What `stash.map` runs on, as structural types (a HashStash fits both), so the map machinery never imports the
 * facade and can be driven by any object with these members.
 */

/** The sub-stash where a map keeps each call's result: the one `stash.run(fn, item, ...args)` uses. */
export interface MapRunStore {
  /** Values for many keys (argument lists), in the order asked, undefined where absent. */
  getMany(keys: Iterable<unknown>): Promise<unknown[]>;
  has(key: unknown): Promise<boolean>;
  /** Stores under keys already encoded (`encodeKey`), fixed when each call was sent; expiring after `options.ttl` ms. */
  setManyByEncodedKey(
    entries: Iterable<readonly [Uint8Array, unknown]>,
    options?: { readonly ttl?: number | undefined },
  ): Promise<void>;
  close(): Promise<void>;
  /**
   * How a process on another machine opens this same stash (engine, redacted URL, root as given, name, format), when
   * it is on a server and writable; undefined otherwise. A map on a queue has its workers write results there.
   */
  queueTarget?(): StashTarget | undefined;
}

/** The stash a map is called on. */
export interface MapHost {
  readonly options: { readonly serializer: string; readonly readonly: boolean; readonly trustCode: boolean };
  /** Reads the list `stashMap` stored under the map's own key. */
  get(key: unknown, fallback: unknown): Promise<unknown>;
  /** Stores that list, expiring after `options.ttl` ms when given. */
  set(key: unknown, value: unknown, options?: { readonly ttl?: number | undefined }): Promise<void>;
  /** Opens the sub-stash `name` (closed by the map when it is done). */
  sub(name: string): MapRunStore;
}
