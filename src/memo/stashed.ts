import type { HashStashOptions } from '../options.js';
import { HashStash } from '../stash.js';
import type { MemoOptions, Memoized } from './memoize.js';

const MEMO_KEYS = ['force', 'name', 'version'] as const;

/**
 * `stashed(fn, options)`: a memoized `fn` on a stash opened from `options`. Memo options (`force`, `version`, and
 * `name` — here the function's identity, not the stash's) sit beside the stash options.
 */
export function stashed<A extends unknown[], R>(
  fn: (...args: A) => R | Promise<R>,
  options: HashStashOptions & MemoOptions = {},
): Memoized<A, R> {
  const stashOptions: Record<string, unknown> = { ...options };
  const memoOptions: Record<string, unknown> = {};
  for (const key of MEMO_KEYS) {
    if (key in stashOptions) {
      memoOptions[key] = stashOptions[key];
      delete stashOptions[key];
    }
  }
  return new HashStash(stashOptions as HashStashOptions).stashed(fn, memoOptions as MemoOptions);
}
