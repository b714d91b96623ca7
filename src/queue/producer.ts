import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';
import type { Job, JobsOptions, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { EngineUnavailableError } from '../errors.js';
import type { FunctionSpec } from '../parallel/function-ref.js';
import { PoolClosed } from '../parallel/pool.js';
import {
  closeQueueClient,
  connectQueueClient,
  loadBullMq,
  QUEUE_PREFIX,
  queueClient,
  queueUnavailable,
} from './connection.js';
import { readFailure, type RemoteFailure } from './failure.js';
import { jobIdOf, readJobReturn, type JobData, type StashTarget } from './job.js';
import type { ResolvedQueueMapOptions } from './options.js';

/** What became of one call sent to the queue. */
export type QueueOutcome =
  | { readonly kind: 'value'; readonly bytes: Uint8Array }
  /** A worker stored the result in the stash, where the producer reads it. */
  | { readonly kind: 'stored' }
  | { readonly kind: 'failed'; readonly failure: RemoteFailure };

export interface QueueRunnerSetup {
  readonly queue: ResolvedQueueMapOptions;
  readonly fn: FunctionSpec;
  /** The function's identity: its run sub-stash's folder name. */
  readonly identity: string;
  /** Where workers store results; null: they return them. */
  readonly target: StashTarget | null;
  readonly serializer: string;
  readonly trustCode: boolean;
  readonly ttl: number | undefined;
  readonly force: boolean;
  readonly resourceLimits: ResourceLimits | undefined;
  /** Whether the result of the call with this key is in the stash (for a job that is gone without an event seen). */
  readonly isStored: (rawKey: Uint8Array) => Promise<boolean>;
}

interface Pending {
  readonly data: JobData;
  readonly rawKey: Uint8Array;
  readonly resolve: (outcome: QueueOutcome) => void;
  readonly reject: (failure: unknown) => void;
}

/** Jobs per `addBulk`. */
const ADD_BATCH = 1000;
/** How often jobs whose end no event reported are looked up, and how many per look. */
const RECONCILE_MS = 2000;
const RECONCILE_BATCH = 500;
const WAITING_STATES = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children']);

const toBase64 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/**
 * The producer's side of a map on a queue: each call becomes a job whose id is the call's (so producers sharing the
 * queue share the work), and each resolves when a worker finishes it. Events report most ends; a look at the jobs
 * themselves every couple of seconds catches the rest (events missed, jobs finished and removed before this producer
 * added them, failures kept from an earlier run, which it retries). Nothing connects until the first call.
 */
export class QueueRunner {
  readonly #setup: QueueRunnerSetup;
  /** This producer's name on its jobs: whose jobs an abort may remove. */
  readonly #tag: string;
  readonly #nonce: string | undefined;
  readonly #startedAt = Date.now();
  readonly #pending = new Map<string, Pending>();
  #toAdd: string[] = [];
  #adding: Promise<void> = Promise.resolve();
  #started: Promise<{ queue: Queue; events: QueueEvents }> | undefined;
  #clients: Redis[] = [];
  #timer: NodeJS.Timeout | undefined;
  #reconcileFrom = 0;
  #reconciling = false;
  #closed = false;
  #fatal: ((error: unknown) => void) | undefined;

  constructor(setup: QueueRunnerSetup, onFatal: (error: unknown) => void) {
    this.#setup = setup;
    this.#fatal = onFatal;
    this.#tag = `${setup.fn.name.slice(0, 40)}@${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.#nonce = setup.force ? randomBytes(6).toString('hex') : undefined;
  }

  /** Sends the call with these serialized arguments and key. */
  run(args: Uint8Array, rawKey: Uint8Array): Promise<QueueOutcome> {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the pool's internal outcome, as WorkerPool does
    if (this.#closed) return Promise.reject(new PoolClosed());
    const { identity, target, serializer, fn, trustCode, ttl, force, resourceLimits } = this.#setup;
    const id = jobIdOf(identity, target, serializer, rawKey, this.#nonce);
    const data: JobData = {
      v: 1,
      f: fn,
      id: identity,
      s: target,
      ser: serializer,
      a: toBase64(args),
      k: toBase64(rawKey),
      trust: trustCode,
      ...(ttl === undefined ? {} : { ttl }),
      ...(force ? { force: true as const } : {}),
      ...(resourceLimits ? { rl: resourceLimits } : {}),
    };
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { data, rawKey, resolve, reject });
      this.#enqueue(id);
    });
  }

  #enqueue(id: string): void {
    this.#toAdd.push(id);
    if (this.#toAdd.length > 1) return;
    queueMicrotask(() => {
      this.#adding = this.#adding.then(() => this.#addQueued());
    });
  }

  async #addQueued(): Promise<void> {
    while (this.#toAdd.length && !this.#closed) {
      const ids = this.#toAdd.splice(0, ADD_BATCH).filter((id) => this.#pending.has(id));
      try {
        const { queue } = await this.#start();
        await queue.addBulk(
          ids.map((id) => ({ name: this.#tag, data: this.#pending.get(id)!.data, opts: this.#jobOptions(id) })),
        );
      } catch (error) {
        this.#failAll(error instanceof EngineUnavailableError ? error : queueUnavailable(this.#setup.queue.url, error));
        return;
      }
    }
  }

  #jobOptions(jobId: string): JobsOptions {
    const { attempts, backoff, keepCompleted, keepFailed } = this.#setup.queue;
    return {
      jobId,
      attempts,
      ...(backoff ? { backoff } : {}),
      // A stored result needs no job; a returned one stays for producers that add the same job a little later.
      removeOnComplete: this.#setup.target ? true : { age: Math.ceil(keepCompleted / 1000) },
      removeOnFail: { age: Math.ceil(keepFailed / 1000) },
      stackTraceLimit: 20,
    };
  }

  #start(): Promise<{ queue: Queue; events: QueueEvents }> {
    return (this.#started ??= this.#connect());
  }

  async #connect(): Promise<{ queue: Queue; events: QueueEvents }> {
    const { url, name } = this.#setup.queue;
    const { Queue, QueueEvents } = loadBullMq();
    const producer = queueClient(url, 'producer');
    this.#clients.push(producer);
    await connectQueueClient(producer, url);
    const listener = queueClient(url, 'blocking');
    this.#clients.push(listener);
    await connectQueueClient(listener, url);
    // Events from the stream's present end: those of jobs added from now on are all read, however late the reader starts.
    const last = (await producer.xrevrange(`${QUEUE_PREFIX}:${name}:events`, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
    const queue = new Queue(name, { connection: producer, prefix: QUEUE_PREFIX });
    const events = new QueueEvents(name, { connection: listener, prefix: QUEUE_PREFIX, lastEventId: last });
    events.on('completed', ({ jobId, returnvalue }) => this.#completed(jobId, returnvalue));
    events.on('failed', ({ jobId, failedReason }) =>
      this.#settle(jobId, { kind: 'failed', failure: readFailure(failedReason) }),
    );
    events.on('error', () => {});
    queue.on('error', () => {});
    this.#timer = setInterval(() => void this.#reconcile(queue), RECONCILE_MS);
    this.#timer.unref();
    return { queue, events };
  }

  #completed(jobId: string, returned: unknown): void {
    if (!this.#pending.has(jobId)) return;
    let outcome: QueueOutcome;
    try {
      const value = readJobReturn(returned);
      outcome = 'stored' in value ? { kind: 'stored' } : { kind: 'value', bytes: Buffer.from(value.result, 'base64') };
    } catch (error) {
      outcome = { kind: 'failed', failure: { kind: 'other', message: (error as Error).message } };
    }
    this.#settle(jobId, outcome);
  }

  #settle(jobId: string, outcome: QueueOutcome): void {
    const pending = this.#pending.get(jobId);
    if (!pending) return;
    this.#pending.delete(jobId);
    pending.resolve(outcome);
  }

  /** Looks up a slice of the pending jobs: ends that no event reported, and jobs that are gone or failed before. */
  async #reconcile(queue: Queue): Promise<void> {
    if (this.#reconciling || this.#closed || this.#pending.size === 0) return;
    this.#reconciling = true;
    try {
      const ids = [...this.#pending.keys()];
      if (this.#reconcileFrom >= ids.length) this.#reconcileFrom = 0;
      const slice = ids.slice(this.#reconcileFrom, this.#reconcileFrom + RECONCILE_BATCH);
      this.#reconcileFrom += RECONCILE_BATCH;
      const { Job } = loadBullMq();
      await Promise.all(
        slice.map(async (id) => {
          const state = await queue.getJobState(id);
          if (state === 'completed') {
            const job: Job | undefined = await Job.fromId(queue, id);
            if (job) this.#completed(id, job.returnvalue);
          } else if (state === 'failed') {
            const job: Job | undefined = await Job.fromId(queue, id);
            if (!job) return;
            // Kept from an earlier run: the add was ignored, so it is tried again; failed in this run: it stands.
            if ((job.finishedOn ?? 0) < this.#startedAt) await job.retry('failed', { resetAttemptsMade: true });
            else this.#settle(id, { kind: 'failed', failure: readFailure(job.failedReason) });
          } else if (state === 'unknown') {
            const pending = this.#pending.get(id);
            if (!pending) return;
            if (this.#setup.target && !this.#setup.force && (await this.#setup.isStored(pending.rawKey)))
              this.#settle(id, { kind: 'stored' });
            // Removed before it ran (another producer's abort) or before this producer's add landed: add it again.
            else if (this.#pending.has(id)) this.#enqueue(id);
          }
        }),
      );
    } catch {
      // A look that fails is tried again at the next interval; a queue that stays unreachable fails the adds.
    } finally {
      this.#reconciling = false;
    }
  }

  #failAll(error: unknown): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#fatal?.(error);
    this.#fatal = undefined;
    for (const call of pending) call.reject(error);
  }

  /**
   * Stops: jobs of this producer still waiting are removed (a worker running one finishes it, and a stored result is
   * kept); calls not finished reject with PoolClosed; the connections close.
   */
  async terminate(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    const pending = [...this.#pending.entries()];
    this.#pending.clear();
    for (const [, call] of pending) call.reject(new PoolClosed());
    await this.#adding;
    if (this.#started) {
      try {
        const { queue, events } = await this.#started;
        if (pending.length)
          await this.#removeWaiting(
            queue,
            pending.map(([id]) => id),
          );
        await Promise.allSettled([events.close(), queue.close()]);
      } catch {
        // Never connected: nothing to remove or close but the clients.
      }
    }
    await Promise.all(this.#clients.map(closeQueueClient));
  }

  async #removeWaiting(queue: Queue, ids: string[]): Promise<void> {
    const { Job } = loadBullMq();
    for (let start = 0; start < ids.length; start += RECONCILE_BATCH) {
      await Promise.allSettled(
        ids.slice(start, start + RECONCILE_BATCH).map(async (id) => {
          const job = await Job.fromId(queue, id);
          // Another producer's job with the same id is its to keep; an active one finishes (its lock refuses removal).
          if (!job || job.name !== this.#tag || !WAITING_STATES.has(await job.getState())) return;
          await job.remove();
        }),
      );
    }
  }
}
