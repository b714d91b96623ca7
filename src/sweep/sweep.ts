import { ConfigError } from '../errors.js';
import { encodeKey } from '../keys/encode.js';
import { hashKey } from '../keys/hash.js';
import { functionSpec, type MapFunction, type ModuleFunction } from '../parallel/function-ref.js';
import { getSerializer } from '../serializers/index.js';
import type { Serializer } from '../serializers/serializer.js';
import { Grid, StoredAxis } from './grid.js';
import { SWEEP_STASH, type SweepParent, type SweepStash } from './host.js';
import {
  checkAxisValues,
  checkChunkLengths,
  resolveRunOptions,
  resolveSweepSpec,
  SWEEP_DEFAULTS,
  type ResolvedSweepSpec,
  type SweepAxes,
  type SweepPoint,
  type SweepRunOptions,
  type SweepSelect,
  type SweepSpec,
} from './options.js';
import { SweepStore, type SweepManifest } from './store.js';
import { SweepRunner, type RunScope } from './runner.js';
import { DiagnosticsCounter, type SweepResult, type SweepRun, type SweepStatus } from './types.js';

/** The function a sweep evaluates: one point and the sweep's params; or a `{ module, export }` reference. */
export type SweepFunction<A extends SweepAxes, P, R> =
  ((point: SweepPoint<A>, params: P) => R | Promise<R>) | ModuleFunction;

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
    await new SweepRunner(this.#scope(), grid, selection, fn as MapFunction, resolved, counter, (point, value) => {
      values[point] = value;
    }).process(groups);
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
      await new SweepRunner(this.#scope(), grid, selection, fn as MapFunction, resolved, counter, (point, value) => {
        values.set(point, value);
      }).process(window);
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
    await this.#store.readGroups(this.id, groups, (group, view) => {
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

  #scope(): RunScope {
    const { id, params } = this;
    const stash = this.#stash;
    return {
      id,
      params,
      names: this.#spec.names,
      parent: this.#parent,
      stash,
      store: this.#store,
      serializer: this.#serializer,
    };
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
}
