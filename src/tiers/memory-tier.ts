import type { LocalEngine } from '../engines/local-engine.js';
import { MemoryBudgetError } from '../engines/memory/errors.js';
import type { MemoryTier } from '../engines/memory/store.js';
import { TierCounters, type TierStats } from './stats.js';
import type { DropCause, EvictedListener, UpperTier } from './upper-tier.js';

/**
 * A tier on the memory engine: a table in the process's shared arena, so every worker thread that opens the same
 * stash with the same tier reads what any of them stored. The engine keeps the budget and evicts by its policy; its
 * evictions in this thread are handed to `evicted` (offload).
 */
export class MemoryUpperTier implements UpperTier {
  readonly engine = 'memory';
  readonly maxBytes: number;
  readonly counters = new TierCounters();
  readonly #memory: LocalEngine & MemoryTier;
  #evicted: EvictedListener | undefined;
  #holding = false;

  constructor(memory: LocalEngine & MemoryTier, maxBytes: number) {
    this.#memory = memory;
    this.maxBytes = maxBytes;
  }

  get evicted(): EvictedListener | undefined {
    return this.#evicted;
  }

  /** Evicted entries are copied out of the arena only while someone listens. */
  set evicted(listener: EvictedListener | undefined) {
    this.#evicted = listener;
    this.#memory.onEvict(listener);
  }

  /**
   * Counts this object as a holder of the tier; true when it is the first (in any thread), so what the tier holds
   * dates from a time nobody followed the changes of the tier below.
   */
  hold(): boolean {
    this.#holding = true;
    return this.#memory.hold();
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.#memory.sync.get(key);
  }

  holds(key: Uint8Array): boolean {
    return this.#memory.sync.has(key);
  }

  put(key: Uint8Array, blob: Uint8Array): void {
    try {
      this.#memory.sync.set(key, blob);
    } catch (error) {
      // Larger than the budget (or the arena is full): the last tier has it; the tier must not keep an older copy.
      if (!(error instanceof MemoryBudgetError)) throw error;
      this.#memory.sync.delete(key);
      return;
    }
    const held = this.#memory.heldBytes();
    if (held > this.counters.peakBytes) this.counters.peakBytes = held;
  }

  drop(key: Uint8Array, cause: DropCause = 'explicit'): boolean {
    const dropped = this.#memory.sync.delete(key);
    if (dropped) this.counters[cause]++;
    return dropped;
  }

  clear(): void {
    this.#memory.sync.clear();
  }

  purgeExpired(): number {
    const purged = this.#memory.sync.purgeExpired?.() ?? 0;
    this.counters.expired += purged;
    return purged;
  }

  stats(): TierStats {
    const { heldBytes, evictions } = this.#memory.usage();
    return this.counters.snapshot(this.engine, this.maxBytes, heldBytes, evictions);
  }

  async close(): Promise<void> {
    this.evicted = undefined;
    if (this.#holding) this.#memory.release();
    this.#holding = false;
    await this.#memory.close();
  }
}
