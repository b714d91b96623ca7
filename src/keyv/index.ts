/**
 * hashstash as a keyv 5 store: `import { KeyvHashStash, createKeyv } from 'hashstash/keyv'` (keyv is an optional peer
 * dependency of this entry point only).
 *
 * @packageDocumentation
 * @module hashstash/keyv
 */
import { Keyv, type KeyvOptions } from 'keyv';
import type { HashStashOptions } from '../options.js';
import { KeyvHashStash, type KeyvHashStashOptions, type KeyvStoreEntry } from './store.js';

export { KeyvHashStash, type KeyvHashStashOptions, type KeyvStoreEntry };

/**
 * A Keyv on a {@link KeyvHashStash}, set up as recommended: keyv's own JSON serialization off (hashstash's serializer
 * stores keyv's `{ value, expires }` as it is, Dates, Maps, BigInts and all), and `keyv.iterator()` wired to the
 * store, as keyv wires it for its built-in stores.
 *
 * @param store - The store, or the options to open one with (default: the `lmdb` engine, stash name `keyv`).
 * @param options - Keyv's own options (`namespace`, `ttl`, ...); `store`, `serialize` and `deserialize` are set here.
 */
export function createKeyv<Value = unknown>(
  store: KeyvHashStash | (HashStashOptions & KeyvHashStashOptions) = {},
  options: Omit<KeyvOptions, 'store' | 'serialize' | 'deserialize'> = {},
): Keyv<Value> {
  const adapter = store instanceof KeyvHashStash ? store : new KeyvHashStash(store);
  const keyv = new Keyv<Value>({ ...options, store: adapter, serialize: undefined, deserialize: undefined });
  keyv.iterator = keyv.generateIterator(adapter.iterator.bind(adapter));
  return keyv;
}
