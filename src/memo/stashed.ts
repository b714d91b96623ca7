import { resolveOptions, type HashStashOptions } from '../options.js';
import { HashStash } from '../stash.js';
import { memoOrDecorator, type StashedDecorator } from './decorator.js';
import { memoize, type Memoized } from './memoize.js';
import { splitMemoOptions, validateMemoOptions, type MemoOptions } from './options.js';

/** One options object for both: the stash's options, and beside them the memo's (`name` is the function's). */
export type StashedOptions<This = any> = Omit<HashStashOptions, 'name'> & MemoOptions<This>;

function memoOnOwnStash(fn: Function, options: StashedOptions): Function {
  const { stashOptions, memoOptions } = splitMemoOptions(options);
  return memoize(new HashStash(stashOptions as HashStashOptions), fn as (...args: unknown[]) => unknown, memoOptions);
}

function checkOptions(options: object): void {
  const { stashOptions, memoOptions } = splitMemoOptions(options);
  validateMemoOptions(memoOptions);
  resolveOptions(stashOptions as HashStashOptions);
}

/**
 * `stashed(fn, options)`: a memoized `fn` on a stash opened from `options` (see StashedOptions). As a standard method
 * decorator: `@stashed(options)`, or `@stashed` with the default stash; the stash is opened on the first call.
 */
export function stashed<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>, options?: StashedOptions): Memoized<A, R>;
export function stashed(options?: StashedOptions): StashedDecorator;
export function stashed<This, A extends unknown[], R>(
  method: (this: This, ...args: A) => Promise<R>,
  context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => Promise<R>>,
): Memoized<A, R, This>;
export function stashed(first?: unknown, second?: unknown): unknown {
  return memoOrDecorator(first, second, memoOnOwnStash, checkOptions);
}
