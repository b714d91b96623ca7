import { basename } from 'node:path';
import { serverUrl } from '../servers.js';
import type { BenchStore, OpenStore, Pairs } from './store.js';

/** A fill pipeline holds at most this many SETs, so a large workload is not one huge buffer. */
const FILL_PIPELINE_ENTRIES = 1000;

/**
 * ioredis used directly, the yardstick for the redis engine: one Redis string per entry, named `<prefix><key>`,
 * holding JSON.stringify of the value (encoded and decoded inside the timed operations). The prefix is the case's
 * temp folder name, so cases never see each other; closing deletes the case's keys (SCAN + UNLINK, never FLUSHDB).
 */
export const ioredisRaw: BenchStore = {
  name: 'ioredis',
  yardstick: true,
  peers: ['redis'],
  fill: 'bulk',
  server: 'redis',
  workloads: ['small'],
  via: {
    set: 'await redis.set(JSON.stringify)',
    'set-concurrent': 'pipeline of SET(JSON.stringify) × batch',
    'set-many': `pipelines of ${FILL_PIPELINE_ENTRIES} SET(JSON.stringify)`,
    get: 'JSON.parse(await redis.get)',
    'get-concurrent': 'pipeline of GET × batch, JSON.parse',
  },
  async open(root: string): Promise<OpenStore> {
    const { Redis } = await import('ioredis');
    const redis = new Redis(serverUrl('redis'), { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      throw error;
    }
    const prefix = `hashstash-bench:${basename(root)}:`;
    const setPipeline = async (pairs: Pairs) => {
      const pipeline = redis.pipeline();
      for (const [key, value] of pairs) pipeline.set(prefix + key, JSON.stringify(value));
      for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
    };
    return {
      set: (key, value) => redis.set(prefix + key, JSON.stringify(value)),
      setConcurrent: setPipeline,
      async setMany(pairs) {
        for (let i = 0; i < pairs.length; i += FILL_PIPELINE_ENTRIES)
          await setPipeline(pairs.slice(i, i + FILL_PIPELINE_ENTRIES));
      },
      get: async (key) => JSON.parse((await redis.get(prefix + key))!) as unknown,
      async getConcurrent(keys) {
        const pipeline = redis.pipeline();
        for (const key of keys) pipeline.get(prefix + key);
        return ((await pipeline.exec()) ?? []).map(([error, text]) => {
          if (error) throw error;
          return JSON.parse(text as string) as unknown;
        });
      },
      path: undefined,
      async close() {
        try {
          let cursor = '0';
          do {
            const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
            if (keys.length) await redis.unlink(...keys);
            cursor = next;
          } while (cursor !== '0');
        } finally {
          redis.disconnect();
        }
      },
    };
  },
};
