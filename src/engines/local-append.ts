import type { AppendStore, RawVersion, SyncAppendStore } from './engine.js';

/** The asynchronous face of a local engine's version store: each call runs the synchronous one, as LocalEngine does. */
export function asyncAppendStore(store: SyncAppendStore): AppendStore {
  return {
    async append(key: Uint8Array, value: Uint8Array): Promise<number> {
      return store.append(key, value);
    },
    async *versions(key: Uint8Array): AsyncIterableIterator<RawVersion> {
      yield* store.versions(key);
    },
  };
}
