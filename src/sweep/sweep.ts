import { encodeKey } from '../keys/encode.js';
import { hashKey } from '../keys/hash.js';
import type { Lease } from '../lease/lease.js';
import type { LeaseOptions } from '../lease/options.js';
import { functionSpec, type MapFunction, type ModuleFunction } from '../parallel/function-ref.js';
import { getSerializer } from '../serializers/index.js';
import type { Serializer } from '../serializers/serializer.js';
import type { ChunkView } from './chunk-format.js';
import { computePoints } from './compute.js';
import { Grid, StoredAxis, type ChunkGroup, type GridSelection } from './grid.js';
import { SWEEP_STASH, type SweepParent, type SweepStash } from './host.js';
import {
  checkAxisValues,
  checkChunkLengths,
  resolveRunOptions,
  resolveSweepSpec,
  SWEEP_DEFAULTS,
  type ResolvedRunOptions,
  type ResolvedSweepSpec,
  type SweepAxes,
  type SweepPoint,
  type SweepRunOptions,
  type SweepSelect,
  type SweepSpec,
} from './options.js';
import { SweepStore, type SweepManifest } from './store.js';
import { DiagnosticsCounter, type SweepResult, type SweepRun, type SweepStatus } from './types.js';
import { ConfigError } from '../errors.js';

/** The function a sweep evaluates: one point and the sweep's params; or a `{ module, export }` reference. */
export type SweepFunction<A extends SweepAxes, P, R> =
  ((point: SweepPoint<A>, params: P) => R | Promise<R>) | ModuleFunction;

/** A chunk whose missing points this run computes (under its lease when the stash is writable). */
interface Claim {
  /** The chunk's points to compute. */
  readonly group: ChunkGroup;
  readonly key: Uint8Array;
  /** Some of its points were stored before this run. */
  readonly partial: boolean;
  readonly lease: Lease | undefined;
  remaining: number;
  failed: number;
  /** Computed and not stored yet: slot → value bytes. */
  readonly added: Map<number, Uint8Array>;
  stored: boolean;
}

/** A chunk's points found missing: `group` holds only those; `source` is the chunk's group they came from. */
interface Todo {
  readonly source: ChunkGroup;
  readonly group: ChunkGroup;
  /** Some of the chunk's points are stored. */
  readonly partial: boolean;
}

/** Receives each selected point's value, by its index in the selection. */
type Emit = (point: number, value: unknown) => void;

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * `stash.sweep({ params, axes, chunk })`: a function memoized over a grid of points, stored in chunks of the grid
 * (`chunk` points per chunk along each axis), each chunk one entry of the sub-stash `.hashstash-sweeps` holding its
 * points behind an offset table, so a point is read without decoding its chunk. A run reads what is stored and
 * computes only the points it asks for that are missing, completing partial chunks by merge; a chunk is computed by
 * one process at a time (its lease), and merges are compare-and-set, so overlapping runs in many processes lose
 * nothing. The identity is `params` with the axis names and chunk sizes; axis values can grow (`extend`, or a spec
 * with more values), and a stored superset serves any sub-grid.
 *
 * @typeParam A - The axes: name → values.
 * @typeParam P - The params.
 */
export class Sweep<A extends SweepAxes = SweepAxes, P = unknown> implements AsyncDisposable {
  /** The stored sweep's id: a hash of params, axis names and chunk sizes. */
  readonly id: string;
  /** The fixed parameters every call gets after the point. */
  readonly params: P;
  /** Points per chunk along each axis. */
  readonly chunk: { readonly [K in keyof A]: number };
  readonly #spec: ResolvedSweepSpec;
  /** The axes this object asks for, in the spec's order (grown by extend). */
  readonly #requested: Map<string, unknown[]>;
  readonly #parent: SweepParent;
  readonly #stash: SweepStash;
  readonly #store: SweepStore;
  readonly #serializer: Serializer;
  #grid: Promise<Grid> | undefined;
  #closed = false;

