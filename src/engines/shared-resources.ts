/**
 * Resources that every stash of the process on the same location shares, counted by their users: an lmdb environment
 * per file (LMDB must not open one twice in a process), a redis connection per URL, a mongo client per URL. The first
 * `acquire` of a key makes the resource, the last `release` removes and closes it.
 */
export class SharedResources<K, V> {
  readonly #entries = new Map<K, { value: V; users: number }>();
  readonly #close: (value: V) => void | Promise<void>;

  /** @param close - Closes a resource once its last user has released it. */
  constructor(close: (value: V) => void | Promise<void>) {
    this.#close = close;
  }

  /** The resource under `key`, made by `create` when there is none (if `create` throws, nothing is kept); one more user. */
  acquire(key: K, create: () => V): V {
    let entry = this.#entries.get(key);
    if (!entry) this.#entries.set(key, (entry = { value: create(), users: 0 }));
    entry.users++;
    return entry.value;
  }

  /** One user less of `value` (as acquired under `key`); the last one's release removes it and resolves once it is closed. */
  async release(key: K, value: V): Promise<void> {
    const entry = this.#entries.get(key);
    if (!entry || entry.value !== value) return;
    if (--entry.users > 0) return;
    this.#entries.delete(key);
    await this.#close(value);
  }

  /** How many users the resource under `key` has; 0 when there is none. */
  users(key: K): number {
    return this.#entries.get(key)?.users ?? 0;
  }
}
