import { checkOptionsObject } from '../checks.js';
import type { RawChange } from '../engines/engine.js';
import { ConfigError, UnsupportedError } from '../errors.js';
import type { StashCore } from '../stash-core.js';
import type { StashChange, StashWatch, WatchOptions } from './change.js';

/**
 * `stash.watch()`: the engine's change feed with each key decoded. The engine registers the watcher when this is
 * called (not when iteration starts), so changes made after `ready` resolves are seen even by a loop started later.
 */
export function watchStash<K>(core: StashCore, options: WatchOptions = {}): StashWatch<K> {
  checkOptionsObject('watch', options, ['signal']);
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new ConfigError(`watch option 'signal' must be an AbortSignal, got ${typeof signal}`);
  }
  const engine = core.engine;
  if (typeof engine.watch !== 'function') {
    throw new UnsupportedError(
      `the ${engine.name} engine has no change feed: watch() needs an engine with watch (lmdb, sqlite, pairtree, memory, redis, mongo)`,
    );
  }
  const feed = engine.watch({ signal });
  const ready = (feed as { ready?: Promise<void> }).ready ?? Promise.resolve();
  return {
    ready,
    [Symbol.asyncIterator]: () => decoded<K>(core, feed),
  };
}

async function* decoded<K>(core: StashCore, feed: AsyncIterable<RawChange>): AsyncGenerator<StashChange<K>> {
  for await (const change of feed) {
    if (change.type === 'set' || change.type === 'delete')
      yield { type: change.type, key: core.decodeKey(change.key) as K };
    else yield change as StashChange<K>;
  }
}