  /**
   * @internal Made by `stash.sweep(spec)` and `stash.sweeps(query)`.
   * @throws {@link ConfigError} for a bad spec, naming the axis or value.
   */
  constructor(parent: SweepParent, spec: SweepSpec<A, P>) {
    this.#spec = resolveSweepSpec(spec);
    const { params, names, values, chunk } = this.#spec;
    this.params = params as P;
    this.chunk = Object.fromEntries(names.map((name) => [name, chunk.get(name)!])) as { [K in keyof A]: number };
    const sorted = [...names].sort(byName);
    this.id = hashKey(encodeKey({ params, axes: sorted, chunk: sorted.map((name) => chunk.get(name)) })).slice(0, 32);
    this.#requested = new Map([...values].map(([name, list]) => [name, [...list]]));
    this.#parent = parent;
    this.#stash = parent.sub(SWEEP_STASH, { compress: 'raw', b64: false, appendMode: false });
    const { serializer, trustCode } = this.#stash.options;
    this.#serializer = getSerializer(serializer);
    this.#store = new SweepStore(this.#stash.engine, this.#serializer, trustCode);
  }

  /** The axes this sweep covers: its spec's values, and those added by {@link extend}. */
  get axes(): { readonly [K in keyof A]: readonly A[K][number][] } {
    return Object.fromEntries(this.#requested) as { [K in keyof A]: A[K][number][] };
  }

  /**
   * The selected points' values, `fn(point, params)` computed for those not stored yet (and stored, chunk by chunk),
   * with what this call read and computed. A point that fails is stored nowhere: the call rejects with the first
   * failure (a MapItemError) once every other point is computed and stored.
   *
   * @returns `output`: `{ point, value }` for each selected point, in grid order (the spec's axis order, last axis
   *   fastest); `diagnostics`: counts and times of this call.
   * @throws {@link ConfigError} for a bad option, an axis `select` names that the sweep lacks, a value or index not
   *   on its axis.
   */
  async run<R>(fn: SweepFunction<A, P, R>, options?: SweepRunOptions<A>): Promise<SweepRun<SweepPoint<A>, Awaited<R>>> {
    const resolved = resolveRunOptions(options, 'sweep.run');
    // Workers get the function by its source: one that cannot travel fails here, before anything is read or claimed.
    if (resolved.numProc !== undefined) functionSpec(fn);
    const grid = await this.#open();
    const selection = grid.select(this.#spec.names, this.#requested, resolved.select);
    const groups = grid.group(selection);
    const counter = new DiagnosticsCounter(selection.count, groups.length);
    const values: unknown[] = [];
    for (let i = 0; i < selection.count; i++) values.push(undefined);
    await this.#process(grid, selection, groups, fn as MapFunction, resolved, counter, (point, value) => {
      values[point] = value;
    });
    const output = values.map((value, point) => ({
      point: grid.point(selection, point, this.#spec.names) as SweepPoint<A>,
      value: value as Awaited<R>,
    }));
    return { output, diagnostics: counter.result() };
  }

  /**
   * The selected points as they are read or computed, a window of chunks at a time (one chunk, or about a thousand
   * points when chunks are smaller), so memory holds one window of values whatever the grid's size. Points come chunk
   * by chunk, each chunk's in grid order. Options as {@link run}.
   */
  async *stream<R>(
    fn: SweepFunction<A, P, R>,
    options?: SweepRunOptions<A>,
  ): AsyncIterable<SweepResult<SweepPoint<A>, Awaited<R>>> {
    const resolved = resolveRunOptions(options, 'sweep.stream');
    // Workers get the function by its source: one that cannot travel fails here, before anything is read or claimed.
    if (resolved.numProc !== undefined) functionSpec(fn);
    const grid = await this.#open();
    const selection = grid.select(this.#spec.names, this.#requested, resolved.select);
    const groups = grid.group(selection);
    const counter = new DiagnosticsCounter(selection.count, groups.length);
    for (let start = 0; start < groups.length;) {
      let end = start;
      let points = 0;
      while (
        end < groups.length &&
        (end === start || points + groups[end].points.length <= SWEEP_DEFAULTS.streamWindowPoints)
      )
        points += groups[end++].points.length;
      const window = groups.slice(start, end);
      const values = new Map<number, unknown>();
      await this.#process(grid, selection, window, fn as MapFunction, resolved, counter, (point, value) => {
        values.set(point, value);
      });
      for (const group of window) {
        for (const point of group.points) {
          yield {
            point: grid.point(selection, point, this.#spec.names) as SweepPoint<A>,
            value: values.get(point) as Awaited<R>,
          };
        }
      }
      start = end;
    }
  }

  /**
   * What is stored of the selected points (default: all of this sweep's): chunks complete, partial and missing, and
   * points stored and missing. Reads the chunks' offset tables only.
   */
  async status(options?: { readonly select?: SweepSelect<A> | undefined }): Promise<SweepStatus> {
    const grid = await this.#open();
    const selection = grid.select(this.#spec.names, this.#requested, options?.select);
    const groups = grid.group(selection);
    let complete = 0;
    let partial = 0;
    let stored = 0;
    await this.#read(groups, (group, view) => {
      let found = 0;
      if (view) for (const local of group.locals) if (view.find(local) >= 0) found++;
      stored += found;
      if (found === group.points.length) complete++;
      else if (found > 0) partial++;
    });
    return {
      chunks: { total: groups.length, complete, partial, missing: groups.length - complete - partial },
      points: { total: selection.count, stored, missing: selection.count - stored },
    };
  }

