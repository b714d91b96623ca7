/**
 * Decoded shards kept in RAM: at most `capacity`, the least recently used dropped first. A Map keeps insertion order,
 * so a use moves the shard to the end and the first key is always the least recently used.
 */
export class ShardCache<V> {
  readonly capacity: number;
  readonly #shards = new Map<number, V>();

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.#shards.size;
  }

  /** The shard, marked as just used; undefined when not held. */
  get(shard: number): V | undefined {
    const value = this.#shards.get(shard);
    if (value !== undefined) {
      this.#shards.delete(shard);
      this.#shards.set(shard, value);
    }
    return value;
  }

  /** The shard without marking it used. */
  peek(shard: number): V | undefined {
    return this.#shards.get(shard);
  }

  has(shard: number): boolean {
    return this.#shards.has(shard);
  }

  /** Holds `value` as the most recently used, dropping the least recently used beyond the capacity. */
  set(shard: number, value: V): void {
    this.#shards.delete(shard);
    this.#shards.set(shard, value);
    while (this.#shards.size > this.capacity) this.#shards.delete(this.#shards.keys().next().value!);
  }

  delete(shard: number): boolean {
    return this.#shards.delete(shard);
  }

  clear(): void {
    this.#shards.clear();
  }
}
