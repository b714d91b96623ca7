import { basename } from 'node:path';
import { serverUrl } from '../servers.js';
import type { BenchStore, OpenStore } from './store.js';

/**
 * keyv 5 with @keyv/redis 5 (node-redis underneath), a cache library's usual way onto Redis, as its README sets it
 * up: `createKeyv(url, { namespace })` with keyv's default serialization. The namespace is the case's temp folder
 * name, so cases never see each other; closing runs `keyv.clear()`, which with a namespace deletes only that
 * namespace's keys (SCAN + UNLINK, never FLUSHDB).
 */
export const keyvRedis: BenchStore = {
  name: 'keyv-redis',
  yardstick: true,
  peers: ['redis'],
  fill: 'bulk',
  server: 'redis',
  workloads: ['small'],
  via: {
    set: 'await keyv.set',
    'set-many': 'await keyv.setMany(entries)',
    get: 'await keyv.get',
  },
  async open(root: string): Promise<OpenStore> {
    const { createKeyv } = await import('@keyv/redis');
    const keyv = createKeyv(serverUrl('redis'), {
      namespace: `hashstash-bench-${basename(root)}`,
      throwOnErrors: true,
    });
    // Connects here, not in the first timed operation.
    await keyv.get('hashstash-bench-probe');
    return {
      set: (key, value) => keyv.set(key, value),
      setMany: (pairs) => keyv.setMany(pairs.map(([key, value]) => ({ key, value }))),
      get: (key) => keyv.get(key),
      path: undefined,
      async close() {
        try {
          await keyv.clear();
        } finally {
          await keyv.disconnect();
        }
      },
    };
  },
};
