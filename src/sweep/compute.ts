import { setImmediate as nextTurn } from 'node:timers/promises';
import { MapItemError } from '../parallel/errors.js';
import type { MapFunction } from '../parallel/function-ref.js';
import { ProgressDisplay, progressOf } from '../parallel/progress.js';
import { previewKey } from '../keys/preview.js';
import type { SweepParent } from './host.js';

/** Calls in this thread let timers and I/O run this often. */
const TURN_MS = 8;

/** One computed point: its index in the list given, and its value or its error (a MapItemError). */
export type PointOutcome =
  | { readonly index: number; readonly ok: true; readonly value: unknown }
  | { readonly index: number; readonly ok: false; readonly error: unknown };

export interface ComputeOptions {
  readonly numProc: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly progress: boolean;
  readonly desc: string;
}

/**
 * `fn(point, params)` for each point, as each finishes: on worker threads through `stash.map` when `numProc` is set
 * (completion order), else here, one call at a time. A call that throws is an outcome, not an exception; only an
 * abort (the signal's reason) or a map that stopped throws.
 */
export function computePoints(
  parent: SweepParent,
  fn: MapFunction,
  points: readonly object[],
  params: unknown,
  options: ComputeOptions,
): AsyncIterable<PointOutcome> {
  if (options.numProc === undefined)
    return computeHere(fn as (point: object, params: unknown) => unknown, points, params, options);
  return computeOnWorkers(parent, fn, points, params, options);
}

async function* computeOnWorkers(
  parent: SweepParent,
  fn: MapFunction,
  points: readonly object[],
  params: unknown,
  options: ComputeOptions,
): AsyncIterable<PointOutcome> {
  const { numProc, signal, progress, desc } = options;
  const results = parent.map(fn, points, {
    numProc,
    signal,
    progress,
    desc,
    args: [params],
    stashRuns: false,
    ordered: false,
  });
  for await (const settled of results.settled()) {
    yield settled.status === 'fulfilled'
      ? { index: settled.index, ok: true, value: settled.value }
      : { index: settled.index, ok: false, error: settled.reason };
  }
}

async function* computeHere(
  fn: (point: object, params: unknown) => unknown,
  points: readonly object[],
  params: unknown,
  options: ComputeOptions,
): AsyncIterable<PointOutcome> {
  const { signal } = options;
  const display = options.progress ? new ProgressDisplay(options.desc, points.length) : undefined;
  const started = performance.now();
  let turnAt = started;
  let done = 0;
  let failed = 0;
  try {
    for (let index = 0; index < points.length; index++) {
      // Timers and I/O get their turn between calls (lease renewals, chunks stored in the background).
      if (performance.now() - turnAt >= TURN_MS) {
        await nextTurn();
        turnAt = performance.now();
      }
      signal?.throwIfAborted();
      const point = points[index];
      let outcome: PointOutcome;
      try {
        outcome = { index, ok: true, value: await fn(point, params) };
        done++;
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const name = (error as Error)?.name ?? 'an error';
        const message = (error as Error)?.message ?? String(error);
        outcome = {
          index,
          ok: false,
          error: new MapItemError(
            `${fn.name || 'the sweep function'}(${previewKey(point)}) threw ${name}: ${message}`,
            index,
            [point, params],
            { cause: error },
          ),
        };
        failed++;
      }
      display?.update(progressOf(points.length, done, 0, failed, performance.now() - started));
      yield outcome;
    }
  } finally {
    display?.stop(progressOf(points.length, done, 0, failed, performance.now() - started));
  }
}
