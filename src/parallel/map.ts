import type { AnyFunction } from '../any-function.js';
import { ConfigError, HashStashError } from '../errors.js';
import { lazy } from '../lazy.js';
import type { Serializer } from '../serializers/serializer.js';
import type { BatchWriter } from './batch-writer.js';
import type { RemoteFailure } from '../queue/failure.js';
import type { StashTarget } from '../queue/job.js';
import type { QueueOutcome, QueueRunner } from '../queue/producer.js';
import type { StoredReads } from './stored-reads.js';
import { CRASH_TEXT, MapItemError, WorkerCrashError } from './errors.js';
import type { FunctionSpec, MapFunction } from './function-ref.js';
import type { MapHost, MapRunStore } from './host.js';
import type { MapOptions, ResolvedMapOptions } from './options.js';
import type { TaskOutcome, TaskPool } from './pool.js';
import type { MapProgress, ProgressDisplay } from './progress.js';
import type { ResultBoard } from './results.js';

// Loaded with the first map (see lazy.ts), so that importing hashstash, which exports StashMap, loads none of it.
const from = import.meta.url;
const keys = lazy<typeof import('../keys/encode.js')>(from, '../keys/encode.js');
const preview = lazy<typeof import('../keys/preview.js')>(from, '../keys/preview.js');
const memo = lazy<typeof import('../memo/memoize.js')>(from, '../memo/memoize.js');
const serializers = lazy<typeof import('../serializers/index.js')>(from, '../serializers/index.js');
const batches = lazy<typeof import('./batch-writer.js')>(from, './batch-writer.js');
const functions = lazy<typeof import('./function-ref.js')>(from, './function-ref.js');
const messages = lazy<typeof import('./messages.js')>(from, './messages.js');
const mapOptions = lazy<typeof import('./options.js')>(from, './options.js');
const pools = lazy<typeof import('./pool.js')>(from, './pool.js');
const processPools = lazy<typeof import('./process-pool.js')>(from, './process-pool.js');
const progressBars = lazy<typeof import('./progress.js')>(from, './progress.js');
const results = lazy<typeof import('./results.js')>(from, './results.js');
const producers = lazy<typeof import('../queue/producer.js')>(from, '../queue/producer.js');
const storedReads = lazy<typeof import('./stored-reads.js')>(from, './stored-reads.js');
const itemErrors = lazy<typeof import('../queue/item-error.js')>(from, '../queue/item-error.js');

/** Keys per `getMany` when looking for stored results. */
export const LOOKUP_BATCH = 1000;

/** One item of a map that was computed or read (see {@link StashMap.settled}). */
export interface MapFulfilled<T, R> {
  /** The item's position in the items. */
  readonly index: number;
  /** The item. */
  readonly item: T;
  /** As `Promise.allSettled` says it. */
  readonly status: 'fulfilled';
  /** Its result. */
  readonly value: R;
}

/** One item of a map whose call failed (see {@link StashMap.settled}). */
export interface MapRejected<T> {
  /** The item's position in the items. */
  readonly index: number;
  /** The item. */
  readonly item: T;
  /** As `Promise.allSettled` says it. */
  readonly status: 'rejected';
  /** Why: a MapItemError (a WorkerCrashError when its worker died). */
  readonly reason: unknown;
}

/** One item of a map as it finished (see {@link StashMap.settled}). */
export type MapSettled<T, R> = MapFulfilled<T, R> | MapRejected<T>;

const MISSING: unique symbol = Symbol('missing');

/** One call sent to the workers, and the items with equal arguments that wait for it. */
interface Call {
  readonly indices: number[];
  /** The key bytes, fixed when the call is sent: a caller changing its items later does not move the result. */
  readonly rawKey: Uint8Array;
  /** Once it returned: the result as the serializer's bytes, from which each item decodes a copy of its own. */
  result?: Uint8Array;
  /** Once it failed: the error of each item, built for that item's index and arguments. */
  failure?: (index: number) => MapItemError;
}

