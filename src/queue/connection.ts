import type { Redis, RedisOptions } from 'ioredis';
import { loadDriver } from '../drivers.js';
import { EngineUnavailableError } from '../errors.js';
import { redactUrl, warnOnPlaintextPassword } from '../server-url.js';

/** The prefix of every queue key; the redis engine's keys start `hashstash:{`, so the two never meet. */
export const QUEUE_PREFIX = 'hashstash-queue';
const CONNECT_TIMEOUT_MS = 10_000;

type IoredisModule = new (url: string, options: RedisOptions) => Redis;
export type BullMq = typeof import('bullmq');

export const loadBullMq = (): BullMq => loadDriver<BullMq>('bullmq');

/**
 * A client of its own for bullmq: the redis engine's connection gives up on a command at the first disconnect, and
 * a blocking read on it would hold up every stash operation behind it. `blocking`: for workers and event readers,
 * whose commands must survive a reconnect (bullmq refuses them otherwise); a producer's fail fast instead.
 */
export function queueClient(url: string, role: 'producer' | 'blocking'): Redis {
  warnOnPlaintextPassword(url);
  const Client = loadDriver<IoredisModule>('ioredis');
  const client = new Client(url, {
    connectionName: `hashstash-queue-${role}`,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: role === 'producer' ? 1 : null,
    enableOfflineQueue: role !== 'producer',
    // Connected by the caller, whose first connect fails fast when the server is not there (later drops reconnect).
    lazyConnect: true,
  });
  // Reported by the operations that fail; without a listener ioredis would print every reconnect attempt.
  client.on('error', () => {});
  return client;
}

/** Connects a client made by {@link queueClient}: EngineUnavailableError naming the redacted URL when it cannot. */
export async function connectQueueClient(client: Redis, url: string): Promise<void> {
  // connect() rejects with "Connection is closed"; the 'error' before it says why (ECONNREFUSED, ETIMEDOUT, auth).
  let reason: unknown;
  const keep = (error: unknown) => (reason ??= error);
  client.on('error', keep);
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw queueUnavailable(url, reason ?? error);
  } finally {
    client.off('error', keep);
  }
}

/** Closes a client: politely when it is connected, at once when it is not (QUIT would wait for a connection). */
export async function closeQueueClient(client: Redis): Promise<void> {
  if (client.status === 'ready') await client.quit().catch(() => {});
  client.disconnect();
}

/** A queue operation that failed because Redis could not be reached, named by its redacted URL. */
export function queueUnavailable(url: string, error: unknown): EngineUnavailableError {
  const reason = (error as Error)?.message?.replaceAll(url, redactUrl(url)) ?? String(error);
  return new EngineUnavailableError(`the queue at ${redactUrl(url)} cannot be reached: ${reason}`, redactUrl(url), {
    cause: error,
  });
}
