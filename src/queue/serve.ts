import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { redactUrl } from '../server-url.js';
import {
  closeQueueClient,
  connectQueueClient,
  loadBullMq,
  QUEUE_PREFIX,
  queueClient,
  queueUnavailable,
} from './connection.js';
import { JobProcessor, type QueueWorkerCounts } from './processor.js';
import { resolveServeQueueOptions, type ServeQueueOptions } from './options.js';

/**
 * A process serving a `stash.map` queue: takes jobs, `concurrency` at a time, each computed on a worker thread of
 * its own. `close()` stops taking jobs and waits for those running; `close({ force: true })` stops at once (their
 * locks lapse, and another worker runs them again).
 */
export class StashQueueWorker implements AsyncDisposable {
  /** The queue's name. */
  readonly name: string;
  /** The queue's Redis, with its password hidden. */
  readonly url: string;
  readonly #worker: Worker;
  readonly #processor: JobProcessor;
  readonly #client: Redis;
  #closing: Promise<void> | undefined;
  #lastError: Error | undefined;

  /** @internal Made by {@link serveStashQueue}. */
  constructor(name: string, url: string, worker: Worker, processor: JobProcessor, client: Redis) {
    this.name = name;
    this.url = redactUrl(url);
    this.#worker = worker;
    this.#processor = processor;
    this.#client = client;
    worker.on('error', (error) => {
      this.#lastError = error;
    });
  }

  /** Jobs computed, found already stored, and failed since it started. */
  get counts(): QueueWorkerCounts {
    return this.#processor.counts;
  }

  /** The last error the queue connection reported (it reconnects by itself), if any. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  /** Stops taking jobs; waits for the running ones unless `force`. Resolves once everything is closed. */
  close(options: { force?: boolean } = {}): Promise<void> {
    if (this.#closing && !options.force) return this.#closing;
    const closing = (async () => {
      await this.#worker.close(options.force === true).catch(() => {});
      await this.#processor.close();
      await closeQueueClient(this.#client);
    })();
    this.#closing ??= closing;
    return options.force ? closing : this.#closing;
  }

  /** `await using worker = …`: closes it as `close()` does, waiting for the jobs running. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Serves the queue `name` that `stash.map(fn, items, { queue: { name } })` fills: resolves once connected and
 * taking jobs. What the command `hashstash worker` runs.
 *
 * @throws {@link ConfigError} for a bad option; {@link EngineUnavailableError} when the queue's Redis cannot be reached.
 * @example
 * ```ts
 * await using worker = await serveStashQueue({ url: 'redis://queue-host:6379', name: 'work', concurrency: 2 });
 * ```
 */
export async function serveStashQueue(options: ServeQueueOptions): Promise<StashQueueWorker> {
  const resolved = resolveServeQueueOptions(options);
  const { url, name, concurrency, lockDuration, stalledInterval, maxStalledCount, signal } = resolved;
  const { Worker } = loadBullMq();
  const processor = new JobProcessor(resolved);
  const client = queueClient(url, 'blocking');
  await connectQueueClient(client, url);
  const worker = new Worker(name, (job) => processor.process(job), {
    connection: client,
    prefix: QUEUE_PREFIX,
    concurrency,
    lockDuration,
    stalledInterval,
    maxStalledCount,
    autorun: false,
  });
  const served = new StashQueueWorker(name, url, worker, processor, client);
  try {
    await worker.waitUntilReady();
  } catch (error) {
    await served.close({ force: true });
    throw queueUnavailable(url, error);
  }
  void worker.run().catch(() => {});
  if (signal) {
    if (signal.aborted) void served.close();
    else signal.addEventListener('abort', () => void served.close(), { once: true });
  }
  return served;
}
