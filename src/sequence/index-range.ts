import { IndexOutOfRangeError } from '../errors.js';

/** The typed error for an index that is not an integer, or past either end. */
export function outOfRange(index: unknown, length: number | null): IndexOutOfRangeError {
  const shown = typeof index === 'number' ? String(index) : typeof index;
  const why =
    typeof index !== 'number' || !Number.isSafeInteger(index)
      ? `a sequence index must be an integer, got ${shown}`
      : length === null
        ? `index ${shown} is past the end of the sequence`
        : `index ${shown} is out of range for a sequence of ${length} items`;
  return new IndexOutOfRangeError(why, index, length ?? undefined);
}