/** A result as it was when it arrived, kept for the list `stashMap` stores at the end. */
class Snapshot {
  constructor(readonly bytes: Uint8Array) {}
}

/** Values no reader can change: shared as they are, never copied. */
const immutable = (value: unknown) => (typeof value !== 'object' && typeof value !== 'function') || value === null;

/** A call's arguments as they read in a call: `f(2, "a")`. */
function previewArgs(args: unknown[]): string {
  const text = preview().previewKey(args);
  return text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
}

/**
 * The results of `stash.map(fn, items, options)`: an AsyncIterable of results (input order, or completion order
 * with `ordered: false`), `all()` for every result in input order, and `entries()` for `[args, result]` pairs.
 * Stored results are read in batches; only the items missing from the stash go to worker threads, and the parent
 * writes their results back in batches. An item whose call throws (or whose worker dies) fails alone: iteration
 * throws its MapItemError when it reaches it, and `all()` rejects with the first one, after everything else has
 * finished and been stored. A stash opened readonly is read, never written. Leaving a loop early does not stop the
 * map (other readers may want the rest): abort through `signal` for that.
 */
export class StashMap<T = unknown, R = unknown> implements AsyncIterable<R> {
  readonly #parent: MapHost;
  readonly #fn: MapFunction<T, R>;
  readonly #spec: FunctionSpec;
  readonly #items: readonly T[];
  readonly #options: ResolvedMapOptions;
  readonly #board: ResultBoard<R>;
  readonly #serializer: Serializer;
  readonly #listeners = new Set<(progress: MapProgress) => void>();
  readonly #computing: Promise<void>[] = [];
  /** Missing items with equal arguments are computed once: key text → the call they share. */
  readonly #inFlight = new Map<string, Call>();
  /** With `stashMap`: each result as it arrived (a Snapshot, or an immutable value), so what readers do to theirs is not stored. */
  #snapshots: unknown[] | undefined;
  #running: Promise<void> | undefined;
  #startedAt = 0;
  #pool: TaskPool | undefined;
  /** With `queue`: sends the calls to the queue's workers instead of the pool. */
  #runner: QueueRunner | undefined;
  #queueSetup: { readonly identity: string; readonly target: StashTarget | null } | undefined;
  #runs: MapRunStore | undefined;
  /** Reads back the results the queue's workers stored. */
  #storedReads: StoredReads | undefined;
  #writer: BatchWriter | undefined;
  #display: ProgressDisplay | undefined;

  /**
   * What `stash.map(fn, items, options)` does, and throws; `parent` is that stash (any {@link MapHost}).
   *
   * @internal Made by `stash.map`.
   * @throws {@link ClosureError} when `fn` reads variables from outside itself; {@link ConfigError} for items that
   *   are not an iterable, or an unknown or ill-typed option.
   */
  constructor(parent: MapHost, fn: MapFunction<T, R>, items: Iterable<T>, options?: MapOptions) {
    this.#spec = functions().functionSpec(fn);
    if (typeof items === 'string' || items === null || typeof items?.[Symbol.iterator] !== 'function') {
      throw new ConfigError(
        `stash.map items must be an iterable such as an array (not a string), got ${items === null ? 'null' : typeof items}`,
      );
    }
    this.#parent = parent;
    this.#fn = fn;
    this.#items = Array.isArray(items) ? items : Array.from(items);
    this.#options = mapOptions().resolveMapOptions(options, this.#items.length);
    this.#board = new (results().ResultBoard)<R>(this.#items.length);
    // Values cross to the workers in the stash's serializer, or in hashstash's when the stash has one of its own
    // (which other threads do not have); the stash stores them in its own.
    const { serializer } = parent.options;
    this.#serializer = serializers().getSerializer(
      serializers().isBuiltInSerializer(serializer) ? serializer : 'hashstash',
    );
    if (this.#options.precompute) this.#start();
  }

  /** How many items. */
  get length(): number {
    return this.#items.length;
  }

