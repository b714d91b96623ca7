import type { Redis, RedisOptions } from 'ioredis';
import { loadDriver } from '../drivers.js';
import { EngineUnavailableError } from '../errors.js';
import { stashKeyName } from '../engines/redis/store.js';
import { redactUrl } from '../server-url.js';

/** Where a stash on a server lives: the root and name it was opened with, and its settings folder. */
export interface ServerStash {
  readonly root: string;
  readonly name: string;
  readonly settings: string;
}

/** Keys a SCAN step looks at. */
const SCAN_COUNT = 1_000;
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * The stashes on the Redis at `url`: each is a hash `hashstash:{<digest>}:<root>/<name>/<settings>` (see
 * engines/redis/store.ts); the keys beside it (expiry index, versions) and other programs' keys are left out.
 * A root or name with a `/` in it splits differently but names the same hash, so the stash opens all the same.
 */
export async function redisStashes(url: string): Promise<ServerStash[]> {
  const Client = loadDriver<new (url: string, options: RedisOptions) => Redis>('ioredis');
  const client = new Client(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    const location = redactUrl(url);
    throw new EngineUnavailableError(`cannot reach redis at ${location}: ${(error as Error).message}`, location, {
      cause: error,
    });
  }
  try {
    const found: ServerStash[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', 'hashstash:{*}:*', 'COUNT', SCAN_COUNT);
      cursor = next;
      for (const key of keys) {
        const namespace = key.slice(key.indexOf('}:') + 2);
        const parts = namespace.split('/');
        if (parts.length < 3 || stashKeyName(namespace) !== key) continue;
        found.push({ root: parts.slice(0, -2).join('/'), name: parts.at(-2)!, settings: parts.at(-1)! });
      }
    } while (cursor !== '0');
    return found.sort((a, b) => `${a.root}/${a.name}`.localeCompare(`${b.root}/${b.name}`));
  } finally {
    client.disconnect();
  }
}
