/**
 * One tier in `(await stash.stats()).tiers`, fastest first. Hits, misses, offloads and reloads count this stash
 * object's operations; a memory tier's evictions and bytes are the tier's own, shared by every thread that uses it.
 */
export interface TierStats {
  /** The tier's engine. */
  readonly engine: string;
  /** Its byte budget; undefined for the last tier, which holds everything. */
  readonly maxBytes: number | undefined;
  /** Reads that reached this tier and found the key. */
  readonly hits: number;
  /** Reads that reached this tier and did not. */
  readonly misses: number;
  /** hits / (hits + misses); 0 before any read. */
  readonly hitRatio: number;
  /** Entries dropped: to stay within the budget, because they expired, or because the key was written, deleted or changed by another thread or process. */
  readonly evictions: {
    /** Dropped for room (for a memory tier: by any thread, since the tier was made). */
    readonly budget: number;
    /** Dropped because they had expired (on read, or by `purgeExpired`). */
    readonly expired: number;
    /** Dropped because the key was written, deleted or changed elsewhere. */
    readonly explicit: number;
  };
  /** Entries evicted from the tier above and kept here (LitData's offload). */
  readonly offloads: number;
  /** Entries found here by a read and copied back into the first tier. */
  readonly reloads: number;
  /** What the budget counts now: segment bytes for memory, key and value bytes for a disk tier; the last tier: the engine's bytes where it counts them, else 0. */
  readonly bytesUsed: number;
  /** The most `bytesUsed` this stash object has seen after one of its writes. */
  readonly peakBytes: number;
}

/** A tier's counters, as this stash object keeps them. */
export class TierCounters {
  hits = 0;
  misses = 0;
  budget = 0;
  expired = 0;
  explicit = 0;
  offloads = 0;
  reloads = 0;
  peakBytes = 0;

  snapshot(engine: string, maxBytes: number | undefined, bytesUsed: number, budgetEvictions: number): TierStats {
    const reads = this.hits + this.misses;
    this.peakBytes = Math.max(this.peakBytes, bytesUsed);
    return {
      engine,
      maxBytes,
      hits: this.hits,
      misses: this.misses,
      hitRatio: reads === 0 ? 0 : this.hits / reads,
      evictions: { budget: budgetEvictions, expired: this.expired, explicit: this.explicit },
      offloads: this.offloads,
      reloads: this.reloads,
      bytesUsed,
      peakBytes: this.peakBytes,
    };
  }
}