  /** The progress bar's label: the `desc` option, else `Mapping <function name>`. */
  get desc(): string {
    return this.#options.desc ?? `Mapping ${this.#spec.name}`;
  }

  /** The counts right now. */
  get progress(): MapProgress {
    const { total, done, cached, failed } = this.#board;
    return progressBars().progressOf(
      total,
      done,
      cached,
      failed,
      this.#startedAt ? performance.now() - this.#startedAt : 0,
    );
  }

  /**
   * Calls `listener` with the counts whenever items finish (per computed item, per batch of stored ones).
   *
   * @throws {@link ConfigError} for an event other than `'progress'`.
   */
  on(event: 'progress', listener: (progress: MapProgress) => void): this {
    if (event !== 'progress') throw new ConfigError(`stash.map results emit only 'progress', not '${String(event)}'`);
    this.#listeners.add(listener);
    return this;
  }

  /** Stops calling a listener that `on` added. */
  off(event: 'progress', listener: (progress: MapProgress) => void): this {
    if (event === 'progress') this.#listeners.delete(listener);
    return this;
  }

  /** `for await (const value of results)`: the same as {@link values}. */
  [Symbol.asyncIterator](): AsyncIterator<R> {
    return this.values();
  }

  /** Results as they become available, in input order unless `ordered: false`. */
  values(): AsyncIterableIterator<R> {
    this.#start();
    const values = this.#board.values;
    return this.#board.iterate(this.#options.ordered, (index) => values[index] as R);
  }

  /** `[args, result]` pairs, where `args` is the call's argument list `[item, ...args, option]`. */
  entries(): AsyncIterableIterator<[unknown[], R]> {
    this.#start();
    const values = this.#board.values;
    return this.#board.iterate(this.#options.ordered, (index) => [this.#callArgs(index), values[index] as R]);
  }

  /**
   * Every item as it finishes, in completion order, failures included, like `Promise.allSettled`:
   * `{ index, item, status: 'fulfilled', value }` or `{ index, item, status: 'rejected', reason }` (a MapItemError).
   * Throws only when the whole map stops (its `signal` aborted, a write failed); ends once every result is stored.
   */
  settled(): AsyncIterableIterator<MapSettled<T, R>> {
    this.#start();
    const values = this.#board.values;
    return this.#board.iterateSettled((index, failure): MapSettled<T, R> =>
      failure
        ? { index, item: this.#items[index], status: 'rejected', reason: failure.error }
        : { index, item: this.#items[index], status: 'fulfilled', value: values[index] as R },
    );
  }

  /** Every result in input order, once all are finished and stored; rejects with the first failure. */
  async all(): Promise<R[]> {
    this.#start();
    await this.#board.whenFinished();
    const failure = this.#board.firstError();
    if (failure) throw failure.error;
    return this.#board.values.slice() as R[];
  }

  #start(): void {
    if (this.#running === undefined) this.#running = this.#run().catch((error: unknown) => this.#board.stop(error));
  }

  #callArgs(index: number): unknown[] {
    const { args, options } = this.#options;
    const item = this.#items[index];
    if (options) return [item, ...args, options[index]];
    return args.length ? [item, ...args] : [item];
  }

