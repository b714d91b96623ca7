import { seededRandom } from './workloads.js';

/**
 * A Zipf read trace: `reads` indexes into `keys` keys, the key of popularity rank r (1 = most read) drawn with
 * probability proportional to 1 / r^s. Ranks are given to keys by a seeded random permutation, so the popular keys
 * are spread over the key space, not the first ones written. The same arguments give the same trace in every process
 * (the tiers suite's RSS child rebuilds it from them).
 */
export interface ZipfTraceOptions {
  /** How many distinct keys (indexes 0 … keys - 1). */
  readonly keys: number;
  /** How many reads. */
  readonly reads: number;
  /** The exponent s; 0.99 is the usual cache benchmark's. */
  readonly exponent: number;
  readonly seed: number;
}

export interface ZipfTrace {
  /** The key index of each read, in order. */
  readonly reads: Uint32Array;
  /** The key index of each popularity rank: `byRank[0]` is the most read key. */
  readonly byRank: Uint32Array;
}

export function zipfTrace(options: ZipfTraceOptions): ZipfTrace {
  const { keys, reads, exponent, seed } = options;
  const random = seededRandom(seed);
  // Rank → key: a Fisher-Yates shuffle of the key indexes.
  const byRank = new Uint32Array(keys);
  for (let i = 0; i < keys; i++) byRank[i] = i;
  for (let i = keys - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = byRank[i];
    byRank[i] = byRank[j];
    byRank[j] = swap;
  }
  // The cumulative distribution over ranks, then a binary search per read.
  const cumulative = new Float64Array(keys);
  let total = 0;
  for (let rank = 0; rank < keys; rank++) {
    total += 1 / Math.pow(rank + 1, exponent);
    cumulative[rank] = total;
  }
  const trace = new Uint32Array(reads);
  for (let i = 0; i < reads; i++) {
    const target = random() * total;
    let low = 0;
    let high = keys - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle] < target) low = middle + 1;
      else high = middle;
    }
    trace[i] = byRank[low];
  }
  return { reads: trace, byRank };
}

/**
 * The hit ratio of an exact LRU cache holding at most `capacity` units over `trace` (key indexes), each key costing
 * `cost(key)` units (bytes; 1 to count entries): a miss inserts the key as most recent and evicts the least recent
 * ones until the total fits. `passes` > 1 runs the trace again on the same cache and reports each pass.
 */
export function exactLruHitRatios(
  trace: Uint32Array,
  capacity: number,
  cost: (key: number) => number,
  passes = 1,
): number[] {
  const recency = new Map<number, number>();
  let used = 0;
  const ratios: number[] = [];
  for (let pass = 0; pass < passes; pass++) {
    let hits = 0;
    for (let i = 0; i < trace.length; i++) {
      const key = trace[i];
      const size = recency.get(key);
      if (size !== undefined) {
        hits++;
        recency.delete(key);
        recency.set(key, size);
        continue;
      }
      const charge = cost(key);
      if (charge > capacity) continue;
      recency.set(key, charge);
      used += charge;
      for (const [oldest, oldestSize] of recency) {
        if (used <= capacity) break;
        recency.delete(oldest);
        used -= oldestSize;
      }
    }
    ratios.push(hits / trace.length);
  }
  return ratios;
}
