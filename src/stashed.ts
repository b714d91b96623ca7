/**
 * The standalone `stashed`: memoizes on a stash of its own, opened from the options. At the facade's level (it opens
 * a HashStash); lazy-exports.ts loads it on its first call.
 */
import type { AnyFunction } from './any-function.js';
import { memoOrDecorator } from './memo/decorator.js';
import { splitMemoOptions, validateMemoOptions, type MemoOptions } from './memo/options.js';
import type { Memoized, StashedDecorator } from './stash.js';
import { resolveOptions, type HashStashOptions } from './options.js';
import { HashStash } from './stash.js';

/** One options object for both: the stash's options, and beside them the memo's (`name` is the function's). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as MemoOptions: an undeclared `this` takes any keyThis
export type StashedOptions<This = any> = Omit<HashStashOptions, 'name'> & MemoOptions<This>;

function memoOnOwnStash(fn: AnyFunction, options: StashedOptions): AnyFunction {
  const { stashOptions, memoOptions } = splitMemoOptions(options);
  return new HashStash(stashOptions as HashStashOptions).stashed(fn as (...args: unknown[]) => unknown, memoOptions);
}

function checkOptions(options: object): void {
  const { stashOptions, memoOptions } = splitMemoOptions(options);
  validateMemoOptions(memoOptions);
  resolveOptions(stashOptions);
}

/**
 * A memoized `fn` whose results are kept on a stash opened from `options` (the default stash without them), in
 * `fn`'s own sub-stash: each distinct argument list is computed once, then read.
 *
 * @param options - The stash's options and the memo's together (see {@link StashedOptions}).
 * @throws {@link ConfigError} when `fn` is not a function, or for an unknown or ill-typed option.
 * @example
 * ```ts
 * const cached = stashed(expensive, { root: 'functions_stash' });
 * await cached('a', { n: 3 });
 * ```
 */
export function stashed<A extends unknown[], R>(
  fn: (...args: A) => R | Promise<R>,
  options?: StashedOptions,
): Memoized<A, R>;
/**
 * A standard method decorator that memoizes an async method on a stash opened from `options`, on the first call.
 *
 * @param options - The stash's options and the memo's together (see {@link StashedOptions}).
 * @throws {@link ConfigError} for an unknown or ill-typed option, and (when applied) on a getter, field or class.
 * @example
 * ```ts
 * class Model {
 *   @stashed({ engine: 'lmdb' }) async fit(x: number[]) { … }
 * }
 * ```
 */
export function stashed(options?: StashedOptions): StashedDecorator;
/**
 * `@stashed` without parentheses: memoizes an async method on the default stash, opened on the first call.
 *
 * @throws {@link ConfigError} when applied to a getter, field or class.
 */
export function stashed<This, A extends unknown[], R>(
  method: (this: This, ...args: A) => Promise<R>,
  context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => Promise<R>>,
): Memoized<A, R, This>;
export function stashed(first?: unknown, second?: unknown): unknown {
  return memoOrDecorator(first, second, memoOnOwnStash, checkOptions);
}
