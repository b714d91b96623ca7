import type { Lease } from '../lease/lease.js';
import type { LeaseOptions } from '../lease/options.js';
import type { MapFunction } from '../parallel/function-ref.js';
import type { Serializer } from '../serializers/serializer.js';
import { computePoints } from './compute.js';
import type { ChunkGroup, Grid, GridSelection } from './grid.js';
import type { SweepParent, SweepStash } from './host.js';
import { SWEEP_DEFAULTS, type ResolvedRunOptions } from './options.js';
import type { SweepStore } from './store.js';
import type { DiagnosticsCounter } from './types.js';

/** What a run needs of its sweep. */
export interface RunScope {
  readonly id: string;
  /** Axis names in the spec's order: the order of each point's fields. */
  readonly names: readonly string[];
  readonly params: unknown;
  readonly parent: SweepParent;
  readonly stash: SweepStash;
  readonly store: SweepStore;
  readonly serializer: Serializer;
}

/** Receives each selected point's value, by its index in the selection. */
export type Emit = (point: number, value: unknown) => void;

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

/**
 * One run of a sweep over some of its chunks: reads what is stored, claims the chunks with missing points by their
 * leases, computes those points (here or on workers), stores them by compare-and-set merges, and emits every value.
 */
export class SweepRunner {
  readonly #scope: RunScope;
  readonly #grid: Grid;
  readonly #selection: GridSelection;
  readonly #fn: MapFunction;
  readonly #options: ResolvedRunOptions;
  readonly #counter: DiagnosticsCounter;
  readonly #emit: Emit;

  constructor(
    scope: RunScope,
    grid: Grid,
    selection: GridSelection,
    fn: MapFunction,
    options: ResolvedRunOptions,
    counter: DiagnosticsCounter,
    emit: Emit,
  ) {
    this.#scope = scope;
    this.#grid = grid;
    this.#selection = selection;
    this.#fn = fn;
    this.#options = options;
    this.#counter = counter;
    this.#emit = emit;
  }

  #decode(bytes: Uint8Array): unknown {
    return this.#scope.serializer.deserialize(bytes, { trustCode: this.#scope.stash.options.trustCode });
  }

  /**
   * Emits every point of `groups`: read where stored, computed where not. Chunks with missing points are claimed by
   * their lease a batch at a time (all at once on workers), without waiting; those another process holds are done
   * last, each once its lease is free, from what that process stored. Throws the first failed point's error once every
   * other point is done and stored.
   */
  async process(groups: readonly ChunkGroup[]): Promise<void> {
    const options = this.#options;
    const todo = await this.#readStored(groups);
    if (todo.length === 0) return;
    const run = (claims: Claim[]) => this.#compute(claims);
    let failure: { error: unknown } | undefined;
    if (this.#scope.stash.options.readonly) {
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
      const found = await this.#underLeases(held, run);
      failure ??= found;
    }
    for (const group of deferred) {
      const lease = await this.#scope.stash.lease(this.#leaseName(group), { ...tryLease, wait: true });
      const found = await this.#underLeases(new Map(lease ? [[group, lease]] : []), run);
      failure ??= found;
    }
    if (failure) throw failure.error;
  }

  /** Tries the leases together; when one attempt throws (an abort), gives back those taken and rethrows. */
  async #tryLeases(names: readonly string[], options: LeaseOptions): Promise<(Lease | null)[]> {
    const settled = await Promise.allSettled(names.map((name) => this.#scope.stash.lease(name, options)));
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
    run: (claims: Claim[]) => Promise<{ error: unknown } | undefined>,
  ): Promise<{ error: unknown } | undefined> {
    if (held.size === 0) return undefined;
    let todo: Todo[];
    try {
      todo = await this.#readStored([...held.keys()]);
    } catch (error) {
      await Promise.all([...held.values()].map((lease) => lease.release()));
      throw error;
    }
    const needed = new Set(todo.map((item) => item.source));
    await Promise.all([...held].filter(([group]) => !needed.has(group)).map(([, lease]) => lease.release()));
    return todo.length === 0 ? undefined : run(todo.map((item) => this.#claim(item, held.get(item.source))));
  }

  /** Reads the groups' chunks and emits their stored points; returns, per chunk, the points still missing. */
  async #readStored(groups: readonly ChunkGroup[]): Promise<Todo[]> {
    const counter = this.#counter;
    const emit = this.#emit;
    const started = performance.now();
    const todo: Todo[] = [];
    await this.#scope.store.readGroups(this.#scope.id, groups, (source, view) => {
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
      key: this.#scope.store.chunkKey(this.#scope.id, item.group.bin),
      partial: item.partial,
      lease,
      remaining: item.group.points.length,
      failed: 0,
      added: new Map(),
      stored: false,
    };
  }

  #leaseName(group: ChunkGroup): string {
    return `${this.#scope.id}-${group.bin.join('.')}`;
  }

  /**
   * Computes the claims' missing points and stores them: a chunk when its last point is in (and, with flushOnChunk,
   * what unfinished chunks have every second), everything at the end otherwise; leases are released once stored.
   * Returns the first failed point's error; throws (after storing what finished) when the run was stopped.
   */
  async #compute(claims: readonly Claim[]): Promise<{ error: unknown } | undefined> {
    const options = this.#options;
    const counter = this.#counter;
    const fn = this.#fn;
    const started = performance.now();
    const writable = !this.#scope.stash.options.readonly;
    const work: { claim: Claim; j: number }[] = [];
    for (const claim of claims) for (let j = 0; j < claim.group.points.length; j++) work.push({ claim, j });
    const points = work.map(({ claim, j }) =>
      this.#grid.point(this.#selection, claim.group.points[j], this.#scope.names),
    );
    const store = async (claim: Claim, release: boolean) => {
      if (writable && claim.added.size > 0) {
        const added = new Map(claim.added);
        claim.added.clear();
        await this.#scope.store.merge(claim.key, added, this.#scope.store.chunkName(this.#scope.id, claim.group.bin));
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
      const outcomes = computePoints(this.#scope.parent, fn, points, this.#scope.params, { ...options, desc });
      for await (const outcome of outcomes) {
        if (storeFailure) throw storeFailure.error;
        const { claim, j } = work[outcome.index];
        claim.remaining--;
        let value = outcome.ok ? outcome.value : undefined;
        let error = outcome.ok ? undefined : outcome.error;
        if (outcome.ok) {
          try {
            const bytes = this.#scope.serializer.serialize(value);
            // What a fresh run returns is what a stored one will: an object as stored, read back (a primitive is
            // the same either way, and copying it would only make garbage).
            if (
              options.numProc === undefined &&
              ((typeof value === 'object' && value !== null) || typeof value === 'function')
            )
              value = this.#decode(bytes);
            claim.added.set(claim.group.locals[j], bytes);
          } catch (serializationError) {
            error = serializationError;
          }
        }
        if (error === undefined) {
          counter.pointsComputed++;
          this.#emit(claim.group.points[j], value);
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
