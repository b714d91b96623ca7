import type { TierCounters, TierStats } from './stats.js';

/** Why a tier dropped a copy, as `TierStats.evictions` counts it (`budget` drops are the tier's own). */
export type DropCause = 'explicit' | 'expired';

/** Called with each entry a tier drops to stay within its budget, for the next bounded tier to keep (offload). */
export type EvictedListener = (key: Uint8Array, blob: Uint8Array) => void;

/**
 * A tier above the last: a bounded local store, every operation synchronous (so the chain above the last tier never
 * interleaves with itself). What it holds is a copy of what the last tier holds.
 */
export interface UpperTier {
  readonly engine: string;
  readonly maxBytes: number;
  readonly counters: TierCounters;
  /** Receives the entries the tier evicts for room; set by the chain when a bounded tier is below this one. */
  evicted: EvictedListener | undefined;
  /** The blob kept for `key`, or undefined (not counted: the chain counts hits and misses). */
  get(key: Uint8Array): Uint8Array | undefined;
  /** Whether the tier holds a copy of `key` (an expired one too), without counting it as a read. */
  holds(key: Uint8Array): boolean;
  /** Keeps a copy of `blob`, making room by eviction; a blob larger than the budget is not kept (any old copy is dropped). */
  put(key: Uint8Array, blob: Uint8Array): void;
  /** Drops the copy of `key`, counted under `cause` (default `'explicit'`); true when there was one. */
  drop(key: Uint8Array, cause?: DropCause): boolean;
  /** Drops everything. */
  clear(): void;
  /** Drops every expired copy; how many. */
  purgeExpired(): number;
  stats(): TierStats;
  close(): Promise<void>;
}

/** An engine that loads keys into upper tiers ahead of use (a tiered stash's). */
export interface Prefetching {
  /** Loads the keys stored below into the first tier; how many it loaded. */
  prefetch(keys: readonly Uint8Array[], signal: AbortSignal | undefined): Promise<number>;
}
