import { hostname } from 'node:os';
import type { Job } from 'bullmq';
import { decodeKey } from '../keys/encode.js';
import { functionIdentity } from '../memo/identity.js';
import { loadFunction, type FunctionSpec } from '../parallel/function-ref.js';
import { LoadFailure, PoolClosed, WorkerDeath, WorkerPool } from '../parallel/pool.js';
import { getSerializer } from '../serializers/index.js';
import { redactUrl } from '../server-url.js';
import type { HashStash } from '../stash.js';
import { loadBullMq } from './connection.js';
import { crashTag, LOAD_TAG, threwTag, UNTRUSTED_TAG } from './failure.js';
import { readJobData, type JobData, type JobReturn, type StashTarget } from './job.js';
import type { QueueWorkerCounts, ResolvedServeQueueOptions } from './options.js';

/** Module URLs a worker imports without `--trust-code`: files on its own disk, and installed packages. */
const SAFE_MODULE = /^(file|node):/;

/**
 * Runs one job at a time per call of `process`: checks what it is asked to run, reads the stash for a stored result,
 * computes on a worker thread (so the event loop stays free to renew job locks), and stores or returns the result.
 * Failures are thrown with a tag the producer reads back into its typed errors (failure.ts).
 */
export class JobProcessor {
  readonly #options: ResolvedServeQueueOptions;
  readonly #identities = new Map<string, Promise<string>>();
  readonly #pools = new Map<string, WorkerPool>();
  readonly #stashes = new Map<string, Promise<HashStash>>();
  #computed = 0;
  #cached = 0;
  #failed = 0;

  constructor(options: ResolvedServeQueueOptions) {
    this.#options = options;
  }

  get counts(): QueueWorkerCounts {
    return { computed: this.#computed, cached: this.#cached, failed: this.#failed };
  }

  async process(job: Job): Promise<JobReturn> {
    try {
      return await this.#process(job);
    } catch (error) {
      this.#failed++;
      throw error;
    }
  }

  async #process(job: Job): Promise<JobReturn> {
    const { UnrecoverableError } = loadBullMq();
    let data: JobData;
    try {
      data = readJobData(job.data);
    } catch (error) {
      throw new UnrecoverableError(LOAD_TAG + (error as Error).message);
    }
    this.#checkTrusted(data.f);
    await this.#checkIdentity(data);
    const rawKey = Buffer.from(data.k, 'base64');
    const stash = data.s ? await this.#stash(data.s) : undefined;
    if (stash && !data.force && (await stash.has(decodeKey(rawKey)))) {
      this.#cached++;
      return { stored: 1, cached: 1 };
    }
    const result = await this.#compute(data);
    this.#computed++;
    if (!stash) return { result: result.toString('base64') };
    const trustCode = data.trust && this.#options.trustCode;
    const value = getSerializer(data.ser).deserialize(result, { trustCode });
    await stash.setManyByEncodedKey([[rawKey, value]], data.ttl === undefined ? undefined : { ttl: data.ttl });
    return { stored: 1 };
  }

  #checkTrusted(spec: FunctionSpec): void {
    if (this.#options.trustCode) return;
    const shipped = spec.kind === 'source' ? 'a function shipped as source' : `a module at ${spec.url.slice(0, 60)}`;
    if (spec.kind === 'module' && SAFE_MODULE.test(spec.url)) return;
    const { UnrecoverableError } = loadBullMq();
    throw new UnrecoverableError(
      `${UNTRUSTED_TAG}the queue worker ${hostname()}:${process.pid} refuses to run ${shipped} (${spec.name}): it runs ` +
        `code sent through the queue only when started with --trust-code (serveStashQueue({ trustCode: true })); ` +
        `map { module, export } of a file the workers have instead`,
    );
  }

  /** Loads the function here once, and fails the job unless it is the one the producer has (same source, same identity). */
  async #checkIdentity(data: JobData): Promise<void> {
    const key = JSON.stringify(data.f);
    let identity = this.#identities.get(key);
    if (!identity) {
      identity = loadFunction(data.f).then((fn) => functionIdentity(fn, {}));
      this.#identities.set(key, identity);
    }
    const { UnrecoverableError } = loadBullMq();
    let found: string;
    try {
      found = await identity;
    } catch (error) {
      this.#identities.delete(key);
      throw new UnrecoverableError(`${LOAD_TAG}${(error as Error).message}`);
    }
    if (found !== data.id) {
      throw new UnrecoverableError(
        `${LOAD_TAG}the queue worker ${hostname()}:${process.pid} has another ${data.f.name} than the producer ` +
          `(${found} here, ${data.id} there): deploy the same code to both`,
      );
    }
  }

  async #compute(data: JobData): Promise<Buffer> {
    const pool = this.#pool(data);
    let outcome;
    try {
      outcome = await pool.run(Buffer.from(data.a, 'base64'));
    } catch (failure) {
      if (failure instanceof WorkerDeath) {
        const detail = failure.cause ? failure.cause.message : `exit code ${failure.exitCode}`;
        throw new Error(crashTag(failure.reason, failure.exitCode) + detail, { cause: failure });
      }
      if (failure instanceof LoadFailure) {
        const { UnrecoverableError } = loadBullMq();
        throw new UnrecoverableError(LOAD_TAG + failure.cause.message);
      }
      if (failure instanceof PoolClosed)
        throw new Error('the queue worker closed while it ran the job', { cause: failure });
      throw failure;
    }
    if (outcome.ok) return Buffer.from(outcome.value.buffer, outcome.value.byteOffset, outcome.value.byteLength);
    const thrown = new Error(threwTag(outcome.error.name) + outcome.error.message);
    if (outcome.error.stack) thrown.stack = outcome.error.stack;
    throw thrown;
  }

  #pool(data: JobData): WorkerPool {
    const trustCode = data.trust && this.#options.trustCode;
    const key = JSON.stringify([data.f, data.ser, trustCode, data.rl ?? null]);
    let pool = this.#pools.get(key);
    if (!pool) {
      pool = new WorkerPool({
        size: this.#options.concurrency,
        setup: { fn: data.f, serializer: data.ser, trustCode },
        resourceLimits: data.rl,
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /** The stash a job names, opened once, with the credentials this worker was given for its server. */
  #stash(target: StashTarget): Promise<HashStash> {
    const key = JSON.stringify(target);
    let stash = this.#stashes.get(key);
    if (!stash) {
      stash = import('../stash.js').then(
        ({ HashStash }) =>
          new HashStash({
            engine: target.engine,
            url: this.#credentialed(target),
            root: target.root,
            name: target.name,
            serializer: target.serializer as never,
            compress: target.compress as never,
            b64: target.b64,
            ...(target.ttl === undefined ? {} : { ttl: target.ttl }),
          }),
      );
      this.#stashes.set(key, stash);
    }
    return stash;
  }

  #credentialed(target: StashTarget): string | undefined {
    if (target.url === undefined) return undefined;
    const env = target.engine === 'redis' ? process.env.REDIS_URL : process.env.MONGODB_URL;
    const known = [...this.#options.stashUrls, env, target.engine === 'redis' ? this.#options.url : undefined];
    return known.find((url) => url !== undefined && redactUrl(url) === target.url) ?? target.url;
  }

  /** Stops the threads (jobs still running fail: with `force`, their locks lapse and they run elsewhere) and closes the stashes. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#pools.values()].map((pool) => pool.terminate()));
    const stashes = await Promise.allSettled(this.#stashes.values());
    await Promise.allSettled(
      stashes.map((opened) => (opened.status === 'fulfilled' ? opened.value.close() : Promise.resolve())),
    );
  }
}
