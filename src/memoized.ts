/**
 * `stashOf` and its type, which join the memo feature to both surfaces of the facade (`FunctionStash` of stash.ts,
 * `SyncFunctionStash` of sync-stash.ts); here so that neither facade file imports the other's memo types.
 */
import type { AnyFunction } from './any-function.js';
import { ConfigError } from './errors.js';
import type { FunctionStash } from './stash.js';
import type { SyncFunctionStash } from './sync-stash.js';

/** The sub-stash of a memoized function or decorated method: asynchronous for async ones, synchronous for the rest. */
export type StashOf<F> = F extends (...args: infer A) => infer R
  ? R extends PromiseLike<infer T>
    ? FunctionStash<A, T>
    : SyncFunctionStash<A, R>
  : never;

/**
 * `stashOf(Model.prototype.fit)`: the sub-stash of a method decorated with `@stashed`, whose type TypeScript leaves as
 * the method's own (decorators cannot change it); the same as `.stash` on a memoized function.
 *
 * @typeParam F - The memoized function's or method's type; an async one gives a {@link FunctionStash}, a synchronous
 *   one a {@link SyncFunctionStash}.
 * @throws {@link ConfigError} for anything that is not a memoized function or decorated method.
 */
export function stashOf<F extends AnyFunction>(memoized: F): StashOf<F> {
  const stash = typeof memoized === 'function' ? (memoized as { stash?: unknown }).stash : undefined;
  if (stash === undefined) {
    const name = typeof memoized === 'function' ? `'${memoized.name || 'anonymous'}'` : `a ${typeof memoized}`;
    throw new ConfigError(`stashOf needs a memoized function or a method decorated with @stashed, and ${name} is not`);
  }
  return stash as StashOf<F>;
}
