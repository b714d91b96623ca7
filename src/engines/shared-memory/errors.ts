import { HashStashError } from '../../errors.js';

/**
 * A write that does not fit the memory engine's byte budget: with `evict: 'none'` once the budget is full, or an entry
 * larger than the whole budget (or than the process's shared arena) whatever the policy.
 */
export class MemoryBudgetError extends HashStashError {
  override readonly code = 'HASHSTASH_MEMORY_BUDGET';
  /** Bytes the write needed, and the budget it did not fit in. */
  readonly needed: number;
  readonly budget: number;
  constructor(message: string, needed: number, budget: number) {
    super(message);
    this.needed = needed;
    this.budget = budget;
  }
}
