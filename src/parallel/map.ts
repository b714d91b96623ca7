import { performance } from 'node:perf_hooks';
import { ConfigError, HashStashError } from '../errors.js';
import { keyText } from '../keys/encode.js';
import { previewKey } from '../keys/preview.js';
import { functionIdentity, functionStashName } from '../memo/memoize.js';
import { getSerializer } from '../serializers/index.js';
import type { Serializer } from '../serializers/serializer.js';
import type { HashStash } from '../stash.js';
import { BatchWriter } from './batch-writer.js';
import { MapItemError, WorkerCrashError, type WorkerCrashReason } from './errors.js';
import { functionSpec, loadFunction, type FunctionSpec, type MapFunction } from './function-ref.js';
import { rebuildError } from './messages.js';
import { resolveMapOptions, type MapOptions, type ResolvedMapOptions } from './options.js';
import { LoadFailure, PoolClosed, WorkerDeath, WorkerPool, type TaskOutcome } from './pool.js';
import { ProgressDisplay, type MapProgress } from './progress.js';
import { ResultBoard } from './results.js';

/** Keys per `getMany` when looking for stored results. */
export const LOOKUP_BATCH = 1000;

const MISSING: unique symbol = Symbol('missing');

const CRASH_TEXT: Record<WorkerCrashReason, string> = {
  'exit': 'exited',
  'uncaught-error': 'died of an uncaught error',
  'out-of-memory': 'ran out of memory',
};