  /**
   * Adds values to axes (values already there are left as they are); stored chunks are kept, and a chunk that gains
   * points keeps those it has. The sweep covers the new values from now on.
   *
   * @throws {@link ConfigError} for an axis the sweep lacks, or a value that cannot be a key or is listed twice.
   */
  async extend(axes: { readonly [K in keyof A]?: readonly A[K][number][] }): Promise<void> {
    const added = new Map<string, unknown[]>();
    for (const [name, values] of Object.entries(axes ?? {})) {
      if (!this.#requested.has(name))
        throw new ConfigError(
          `sweep.extend names the axis '${name}', which is not one of ${this.#spec.names.join(', ')}`,
        );
      added.set(name, checkAxisValues(name, values, true));
    }
    for (const [name, values] of added) {
      const list = this.#requested.get(name)!;
      const axis = new StoredAxis(name, list, 1);
      for (const value of values) if (axis.append([value]) > 0) list.push(value);
    }
    this.#grid = undefined;
    await this.#open();
  }

  /** Closes the sweeps' sub-stash this object opened (the stash itself stays open). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#stash.close();
  }

  /** {@link close}, for `await using sweep = stash.sweep(…)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The stored grid, with every requested value on it (appended to the manifest when missing). */
  #open(): Promise<Grid> {
    return (this.#grid ??= this.#load().catch((error: unknown) => {
      this.#grid = undefined;
      throw error;
    }));
  }

  async #load(): Promise<Grid> {
    const { names, chunk, params } = this.#spec;
    const requested = this.#requested;
    const extended = (manifest: SweepManifest | undefined): SweepManifest | undefined => {
      const axes = new Map(names.map((name) => [name, new StoredAxis(name, manifest?.axes[name] ?? [], 1)]));
      let added = 0;
      for (const name of names) added += axes.get(name)!.append(requested.get(name)!);
      checkChunkLengths(chunk, new Map(names.map((name) => [name, axes.get(name)!.values.length])));
      if (manifest && added === 0) return undefined;
      return {
        format: 1,
        params,
        chunk: Object.fromEntries(names.map((name) => [name, chunk.get(name)!])),
        axes: Object.fromEntries(names.map((name) => [name, axes.get(name)!.values])),
      };
    };
    let manifest: SweepManifest | undefined;
    if (this.#stash.options.readonly) {
      const stored = await this.#store.manifest(this.id);
      manifest = extended(stored) ?? stored;
    } else {
      manifest = await this.#store.updateManifest(this.id, extended);
    }
    return new Grid(names.map((name) => new StoredAxis(name, manifest!.axes[name] ?? [], chunk.get(name)!)));
  }

  #chunkName(group: ChunkGroup): string {
    return `chunk [${group.bin.join(', ')}] of sweep ${this.id}`;
  }

  /** Reads the groups' chunks in batches, calling `visit` with each (undefined when none is stored). */
  async #read(groups: readonly ChunkGroup[], visit: (group: ChunkGroup, view: ChunkView | undefined) => void) {
    for (let start = 0; start < groups.length; start += SWEEP_DEFAULTS.readBatch) {
      const batch = groups.slice(start, start + SWEEP_DEFAULTS.readBatch);
      const views = await this.#store.chunks(
        batch.map((group) => this.#store.chunkKey(this.id, group.bin)),
        (index) => this.#chunkName(batch[index]),
      );
      batch.forEach((group, index) => visit(group, views[index]));
    }
  }

  #decode(bytes: Uint8Array): unknown {
    return this.#serializer.deserialize(bytes, { trustCode: this.#stash.options.trustCode });
  }

  /**
   * Emits every point of `groups`: read where stored, computed where not. Chunks with missing points are claimed by
   * their lease a batch at a time (all at once on workers), without waiting; those another process holds are done
   * last, each once its lease is free, from what that process stored. Throws the first failed point's error once every
   * other point is done and stored.
   */
  async #process(
    grid: Grid,
    selection: GridSelection,
    groups: readonly ChunkGroup[],
    fn: MapFunction,
    options: ResolvedRunOptions,
    counter: DiagnosticsCounter,
    emit: Emit,
  ): Promise<void> {
    const todo = await this.#readStored(groups, counter, emit);
    if (todo.length === 0) return;
    const run = (claims: Claim[]) => this.#compute(grid, selection, claims, fn, options, counter, emit);
    let failure: { error: unknown } | undefined;
    if (this.#stash.options.readonly) {
      failure = await run(todo.map((item) => this.#claim(item, undefined)));
      if (failure) throw failure.error;
      return;
    }
    const tryLease = { ttl: SWEEP_DEFAULTS.leaseTtlMs, wait: false, signal: options.signal } as const;
    const limit = options.numProc === undefined ? SWEEP_DEFAULTS.claimPoints : Infinity;
    const deferred: ChunkGroup[] = [];
    for (let start = 0; start < todo.length;) {
      let end = start;
      let points = 0;
      while (end < todo.length && (end === start || points + todo[end].group.points.length <= limit))
        points += todo[end++].group.points.length;
      const batch = todo.slice(start, end);
      start = end;
      const leases = await this.#tryLeases(
        batch.map(({ group }) => this.#leaseName(group)),
        tryLease,
      );
      const held = new Map<ChunkGroup, Lease>();
      batch.forEach(({ group }, index) => {
        const lease = leases[index];
        if (lease) held.set(group, lease);
        else deferred.push(group);
      });
      const found = await this.#underLeases(held, counter, emit, run);
      failure ??= found;
    }
    for (const group of deferred) {
      const lease = await this.#stash.lease(this.#leaseName(group), { ...tryLease, wait: true });
      const found = await this.#underLeases(new Map(lease ? [[group, lease]] : []), counter, emit, run);
      failure ??= found;
    }
    if (failure) throw failure.error;
  }

  /** Tries the leases together; when one attempt throws (an abort), gives back those taken and rethrows. */
  async #tryLeases(names: readonly string[], options: LeaseOptions): Promise<(Lease | null)[]> {
    const settled = await Promise.allSettled(names.map((name) => this.#stash.lease(name, options)));
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed === undefined) return settled.map((result) => (result as PromiseFulfilledResult<Lease | null>).value);
    await Promise.all(
      settled.flatMap((result) => (result.status === 'fulfilled' && result.value ? [result.value.release()] : [])),
    );
    throw failed.reason;
  }

  /**
   * With the chunks' leases held: reads them again (another process may have stored points since the first read),
   * gives back the leases of chunks now complete, and computes the rest.
   */
  async #underLeases(
    held: ReadonlyMap<ChunkGroup, Lease>,
    counter: DiagnosticsCounter,
    emit: Emit,
    run: (claims: Claim[]) => Promise<{ error: unknown } | undefined>,
  ): Promise<{ error: unknown } | undefined> {
    if (held.size === 0) return undefined;
    let todo: Todo[];
    try {
      todo = await this.#readStored([...held.keys()], counter, emit);
    } catch (error) {
      await Promise.all([...held.values()].map((lease) => lease.release()));
      throw error;
    }
    const needed = new Set(todo.map((item) => item.source));
    await Promise.all([...held].filter(([group]) => !needed.has(group)).map(([, lease]) => lease.release()));
    return todo.length === 0 ? undefined : run(todo.map((item) => this.#claim(item, held.get(item.source))));
  }

  /** Reads the groups' chunks and emits their stored points; returns, per chunk, the points still missing. */
  async #readStored(groups: readonly ChunkGroup[], counter: DiagnosticsCounter, emit: Emit): Promise<Todo[]> {
    const started = performance.now();
    const todo: Todo[] = [];
    await this.#read(groups, (source, view) => {
      const points: number[] = [];
      const locals: number[] = [];
      let read = 0;
      for (let j = 0; j < source.points.length; j++) {
        const index = view ? view.find(source.locals[j]) : -1;
        if (index < 0) {
          points.push(source.points[j]);
          locals.push(source.locals[j]);
        } else {
          emit(source.points[j], this.#decode(view!.value(index)));
          read++;
        }
      }
      counter.pointsRead += read;
      if (read > 0) counter.chunksRead++;
      if (points.length > 0)
        todo.push({
          source,
          group: { bin: source.bin, points, locals },
          partial: view !== undefined && view.count > 0,
        });
    });
    counter.readMs += performance.now() - started;
    return todo;
  }

  #claim(item: Todo, lease: Lease | undefined): Claim {
    return {
      group: item.group,
      key: this.#store.chunkKey(this.id, item.group.bin),
      partial: item.partial,
      lease,
      remaining: item.group.points.length,
      failed: 0,
      added: new Map(),
      stored: false,
    };
  }

  #leaseName(group: ChunkGroup): string {
    return `${this.id}-${group.bin.join('.')}`;
  }

  /**
   * Computes the claims' missing points and stores them: a chunk when its last point is in (and, with flushOnChunk,
   * what unfinished chunks have every second), everything at the end otherwise; leases are released once stored.
   * Returns the first failed point's error; throws (after storing what finished) when the run was stopped.
   */
  async #compute(
    grid: Grid,
    selection: GridSelection,
    claims: readonly Claim[],
    fn: MapFunction,
    options: ResolvedRunOptions,
    counter: DiagnosticsCounter,
    emit: Emit,
  ): Promise<{ error: unknown } | undefined> {
    const started = performance.now();
    const writable = !this.#stash.options.readonly;
    const work: { claim: Claim; j: number }[] = [];
    for (const claim of claims) for (let j = 0; j < claim.group.points.length; j++) work.push({ claim, j });
    const points = work.map(({ claim, j }) => grid.point(selection, claim.group.points[j], this.#spec.names));
    const store = async (claim: Claim, release: boolean) => {
      if (writable && claim.added.size > 0) {
        const added = new Map(claim.added);
        claim.added.clear();
        await this.#store.merge(claim.key, added, this.#chunkName(claim.group));
        if (!claim.stored) {
          claim.stored = true;
          counter.chunksComputed++;
        }
      }
      if (release) await claim.lease?.release();
    };
    // Stores run in the background, all that are due together (one commit where the engine batches writes).
    const due = new Map<Claim, boolean>();
    let flushing: Promise<void> | undefined;
    let storeFailure: { error: unknown } | undefined;
    const flush = () => {
      flushing ??= (async () => {
        while (due.size > 0) {
          const round = [...due];
          due.clear();
          await Promise.all(round.map(([claim, release]) => store(claim, release)));
        }
      })()
        .catch((error: unknown) => {
          storeFailure ??= { error };
        })
        .finally(() => {
          flushing = undefined;
          if (due.size > 0 && !storeFailure) flush();
        });
    };
    let failure: { error: unknown } | undefined;
    let stopped: { error: unknown } | undefined;
    let flushedAt = performance.now();
    const desc = options.desc ?? `Sweep ${typeof fn === 'function' && fn.name ? fn.name : 'points'}`;
    try {
      const outcomes = computePoints(this.#parent, fn, points, this.params, { ...options, desc });
      for await (const outcome of outcomes) {
        if (storeFailure) throw storeFailure.error;
        const { claim, j } = work[outcome.index];
        claim.remaining--;
        let value = outcome.ok ? outcome.value : undefined;
        let error = outcome.ok ? undefined : outcome.error;
        if (outcome.ok) {
          try {
            const bytes = this.#serializer.serialize(value);
            // What a fresh run returns is what a stored one will: the value as stored, read back.
            if (options.numProc === undefined) value = this.#decode(bytes);
            claim.added.set(claim.group.locals[j], bytes);
          } catch (serializationError) {
            error = serializationError;
          }
        }
        if (error === undefined) {
          counter.pointsComputed++;
          emit(claim.group.points[j], value);
        } else {
          claim.failed++;
          counter.pointsFailed++;
          failure ??= { error };
        }
        if (claim.remaining === 0 && claim.failed === 0 && claim.partial) counter.partialChunksCompleted++;
        if (!options.flushOnChunk) continue;
        if (claim.remaining === 0) {
          due.set(claim, true);
          flush();
        } else if (performance.now() - flushedAt >= SWEEP_DEFAULTS.flushIntervalMs) {
          flushedAt = performance.now();
          for (const other of claims)
            if (other.remaining > 0 && other.added.size > 0) due.set(other, due.get(other) ?? false);
          flush();
        }
      }
    } catch (error) {
      stopped = { error };
    } finally {
      counter.computeMs += performance.now() - started;
      while (flushing) await flushing;
      await Promise.all(claims.map((claim) => store(claim, true)));
    }
    if (storeFailure) throw storeFailure.error;
    if (stopped) throw stopped.error;
    return failure;
  }
}
