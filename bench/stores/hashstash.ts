import type { EngineName, HashStashOptions } from '../../src/options.js';
import { serverUrl } from '../servers.js';
import type { BenchStore, OpenStore } from './store.js';

export interface HashStashStoreSettings {
  /** Options beyond `root` and `engine`; the default serializer and codec otherwise. */
  readonly options?: Omit<HashStashOptions, 'root' | 'engine'>;
  /** The subject name; the engine's name by default. */
  readonly name?: string;
  /** `bulk` for engines whose single writes are each a durable commit (see BenchStore.fill); `sequential` by default. */
  readonly fill?: BenchStore['fill'];
  /** For a server engine: the server it talks to; `url` comes from the bench's server of that kind. */
  readonly server?: BenchStore['server'];
  readonly workloads?: BenchStore['workloads'];
  readonly entries?: BenchStore['entries'];
  /** Measure `get-concurrent` (1,000 gets started together); true by default. */
  readonly getConcurrent?: boolean;
}

/** Written and deleted when a store opens; no workload key looks like it. */
const PROBE_KEY = 'hashstash-bench-probe';

/**
 * The library through its public facade, on one engine. Engines open their storage lazily, on the first write; opening
 * writes and deletes a probe entry, so a failure shows here and no timed operation pays for creating the database.
 */
export function hashStashStore(
  engine: EngineName,
  {
    options = {},
    name = engine,
    fill = 'sequential',
    server,
    workloads,
    entries,
    getConcurrent = true,
  }: HashStashStoreSettings = {},
): BenchStore {
  return {
    name,
    yardstick: false,
    fill,
    ...(server ? { server } : {}),
    ...(workloads ? { workloads } : {}),
    ...(entries ? { entries } : {}),
    via: {
      set: 'await stash.set',
      'set-sync': 'stash.sync.set',
      'set-concurrent': 'await Promise.all(stash.set × batch)',
      'set-many': 'await stash.update(array of pairs)',
      get: 'await stash.get',
      'get-concurrent': 'await Promise.all(stash.get × batch)',
      'get-sync': 'stash.sync.get',
      'get-many': 'await stash.getMany(keys)',
      iterate: 'for await (stash.entries())',
    },
    async open(root: string): Promise<OpenStore> {
      const { HashStash } = await import('../../src/index.js');
      const url = server ? { url: serverUrl(server) } : {};
      const stash = new HashStash<string, unknown>({ ...options, ...url, root, engine });
      try {
        await stash.set(PROBE_KEY, null);
        await stash.delete(PROBE_KEY);
      } catch (error) {
        await stash.close().catch(() => {});
        throw error;
      }
      const { persistent, sync } = stash.engine.capabilities;
      const view = sync ? stash.sync : undefined;
      return {
        set: (key, value) => stash.set(key, value),
        setSync: view && ((key, value) => view.set(key, value)),
        setConcurrent: (pairs) => Promise.all(pairs.map(([key, value]) => stash.set(key, value))),
        setMany: (pairs) => stash.update(pairs),
        get: (key) => stash.get(key),
        getConcurrent: getConcurrent ? (keys) => Promise.all(keys.map((key) => stash.get(key))) : undefined,
        getSync: view && ((key) => view.get(key)),
        getMany: (keys) => stash.getMany(keys),
        async iterate(visit) {
          let count = 0;
          for await (const entry of stash.entries()) {
            visit(entry);
            count++;
          }
          return count;
        },
        path: persistent && !server ? stash.path : undefined,
        async close() {
          // A memory table outlives its stash object, and a server keeps what it was sent: empty the stash (only
          // its own entries) so the next case starts with the memory back.
          if (!persistent || server) await stash.clear();
          await stash.close();
        },
      };
    },
  };
}