/** A call's arguments as they read in a call: `f(2, "a")`. */
function previewArgs(args: unknown[]): string {
  const text = previewKey(args);
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
  readonly #parent: HashStash;
  readonly #fn: MapFunction<T, R>;
  readonly #spec: FunctionSpec;
  readonly #items: readonly T[];
  readonly #options: ResolvedMapOptions;
  readonly #board: ResultBoard<R>;
  readonly #serializer: Serializer;
  readonly #listeners = new Set<(progress: MapProgress) => void>();
  readonly #computing: Promise<void>[] = [];
  /** Missing items with equal arguments are computed once: key bytes → the indices waiting for that call. */
  readonly #inFlight = new Map<string, number[]>();
  #running: Promise<void> | undefined;
  #startedAt = 0;
  #pool: WorkerPool | undefined;
  #writer: BatchWriter | undefined;
  #display: ProgressDisplay | undefined;

  constructor(parent: HashStash, fn: MapFunction<T, R>, items: Iterable<T>, options?: MapOptions) {
    this.#spec = functionSpec(fn);
    if (typeof items === 'string' || items === null || typeof (items as Iterable<T>)?.[Symbol.iterator] !== 'function') {
      throw new ConfigError(`stash.map items must be an iterable such as an array (not a string), got ${items === null ? 'null' : typeof items}`);
    }
    this.#parent = parent;
    this.#fn = fn;
    this.#items = Array.isArray(items) ? items : Array.from(items);
    this.#options = resolveMapOptions(options, this.#items.length);
    this.#board = new ResultBoard<R>(this.#items.length);
    this.#serializer = getSerializer(parent.options.serializer);
    if (this.#options.precompute) this.#start();
  }

  /** How many items. */
  get length(): number { return this.#items.length; }

  get desc(): string { return this.#options.desc ?? `Mapping ${this.#spec.name}`; }

  /** The counts right now. */
  get progress(): MapProgress {
    const board = this.#board;
    const elapsedMs = this.#startedAt ? performance.now() - this.#startedAt : 0;
    const rate = elapsedMs > 0 ? board.done / (elapsedMs / 1000) : 0;
    return {
      total: board.total, done: board.done, cached: board.cached, failed: board.failed, pending: board.pending,
      elapsedMs, rate, etaMs: rate > 0 ? (board.pending / rate) * 1000 : undefined,
    };
  }

  /** Calls `listener` with the counts whenever items finish (per computed item, per batch of stored ones). */
  on(event: 'progress', listener: (progress: MapProgress) => void): this {
    if (event !== 'progress') throw new ConfigError(`stash.map results emit only 'progress', not '${String(event)}'`);
    this.#listeners.add(listener);
    return this;
  }

  off(event: 'progress', listener: (progress: MapProgress) => void): this {
    if (event === 'progress') this.#listeners.delete(listener);
    return this;
  }

  [Symbol.asyncIterator](): AsyncIterator<R> { return this.values(); }

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

  /** Every result in input order, once all are finished and stored; rejects with the first failure. */
  async all(): Promise<R[]> {
    this.#start();
    await this.#board.whenFinished();
    const failure = this.#board.firstError();
    if (failure) throw failure.error;
    return this.#board.values.slice() as R[];
  }

  #start(): void {
    this.#running ??= this.#run().catch((error: unknown) => this.#board.stop(error));
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
    const { signal, progress, stashRuns, stashMap, force } = this.#options;
    this.#startedAt = performance.now();
    const onAbort = () => this.#stop(signal!.reason);
    if (signal?.aborted) this.#stop(signal.reason);
    else signal?.addEventListener('abort', onAbort, { once: true });
    let mapKey: unknown;
    let runs: HashStash | undefined;
    try {
      if (progress) this.#display = new ProgressDisplay(this.desc, board.total);
      if (!board.fatal && board.total > 0) {
        const fn = typeof this.#fn === 'function' ? this.#fn : await loadFunction(this.#spec);
        const writable = !this.#parent.options.readonly;
        // The sub-stash and keys of stash.run(fn, item, ...args), so either finds what the other stored.
        runs = stashRuns ? this.#parent.sub(functionStashName(fn, {})) : undefined;
        if (runs && writable) this.#writer = new BatchWriter(runs, (error) => this.#stop(error));
        if (stashMap) mapKey = this.#mapKey(fn);
        const mapHit = mapKey !== undefined && !force && (await this.#readStoredMap(mapKey));
        if (mapHit || !writable) mapKey = undefined;
        if (!mapHit) await this.#lookUpAndCompute(force ? undefined : runs);
      }
    } catch (error) {
      this.#stop(error);
    }
    try {
      await this.#pool?.terminate();
      await this.#writer?.close();
      if (mapKey !== undefined && !board.fatal && board.failed === 0) await this.#parent.set(mapKey, board.values);
      await runs?.close();
    } catch (error) {
      this.#stop(error);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      board.finish();
      this.#display?.stop(this.progress);
    }
  }

  #mapKey(fn: Function): unknown {
    const { args, options } = this.#options;
    return { map: functionIdentity(fn, {}), items: this.#items, args, ...(options ? { options } : {}) };
  }

  async #readStoredMap(mapKey: unknown): Promise<boolean> {
    const stored = await this.#parent.get(mapKey, MISSING);
    if (!Array.isArray(stored) || stored.length !== this.#board.total) return false;
    for (let index = 0; index < stored.length; index++) this.#board.settle(index, stored[index] as R, true);
    this.#changed();
    return true;
  }

  /** Reads stored results in batches and sends the missing items to the workers as soon as each batch is known. */
  async #lookUpAndCompute(runs: HashStash | undefined): Promise<void> {
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
        else board.settle(start + offset, found[offset] as R, true);
      }
      // getMany cannot tell a stored undefined from an absent key; has() can, for the few that came back undefined.
      const stored = await Promise.all(absent.map((offset) => runs.has(keys[offset])));
      absent.forEach((offset, position) => {
        if (stored[position]) board.settle(start + offset, undefined as R, true);
        else if (!board.fatal) this.#compute(start + offset, keys[offset]!);
      });
      this.#changed();
    }
    await Promise.all(this.#computing);
  }

  #compute(index: number, args: unknown[]): void {
    const id = keyText(args);
    const waiting = this.#inFlight.get(id);
    if (waiting) {
      if (this.#board.isPending(waiting[0]!)) waiting.push(index);
      else this.#board.copy(waiting[0]!, index);
      return;
    }
    const indices = [index];
    this.#inFlight.set(id, indices);
    let payload: Uint8Array;
    try {
      payload = this.#serializer.serialize(args);
    } catch (error) {
      this.#failItems(indices, (i) => new MapItemError(
        `stash.map cannot send the arguments of item ${i} to a worker: ${(error as Error).message}`, i, args, { cause: error }));
      return;
    }
    this.#pool ??= new WorkerPool({
      size: this.#options.numProc,
      setup: { fn: this.#spec, serializer: this.#serializer.name, trustCode: this.#parent.options.trustCode },
      resourceLimits: this.#options.resourceLimits,
    });
    this.#computing.push(this.#pool.run(payload).then(
      (outcome) => this.#received(indices, args, outcome),
      (failure: unknown) => this.#lost(indices, args, failure),
    ));
  }

  #received(indices: number[], args: unknown[], outcome: TaskOutcome): void {
    if (!outcome.ok) {
      const { name, message } = outcome.error;
      const cause = rebuildError(outcome.error);
      this.#failItems(indices, (i) => new MapItemError(
        `${this.#spec.name}(${previewArgs(args)}) threw ${name}: ${message}`, i, args, { cause }));
      return;
    }
    let value: R;
    try {
      value = this.#serializer.deserialize(outcome.value, { trustCode: this.#parent.options.trustCode }) as R;
    } catch (error) {
      this.#failItems(indices, (i) => new MapItemError(
        `stash.map cannot read the result of item ${i}: ${(error as Error).message}`, i, args, { cause: error }));
      return;
    }
    // The first of equal items counts as computed, the others as reused.
    indices.forEach((index, position) => this.#board.settle(index, value, position > 0));
    this.#writer?.add(args, value);
    this.#changed();
  }

  #lost(indices: number[], args: unknown[], failure: unknown): void {
    if (failure instanceof PoolClosed) return;
    if (failure instanceof LoadFailure) {
      this.#stop(new HashStashError(`stash.map workers could not load ${this.#spec.name}: ${failure.cause.message}`, { cause: failure.cause }));
      return;
    }
    if (failure instanceof WorkerDeath) {
      const detail = failure.cause ? `: ${failure.cause.message}` : ` with code ${failure.exitCode}`;
      this.#failItems(indices, (i) => new WorkerCrashError(
        `the worker running ${this.#spec.name}(${previewArgs(args)}) ${CRASH_TEXT[failure.reason]}${detail}; it was replaced`,
        i, args, failure.reason, failure.exitCode, { cause: failure.cause }));
      return;
    }
    this.#stop(failure);
  }

  #failItems(indices: number[], error: (index: number) => MapItemError): void {
    for (const index of indices) this.#board.fail(index, error(index));
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
  }
}