  /** Never rejects: whatever goes wrong stops the map and is thrown to whoever reads the results. */
  async #run(): Promise<void> {
    const board = this.#board;
    const { signal, progress, stashRuns, stashMap, force, ttl } = this.#options;
    this.#startedAt = performance.now();
    const onAbort = () => this.#stop(signal!.reason);
    if (signal?.aborted) this.#stop(signal.reason);
    else signal?.addEventListener('abort', onAbort, { once: true });
    let mapKey: unknown;
    let runs: MapRunStore | undefined;
    try {
      if (progress) this.#display = new (progressBars().ProgressDisplay)(this.desc, board.total);
      if (!board.fatal && board.total > 0) {
        const fn = typeof this.#fn === 'function' ? this.#fn : await functions().loadFunction(this.#spec);
        const writable = !this.#parent.options.readonly;
        // The sub-stash and keys of stash.run(fn, item, ...args), so either finds what the other stored.
        runs = this.#runs = stashRuns ? this.#parent.sub(memo().functionStashName(fn, {})) : undefined;
        if (this.#options.queue) this.#queueSetup = this.#queueTarget(fn, runs);
        if (runs && writable) this.#writer = new (batches().BatchWriter)(runs, (error) => this.#stop(error), ttl);
        if (stashMap) mapKey = this.#mapKey(fn);
        const mapHit = mapKey !== undefined && !force && (await this.#readStoredMap(mapKey));
        if (mapHit || !writable) mapKey = undefined;
        if (mapKey !== undefined) this.#snapshots = [];
        if (!mapHit) await this.#lookUpAndCompute(force ? undefined : runs);
      }
    } catch (error) {
      this.#stop(error);
    }
    try {
      await this.#pool?.terminate();
      await this.#runner?.terminate();
      await this.#writer?.close();
      if (mapKey !== undefined && !board.fatal && board.failed === 0)
        await this.#parent.set(mapKey, this.#storedList(), ttl === undefined ? undefined : { ttl });
      await runs?.close();
    } catch (error) {
      this.#stop(error);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      board.finish();
      this.#display?.stop(this.progress);
    }
  }

  /** Where the queue's workers store results: the run sub-stash when it is on a server they reach, else nowhere. */
  #queueTarget(fn: AnyFunction, runs: MapRunStore | undefined): { identity: string; target: StashTarget | null } {
    const { results } = this.#options.queue!;
    const target = results === 'producer' || !runs ? undefined : runs.queueTarget?.();
    if (results === 'worker' && !target) {
      throw new ConfigError(
        `stash.map option 'queue.results' is 'worker', but the workers cannot write this stash: it must be a writable ` +
          `redis or mongo stash, with stashRuns`,
      );
    }
    return { identity: memo().functionIdentity(fn, {}), target: target ?? null };
  }

  #mapKey(fn: AnyFunction): unknown {
    const { args, options } = this.#options;
    return { map: memo().functionIdentity(fn, {}), items: this.#items, args, ...(options ? { options } : {}) };
  }

  async #readStoredMap(mapKey: unknown): Promise<boolean> {
    const stored = await this.#parent.get(mapKey, MISSING);
    if (!Array.isArray(stored) || stored.length !== this.#board.total) return false;
    for (let index = 0; index < stored.length; index++) this.#board.settle(index, stored[index] as R, true);
    this.#changed();
    return true;
  }

  /** Reads stored results in batches and sends the missing items to the workers as soon as each batch is known. */
  async #lookUpAndCompute(runs: MapRunStore | undefined): Promise<void> {
    const board = this.#board;
    const total = board.total;
    for (let start = 0; start < total && !board.fatal; start += LOOKUP_BATCH) {
      const end = Math.min(total, start + LOOKUP_BATCH);
      const keys: unknown[][] = [];
      for (let index = start; index < end; index++) keys.push(this.#callArgs(index));
      if (!runs) {
        keys.forEach((args, offset) => this.#compute(start + offset, args));
        continue;
      }
      const found = await runs.getMany(keys);
      const absent: number[] = [];
      for (let offset = 0; offset < found.length; offset++) {
        if (found[offset] === undefined) absent.push(offset);
        else this.#settleStored(start + offset, found[offset] as R);
      }
      // getMany cannot tell a stored undefined from an absent key; has() can, for the few that came back undefined.
      const stored = await Promise.all(absent.map((offset) => runs.has(keys[offset])));
      absent.forEach((offset, position) => {
        if (stored[position]) this.#settleStored(start + offset, undefined as R);
        else if (!board.fatal) this.#compute(start + offset, keys[offset]);
      });
      this.#changed();
    }
    await Promise.all(this.#computing);
  }

  /** A result read from the stash, before any reader sees it: with `stashMap` its snapshot is taken now. */
  #settleStored(index: number, value: R): void {
    if (this.#snapshots)
      this.#snapshots[index] = immutable(value) ? value : new Snapshot(this.#serializer.serialize(value));
    this.#board.settle(index, value, true);
  }

  /** The list `stashMap` stores: every result as it arrived, decoded afresh. */
  #storedList(): unknown[] {
    return this.#snapshots!.map((snapshot) => (snapshot instanceof Snapshot ? this.#decode(snapshot.bytes) : snapshot));
  }

  #decode(bytes: Uint8Array): unknown {
    return this.#serializer.deserialize(bytes, { trustCode: this.#parent.options.trustCode });
  }

