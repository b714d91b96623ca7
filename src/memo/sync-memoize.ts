import { ConfigError, UnsupportedError } from '../errors.js';
import { encodeKey } from '../keys/encode.js';
import type { HashStash } from '../stash.js';
import type { SyncHashStash } from '../sync-stash.js';
import { WRAPPED } from './identity.js';
import { functionStashName, memoStash, validateMemo } from './memoize.js';
import { keyMaker, type MemoOptions } from './options.js';

/** The synchronous view of a function's sub-stash: iterates as `[args, result]`; `getFunc` reads one result. */
export type SyncFunctionStash<A extends unknown[], R> = SyncHashStash<A, R> & {
  /** The stored result for these arguments, or undefined. With `keyThis`, pass the instance first. */
  getFunc(...args: A | [unknown, ...A]): R | undefined;
};

/**
 * A memoized synchronous function (`stash.sync.stashed(fn)`): called like `fn`, it returns the result, computed on
 * the first call with these arguments and read from `stash` after.
 *
 * @typeParam A - `fn`'s parameters.
 * @typeParam R - What `fn` returns.
 * @typeParam This - `this` of a decorated method.
 */
export type SyncMemoized<A extends unknown[], R, This = unknown> = ((this: This, ...args: A) => R) & {
  /** The function's own sub-stash (the one `stash.stashed(fn)` uses), synchronously. */
  readonly stash: SyncFunctionStash<A, R>;
};

const MISSING: unique symbol = Symbol('missing');

function isThenable(value: unknown): boolean {
  return (typeof value === 'object' || typeof value === 'function') && value !== null
    && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * `stash.sync.stashed`: `fn` memoized on a local engine, staying synchronous. It shares the sub-stash of
 * `stash.stashed(fn)` with the same options. An async function, or one that returns a promise, is refused: its result
 * would be a promise, which cannot be stored.
 */
export function syncMemoize<A extends unknown[], R, This = unknown>(
  parent: HashStash,
  fn: (this: This, ...args: A) => R,
  options: MemoOptions<This> = {},
): SyncMemoized<A, R, This> {
  validateMemo(fn, options);
  if (fn.constructor.name === 'AsyncFunction' || fn.constructor.name === 'AsyncGeneratorFunction') {
    throw new ConfigError(`stash.sync.stashed needs a synchronous function; '${fn.name || 'anonymous'}' is async: use stash.stashed`);
  }
  // `.sync` throws UnsupportedError on an engine that is only asynchronous, as `stash.sync` does.
  const stash = memoStash<R>(parent, functionStashName(fn, options)).sync as unknown as SyncFunctionStash<A, R>;
  const keyOf = keyMaker(options.keyThis as MemoOptions['keyThis']);
  stash.getFunc = options.keyThis
    ? (...args) => stash.get(keyOf(args[0], args.slice(1)) as A)
    : (...args) => stash.get(args as A);
  const force = options.force === true;

  // A readonly stash is a cache that is read, never written: a miss computes and returns, as stash.map does.
  const store = !parent.options.readonly;
  const memoized = function (this: This, ...args: A): R {
    const key = keyOf(this, args) as A;
    if (!force) {
      const stored = stash.get(key, MISSING);
      if (stored !== MISSING) return stored;
    }
    // Fixed before `fn` runs: a function that changes its arguments must not move its own entry.
    const rawKey = encodeKey(key);
    const result = fn.apply(this, args);
    if (isThenable(result)) {
      throw new UnsupportedError(`stash.sync.stashed keeps functions synchronous, but '${fn.name || 'anonymous'}' returned a promise: use stash.stashed`);
    }
    if (store) stash.setRaw(rawKey, result);
    return result;
  };
  Object.defineProperty(memoized, 'name', { value: fn.name });
  return Object.assign(memoized, { stash, [WRAPPED]: fn });
}

const runMemos = new WeakMap<HashStash, WeakMap<Function, SyncMemoized<any, any>>>();

/** `stash.sync.run(fn, ...args)`: the memo of `fn` made once per stash and function. */
export function syncRunOn<A extends unknown[], R>(parent: HashStash, fn: (...args: A) => R, args: A): R {
  let memos = runMemos.get(parent);
  if (!memos) runMemos.set(parent, (memos = new WeakMap()));
  let memoized = memos.get(fn) as SyncMemoized<A, R> | undefined;
  if (!memoized) memos.set(fn, (memoized = syncMemoize(parent, fn)));
  return memoized.apply(undefined, args);
}
