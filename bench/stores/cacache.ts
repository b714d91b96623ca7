import { createRequire } from 'node:module';
import type { BenchStore, OpenStore } from './store.js';

/** The parts of cacache 20 used here (the package ships no types). */
interface Cacache {
  put(cache: string, key: string, data: Buffer): Promise<string>;
  ls(cache: string): Promise<Record<string, { integrity: string }>>;
  get: ((cache: string, key: string) => Promise<{ data: Buffer }>) & {
    byDigest(cache: string, integrity: string): Promise<Buffer>;
  };
}

/**
 * cacache 20 (npm's content-addressed cache), the yardstick for the pairtree engine: `cacache.put` of the value's JSON
 * text, `cacache.get` + JSON.parse, with its defaults (no in-memory memoization, sha512 integrity checked on read).
 * Iteration lists the index (`cacache.ls`) and reads each entry's content by digest.
 */
export const cacacheStore: BenchStore = {
  name: 'cacache',
  yardstick: true,
  peers: ['pairtree'],
  fill: 'sequential',
  via: {
    set: 'await cacache.put(JSON.stringify)',
    get: 'JSON.parse((await cacache.get).data)',
    iterate: 'cacache.ls, then get.byDigest + JSON.parse each',
  },
  async open(root: string): Promise<OpenStore> {
    const cacache = createRequire(import.meta.url)('cacache') as Cacache;
    return {
      set: (key, value) => cacache.put(root, key, Buffer.from(JSON.stringify(value))),
      get: async (key) => JSON.parse((await cacache.get(root, key)).data.toString('utf8')) as unknown,
      async iterate(visit) {
        let count = 0;
        for (const { integrity } of Object.values(await cacache.ls(root))) {
          visit(JSON.parse((await cacache.get.byDigest(root, integrity)).toString('utf8')));
          count++;
        }
        return count;
      },
      path: root,
      async close() {},
    };
  },
};
