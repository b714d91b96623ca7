/**
 * Eviction policies. Each live slot has a meta word that readers update without a lock, and that compaction reads
 * when it passes over the slot's segment (oldest segment first):
 * - lru: a CLOCK bit. A read sets it (only when it is clear, so a hot key costs readers no shared writes); compaction
 *   keeps a marked entry, moving it forward and clearing the bit, and evicts an unmarked one. Approximation: "read
 *   since its segment was last compacted" stands for "recently used".
 * - lfu: a saturating counter (up to 255) that a read raises with probability 1/(count+1), so hot keys stop writing
 *   shared memory; compaction keeps entries whose count is above 0 and decays it by one, so old popularity fades.
 * - fifo: compaction evicts every entry of the oldest segment.
 * - none: nothing is evicted; compaction only drops overwritten and deleted entries, and a write that still does not
 *   fit throws MemoryBudgetError.
 */
export const EVICTION_POLICIES = ['lru', 'lfu', 'fifo', 'none'] as const satisfies readonly EvictionPolicy[];

/**
 * What the memory engine drops when its byte budget is full (the `evict` option; default `'lru'`): `'lru'` entries
 * not read lately, `'lfu'` entries read rarely, `'fifo'` the oldest writes; with `'none'` nothing is dropped and a
 * write that does not fit throws MemoryBudgetError.
 */
export type EvictionPolicy = 'lru' | 'lfu' | 'fifo' | 'none';
// Written out rather than derived from EVICTION_POLICIES, so that the API reference shows the names; this keeps the two
// equal (`satisfies` above checks the other direction).
type Listed<T extends true> = T;
type _EveryPolicyListed = Listed<EvictionPolicy extends (typeof EVICTION_POLICIES)[number] ? true : false>;

export const LRU = 0;
export const LFU = 1;
export const FIFO = 2;
export const NONE = 3;

export const policyCode = (policy: EvictionPolicy): number => EVICTION_POLICIES.indexOf(policy);

const LFU_MAX = 255;

/** The meta word of a freshly written entry: an LFU entry gets one compaction of grace before it must be read. */
export const initialMeta = (policy: number): number => (policy === LFU ? 1 : 0);

/** Marks a read of the slot whose meta word is `ints[meta]`. Racy by design: a lost update only blurs the estimate. */
export function markRead(ints: Int32Array, meta: number, policy: number): void {
  if (policy === LRU) {
    if (ints[meta] === 0) ints[meta] = 1;
  } else if (policy === LFU) {
    const count = ints[meta];
    if (count < LFU_MAX && Math.random() * (count + 1) < 1) ints[meta] = count + 1;
  }
}

/**
 * Whether compaction keeps the entry; it updates the meta word for the next pass. `cycles`: how many times this one
 * write has already compacted every segment without finding room; LFU counts decay by 2^cycles then.
 */
export function survives(ints: Int32Array, meta: number, policy: number, cycles: number): boolean {
  const value = ints[meta];
  if (policy === NONE) return true;
  if (policy === FIFO || value <= 0) return false;
  ints[meta] = policy === LRU ? 0 : Math.max(0, value - (1 << cycles));
  return true;
}