  #compute(index: number, args: unknown[]): void {
    const { keyText, encodeKey } = keys();
    const id = keyText(args);
    const shared = this.#inFlight.get(id);
    if (shared) {
      if (shared.result) this.#settleComputed(shared, index, this.#decode(shared.result) as R, true);
      else if (shared.failure) this.#board.fail(index, shared.failure(index));
      else shared.indices.push(index);
      return;
    }
    const call: Call = { indices: [index], rawKey: encodeKey(args) };
    this.#inFlight.set(id, call);
    let payload: Uint8Array;
    try {
      payload = this.#serializer.serialize(args);
    } catch (error) {
      this.#failCall(
        call,
        (i) =>
          new MapItemError(
            `stash.map cannot send the arguments of item ${i} to a worker: ${(error as Error).message}`,
            i,
            this.#callArgs(i),
            { cause: error },
          ),
      );
      return;
    }
    if (this.#queueSetup) {
      this.#computing.push(
        this.#queueRunner()
          .run(payload, call.rawKey)
          .then(
            (outcome) => this.#fromQueue(call, outcome),
            (failure: unknown) => this.#lost(call, failure),
          ),
      );
      return;
    }
    this.#pool ??= new (this.#options.backend === 'processes' ? processPools().ProcessPool : pools().WorkerPool)({
      size: this.#options.numProc,
      setup: { fn: this.#spec, serializer: this.#serializer.name, trustCode: this.#parent.options.trustCode },
      resourceLimits: this.#options.resourceLimits,
    });
    this.#computing.push(
      this.#pool.run(payload).then(
        (outcome) => this.#received(call, outcome),
        (failure: unknown) => this.#lost(call, failure),
      ),
    );
  }

  #received(call: Call, outcome: TaskOutcome): void {
    if (!outcome.ok) {
      const { name, message } = outcome.error;
      const cause = messages().rebuildError(outcome.error);
      this.#failCall(
        call,
        (i) =>
          new MapItemError(
            `${this.#spec.name}(${previewArgs(this.#callArgs(i))}) threw ${name}: ${message}`,
            i,
            this.#callArgs(i),
            { cause },
          ),
      );
      return;
    }
    let value: R;
    try {
      value = this.#decode(outcome.value) as R;
    } catch (error) {
      this.#failCall(
        call,
        (i) =>
          new MapItemError(
            `stash.map cannot read the result of item ${i}: ${(error as Error).message}`,
            i,
            this.#callArgs(i),
            { cause: error },
          ),
      );
      return;
    }
    call.result = outcome.value;
    // Stored from a copy no reader holds, so what a reader does to its result before the batch is written is not stored.
    this.#writer?.add(call.rawKey, immutable(value) ? value : this.#decode(outcome.value));
    this.#deliver(call, value);
  }

  /** Settles every item waiting for the call, once its result (`call.result`) is known. */
  #deliver(call: Call, value: R): void {
    // The first of equal items counts as computed, the others as reused; each gets a copy of its own.
    call.indices.forEach((index, position) =>
      this.#settleComputed(call, index, position === 0 ? value : this.#copyOf(value, call), position > 0),
    );
    this.#changed();
  }

  #queueRunner(): QueueRunner {
    const { identity, target } = this.#queueSetup!;
    const { queue, ttl, force, resourceLimits } = this.#options;
    const runs = this.#runs;
    return (this.#runner ??= new (producers().QueueRunner)(
      {
        queue: queue!,
        fn: this.#spec,
        identity,
        target,
        serializer: this.#serializer.name,
        trustCode: this.#parent.options.trustCode,
        ttl,
        force,
        resourceLimits,
        isStored: async (rawKey) => runs !== undefined && (await runs.has(keys().decodeKey(rawKey))),
      },
      (error) => this.#stop(error),
    ));
  }

  async #fromQueue(call: Call, outcome: QueueOutcome): Promise<void> {
    if (outcome.kind === 'value') return this.#received(call, { ok: true, value: outcome.bytes });
    if (outcome.kind === 'failed') return this.#queueFailure(call, outcome.failure);
    this.#storedReads ??= new (storedReads().StoredReads)(this.#runs!);
    const value = await this.#storedReads.read(this.#callArgs(call.indices[0]));
    if (value === storedReads().ABSENT) {
      this.#failCall(
        call,
        (i) =>
          new MapItemError(
            `a queue worker stored the result of ${this.#spec.name}(${previewArgs(this.#callArgs(i))}), but it is not in ` +
              `the stash any more (expired or deleted since)`,
            i,
            this.#callArgs(i),
          ),
      );
      return;
    }
    call.result = this.#serializer.serialize(value);
    this.#deliver(call, value as R);
  }

  #queueFailure(call: Call, failure: RemoteFailure): void {
    if (failure.kind === 'load') {
      this.#stop(new HashStashError(`stash.map queue workers could not load ${this.#spec.name}: ${failure.message}`));
      return;
    }
    const { attempts } = this.#options.queue!;
    this.#failCall(call, (index) => {
      const args = this.#callArgs(index);
      return itemErrors().queueItemError(failure, {
        fn: this.#spec.name,
        shown: previewArgs(args),
        index,
        args,
        attempts,
      });
    });
  }

  #copyOf(value: R, call: Call): R {
    return immutable(value) ? value : (this.#decode(call.result!) as R);
  }

  #settleComputed(call: Call, index: number, value: R, reused: boolean): void {
    if (this.#snapshots) this.#snapshots[index] = immutable(value) ? value : new Snapshot(call.result!);
    this.#board.settle(index, value, reused);
  }

  #lost(call: Call, failure: unknown): void {
    const { LoadFailure, PoolClosed, WorkerDeath } = pools();
    if (failure instanceof PoolClosed) return;
    if (failure instanceof LoadFailure) {
      this.#stop(
        new HashStashError(`stash.map workers could not load ${this.#spec.name}: ${failure.cause.message}`, {
          cause: failure.cause,
        }),
      );
      return;
    }
    if (failure instanceof WorkerDeath) {
      const detail = failure.cause ? `: ${failure.cause.message}` : ` with code ${failure.exitCode}`;
      this.#failCall(
        call,
        (i) =>
          new WorkerCrashError(
            `the worker running ${this.#spec.name}(${previewArgs(this.#callArgs(i))}) ${CRASH_TEXT[failure.reason]}${detail}; it was replaced`,
            i,
            this.#callArgs(i),
            failure.reason,
            failure.exitCode,
            { cause: failure.cause },
          ),
      );
      return;
    }
    this.#stop(failure);
  }

  /** Fails every item waiting for the call, each with an error of its own; later equal items get theirs too. */
  #failCall(call: Call, failure: (index: number) => MapItemError): void {
    call.failure = failure;
    for (const index of call.indices) this.#board.fail(index, failure(index));
    this.#changed();
  }

  #changed(): void {
    this.#board.notify();
    if (this.#listeners.size === 0 && !this.#display) return;
    const progress = this.progress;
    this.#display?.update(progress);
    for (const listener of this.#listeners) {
      try {
        listener(progress);
      } catch (error) {
        this.#stop(error);
      }
    }
  }

  /** Stops the map: the first reason is what readers get; workers are stopped at once, finished results kept. */
  #stop(error: unknown): void {
    this.#board.stop(error);
    void this.#pool?.terminate();
    void this.#runner?.terminate();
  }
}
