import type { EngineName, HashStashOptions } from '../../src/options.js';
import type { BenchStore, OpenStore } from './store.js';

/**
 * The library through its public facade, on one engine, with the default serializer and codec unless `options`
 * say otherwise. Opening runs a first operation, because engines connect lazily and a failure shows only then.
 */
export function hashStashStore(engine: EngineName, options: Omit<HashStashOptions, 'root' | 'engine'> = {}, name: string = engine): BenchStore {
  return {
    name,
    yardstick: false,
    async open(root: string): Promise<OpenStore> {
      const { HashStash } = await import('../../src/index.js');
      const stash = new HashStash<string, unknown>({ ...options, root, engine });
      try {
        await stash.size();
      } catch (error) {
        await stash.close().catch(() => {});
        throw error;
      }
      const { persistent, sync } = stash.engine.capabilities;
      const view = sync ? stash.sync : undefined;
      return {
        set: (key, value) => stash.set(key, value),
        setSync: undefined,
        get: (key) => stash.get(key),
        getSync: view && ((key) => view.get(key)),
        async iterate(visit) {
          let count = 0;
          for await (const entry of stash.entries()) {
            visit(entry);
            count++;
          }
          return count;
        },
        path: persistent ? stash.path : undefined,
        async close() {
          // A memory table outlives its stash object; empty it so the next case starts with the memory back.
          if (!persistent) await stash.clear();
          await stash.close();
        },
      };
    },
  };
}
