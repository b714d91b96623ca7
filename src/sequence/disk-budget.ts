import type { SequenceStore } from './store.js';

/**
 * `maxDiskBytes`: the shards this process stored or read, by when it last did (least recent first), with their bytes;
 * past the budget (the meta record's count, everyone's) the least recent are removed from storage, to be rebuilt when
 * read again. Shards only other processes touched are not candidates: this process does not know when they were used.
 */
export class DiskBudget {
  readonly #store: SequenceStore;
  readonly #maxBytes: number;
  readonly #used = new Map<number, number>();

  constructor(store: SequenceStore, maxBytes: number) {
    this.#store = store;
    this.#maxBytes = maxBytes;
  }

  /** True when there is a budget: then every stored shard must be counted at once. */
  get bounded(): boolean {
    return Number.isFinite(this.#maxBytes);
  }

  /** Marks shard k (of `bytes` stored) as just used. */
  touch(k: number, bytes: number): void {
    this.#used.delete(k);
    this.#used.set(k, bytes);
  }

  /**
   * Removes the least recently used shards until the stored bytes are within the budget, never `keep` nor one that
   * `busy` names; returns how many it removed.
   */
  async evict(keep: number, busy: (k: number) => boolean): Promise<number> {
    if (!this.bounded) return 0;
    let evicted = 0;
    let meta = await this.#store.meta();
    while (meta !== undefined && meta.diskBytes > this.#maxBytes) {
      let victim: number | undefined;
      for (const k of this.#used.keys()) {
        if (k !== keep && !busy(k)) {
          victim = k;
          break;
        }
      }
      if (victim === undefined) break;
      const bytes = this.#used.get(victim)!;
      this.#used.delete(victim);
      if (!(await this.#store.deleteShard(victim))) continue;
      evicted++;
      meta = await this.#store.updateMeta((current) => ({
        ...current!,
        diskBytes: current!.diskBytes - bytes,
        diskShards: current!.diskShards - 1,
      }));
    }
    return evicted;
  }
}
