import type { Engine } from './engines/engine.js';
import { UnsupportedError } from './errors.js';
import type { Access, Maybe, StashCore } from './stash-core.js';
import { parseTtl, type Ttl } from './ttl.js';

/** Options of `stash.setIfAbsent` and `stash.sync.setIfAbsent`. */
export interface SetIfAbsentOptions {
  /**
   * The value expires this long after it is written (by the stash's clock): ms, or a duration like `'30s'`, `'15m'`,
   * `'1h'`, `'7d'`. Default: the stash's `ttl` option where it has one, else the value never expires.
   */
  readonly ttl?: Ttl | undefined;
}

type CompareAndSet = NonNullable<Engine['compareAndSet']>;

/** UnsupportedError naming the engine and what needed compare-and-set. */
export function noCompareAndSet(engine: { readonly name: string }, operation: string): UnsupportedError {
  return new UnsupportedError(
    `${operation} needs an engine with an atomic compareAndSet; the '${engine.name}' engine has none ` +
      '(every built-in engine has it: lmdb, sqlite, pairtree, memory, redis, mongo)',
  );
}

/** The ttl in ms of one write: the call's `ttl`, else the stash's `ttl` option (when it has one), else none. */
export function ttlOf(core: StashCore, ttl: Ttl | undefined): number | undefined {
  if (ttl !== undefined) return parseTtl(ttl, 'ttl');
  const fallback = (core.options as { readonly ttl?: unknown }).ttl;
  return fallback === undefined || fallback === null || fallback === false ? undefined : parseTtl(fallback, 'ttl');
}

/**
 * `stash.setIfAbsent` and `stash.sync.setIfAbsent` on `access` (the engine, or its synchronous store): stores the
 * value when nothing live is stored under the key (nothing, or an expired entry), as one `compareAndSet(key,
 * undefined, blob)`; true when this call stored it. Append mode has no such write (a value written outside the key's
 * history, or a version that is a first only by luck): UnsupportedError.
 */
export function setIfAbsent(
  core: StashCore,
  access: Access,
  key: unknown,
  value: unknown,
  options: SetIfAbsentOptions | undefined,
): Maybe<boolean> {
  core.writable('setIfAbsent');
  const ttl = ttlOf(core, options?.ttl);
  if (core.options.appendMode) {
    throw new UnsupportedError(
      'setIfAbsent is not offered in append mode: use a stash without appendMode (a sub-stash, say) for it',
    );
  }
  const compareAndSet = (access as { compareAndSet?: CompareAndSet }).compareAndSet;
  if (typeof compareAndSet !== 'function') throw noCompareAndSet(core.engine, 'setIfAbsent');
  const rawKey = core.encode(key);
  return core.gated(access, () => {
    const blob = core.format.pack(value, ttl === undefined ? undefined : core.now() + ttl);
    return compareAndSet.call(access, rawKey, undefined, blob);
  });
}
