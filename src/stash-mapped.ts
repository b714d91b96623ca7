import type { HashStashOptions } from './options.js';
import { HashStash } from './stash.js';
import type { MapFunction } from './parallel/function-ref.js';
import type { StashMap } from './parallel/map.js';
import { resolveMapOptions, type MapOptions } from './parallel/options.js';

/** A function of the items that maps `fn` over them on its own stash; `mapped.stash` is that stash. */
export type StashMapped<T, R> = ((items: Iterable<T> & object, options?: MapOptions) => StashMap<T, R>) & {
  /** The stash opened from `stashOptions`, where every call's results go. */
  readonly stash: HashStash;
};

/**
 * `stashMapped(stashOptions, mapOptions)(fn)`: a function of the items that returns `stash.map(fn, items, options)`
 * on a stash opened from `stashOptions`, with `mapOptions` as defaults that each call's options override.
 *
 * @param stashOptions - The options of the stash the results go to.
 * @param mapOptions - Default {@link MapOptions} of every call.
 * @throws {@link ConfigError} for an unknown or ill-typed stash or map option.
 * @example
 * ```ts
 * const lengths = stashMapped({ root: 'functions_stash' }, { numProc: 2 })((word: string) => word.length);
 * await lengths(['cat', 'zebra']).all();   // [3, 5]
 * ```
 */
export function stashMapped(stashOptions: HashStashOptions = {}, mapOptions: MapOptions = {}) {
  resolveMapOptions(mapOptions, mapOptions.options?.length ?? 0);
  const stash = new HashStash(stashOptions);
  return <T, R>(fn: MapFunction<T, R>): StashMapped<T, Awaited<R>> => {
    const mapped = (items: Iterable<T> & object, options: MapOptions = {}) =>
      stash.map(fn, items, { ...mapOptions, ...options });
    return Object.assign(mapped, { stash }) as StashMapped<T, Awaited<R>>;
  };
}
