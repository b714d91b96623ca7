import { ConfigError } from './errors.js';

/** A stash-like source: anything with async `entries()` yielding pairs (another HashStash). */
export interface EntriesSource<K, V> {
  /** Every `[key, value]` to store. */
  entries(): AsyncIterable<[K, V]>;
}

/**
 * What `stash.sync.update` stores: a Map, an iterable of `[key, value]` pairs, or a plain object (its own enumerable
 * string keys).
 */
export type SyncUpdateSource<K, V> = Map<K, V> | Iterable<readonly [K, V]> | Record<string, V>;
/** What `stash.update` stores: what `stash.sync.update` takes, an async iterable of pairs, or another stash. */
export type UpdateSource<K, V> = SyncUpdateSource<K, V> | AsyncIterable<readonly [K, V]> | EntriesSource<K, V>;

const ACCEPTED = 'a Map, an iterable or async iterable of [key, value] pairs, a plain object, or another stash';

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === Object.prototype || proto === null;
}

function checkPair(pair: unknown, index: number): readonly [unknown, unknown] {
  if (!Array.isArray(pair) || pair.length !== 2) {
    throw new ConfigError(`update() item ${index} is not a [key, value] pair`);
  }
  return pair as unknown as readonly [unknown, unknown];
}

function* checkedPairs<K, V>(source: Iterable<unknown>): Generator<readonly [K, V]> {
  let index = 0;
  for (const pair of source) yield checkPair(pair, index++) as readonly [K, V];
}

async function* checkedAsyncPairs<K, V>(source: AsyncIterable<unknown>): AsyncGenerator<readonly [K, V]> {
  let index = 0;
  for await (const pair of source) yield checkPair(pair, index++) as readonly [K, V];
}

/** The entries of a synchronous update source, validated as they stream. */
export function toSyncEntries<K, V>(source: SyncUpdateSource<K, V>): Iterable<readonly [K, V]> {
  if (source instanceof Map) return source.entries();
  if (typeof source === 'object' && source !== null) {
    if (Symbol.iterator in source) return checkedPairs<K, V>(source as Iterable<unknown>);
    if (isPlainObject(source)) return Object.entries(source) as unknown as Iterable<readonly [K, V]>;
  }
  throw new ConfigError(
    `update() takes ${ACCEPTED}; got ${typeof source === 'string' ? 'a string' : Object.prototype.toString.call(source)}`,
  );
}

/** The entries of any update source. */
export function toEntries<K, V>(
  source: UpdateSource<K, V>,
): Iterable<readonly [K, V]> | AsyncIterable<readonly [K, V]> {
  if (typeof source === 'object' && source !== null) {
    if (Symbol.asyncIterator in source) return checkedAsyncPairs<K, V>(source as AsyncIterable<unknown>);
    if (
      !(Symbol.iterator in source) &&
      typeof (source as EntriesSource<K, V>).entries === 'function' &&
      !isPlainObject(source)
    ) {
      return (source as EntriesSource<K, V>).entries();
    }
  }
  return toSyncEntries(source as SyncUpdateSource<K, V>);
}
