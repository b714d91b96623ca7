import { redactUrl } from '../server-url.js';
import {
  closeQueueClient,
  connectQueueClient,
  loadBullMq,
  QUEUE_PREFIX,
  queueClient,
  queueUnavailable,
} from './connection.js';
import { JobProcessor } from './processor.js';
import { resolveServeQueueOptions, type QueueWorkerCounts, type ServeQueueOptions } from './options.js';

/** What a StashQueueWorker drives: bullmq's worker, the job processor and the connection, behind no library's types. */
interface ServedQueue {
  readonly counts: () => QueueWorkerCounts;
  /** Stops taking jobs (waiting for the running ones unless `force`), then closes threads, stashes and connection. */
  readonly close: (force: boolean) => Promise<void>;
  readonly onError: (listener: (error: Error) => void) => void;
}

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
  readonly #served: ServedQueue;
  #closing: Promise<void> | undefined;
  #lastError: Error | undefined;

  /** @internal Made by {@link serveStashQueue}. */
  constructor(name: string, url: string, served: ServedQueue) {
    this.name = name;
    this.url = redactUrl(url);
    this.#served = served;
    served.onError((error) => {
      this.#lastError = error;
    });
  }

  /** Jobs computed, found already stored, and failed since it started. */
  get counts(): QueueWorkerCounts {
    return this.#served.counts();
  }

  /** The last error the queue connection reported (it reconnects by itself), if any. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  /** Stops taking jobs; waits for the running ones unless `force`. Resolves once everything is closed. */
  close(options: { force?: boolean } = {}): Promise<void> {
    if (this.#closing && !options.force) return this.#closing;
    const closing = this.#served.close(options.force === true);
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
  const served = new StashQueueWorker(name, url, {
    counts: () => processor.counts,
    close: async (force) => {
      await worker.close(force).catch(() => {});
      await processor.close();
      await closeQueueClient(client);
    },
    onError: (listener) => worker.on('error', listener),
  });
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
