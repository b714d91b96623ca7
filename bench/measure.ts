import { performance } from 'node:perf_hooks';

/** How many operations ran and how long they took. */
export interface Timing {
  readonly ops: number;
  readonly seconds: number;
}

/** Where timed loops leave their last result, so the optimizer cannot drop the work. */
export let kept: unknown;

/** A batch is grown until it takes this long, so the clock is read rarely even for sub-microsecond operations. */
const BATCH_MS = 1;

/** Runs `op` over and over, in batches, until at least `minMs` have passed. `op` gets the running operation index. */
export function timeLoop(op: (index: number) => unknown, minMs: number): Timing {
  let ops = 0;
  let batch = 1;
  let last: unknown;
  const start = performance.now();
  for (;;) {
    const batchStart = performance.now();
    for (let i = 0; i < batch; i++) last = op(ops + i);
    ops += batch;
    const now = performance.now();
    if (now - start >= minMs) break;
    if (now - batchStart < BATCH_MS) batch *= 2;
  }
  kept = last;
  return { ops, seconds: (performance.now() - start) / 1000 };
}

/** The same as `timeLoop` for an operation that returns a promise: each one is awaited before the next starts. */
export async function timeLoopAsync(op: (index: number) => Promise<unknown>, minMs: number): Promise<Timing> {
  let ops = 0;
  let batch = 1;
  let last: unknown;
  const start = performance.now();
  for (;;) {
    const batchStart = performance.now();
    for (let i = 0; i < batch; i++) last = await op(ops + i);
    ops += batch;
    const now = performance.now();
    if (now - start >= minMs) break;
    if (now - batchStart < BATCH_MS) batch *= 2;
  }
  kept = last;
  return { ops, seconds: (performance.now() - start) / 1000 };
}

/** Times one pass of work that reports how many operations it did. */
export async function timeOnce(work: () => Promise<number> | number): Promise<Timing> {
  const start = performance.now();
  const ops = await work();
  return { ops, seconds: (performance.now() - start) / 1000 };
}

/** Runs a full garbage collection when node was started with --expose-gc. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export function gcExposed(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function';
}

/** The median of several rounds and how far they spread: (max - min) / median. */
export interface Stat {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly spread: number;
  /** One value per round; null where the round did not measure this case. */
  readonly samples: readonly (number | null)[];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Statistics over the rounds that measured something; undefined when none did. */
export function summarize(samples: readonly (number | null)[]): Stat | undefined {
  const values = samples.filter((v): v is number => v !== null && Number.isFinite(v));
  if (values.length === 0) return undefined;
  const mid = median(values);
  const min = Math.min(...values);
  const max = Math.max(...values);
  return { median: mid, min, max, spread: mid === 0 ? 0 : (max - min) / mid, samples };
}

/** Round r visits the cases starting at index r, so no case always runs first (or right after the same neighbour). */
export function rotate<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return [];
  const start = round % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}
