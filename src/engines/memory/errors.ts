import { HashStashError } from '../../errors.js';

/**
 * A write that does not fit the memory engine's byte budget: with `evict: 'none'` once the budget is full, or an entry
 * larger than the whole budget (or than the process's shared arena) whatever the policy.
 */
export class MemoryBudgetError extends HashStashError {
  /** `HASHSTASH_MEMORY_BUDGET`. */
  override readonly code = 'HASHSTASH_MEMORY_BUDGET';
  /** Bytes the write needed. */
  readonly needed: number;
  /** The budget it did not fit in, in bytes. */
  readonly budget: number;
  /**
   * A MemoryBudgetError with the sizes involved.
   *
   * @param message - What did not fit, and why.
   * @param needed - Bytes the write needed.
   * @param budget - The budget it did not fit in, in bytes.
   */
  constructor(message: string, needed: number, budget: number) {
    super(message);
    this.needed = needed;
    this.budget = budget;
  }
}
