import { isDeepStrictEqual } from 'node:util';
import { performance } from 'node:perf_hooks';
import { collectGarbage, rotate, timeLoop, timeLoopAsync, timeOnce, type Timing } from './measure.js';
import type { BenchStore, OpenStore, Pairs, StoreOp } from './stores/store.js';
import type { Workload } from './workloads.js';

/**
 * What a store case times, shared by the stash, profiles and peers suites: the fill, then one timed loop per read and
 * write the store offers. A case runs its loops one after another (`runLoops`); the stores of one server run theirs
 * interleaved in short slices (`runInterleaved`), so each ratio between them compares clients under the same
 * conditions (see that function).
 */

/** Reads started together in `get-concurrent` (a pipeline of this many GETs for raw ioredis); counted per key. */
const CONCURRENT_READS = 1000;
/** Keys per `getMany` call; `get-many` counts keys read, not calls. */
const GET_MANY_KEYS = 100;
/** Writes started together in `set-concurrent`: 1,000 small values, or 100 × 100 KB (10 MB in flight). */
const CONCURRENT_WRITES = { small: 1000, large: 100 } as const;

/** One timed loop: call `i` is `run(i)`, counted as `opsPerCall` operations. */
export interface StoreLoop {
  readonly op: StoreOp;
  readonly run: (i: number) => unknown;
  /** A synchronous loop never awaits (timeLoop); the others await each call (timeLoopAsync). */
  readonly sync: boolean;
  readonly opsPerCall: number;
  readonly minMs: number;
  /** Its calls write new entries, which stay in the store. */
  readonly writes: boolean;
}

/** What one loop (or the fill) measured, and how many entries it wrote. */
export interface LoopResult {
  readonly timing: Timing;
  readonly writes?: number;
}
export type Measured = Map<StoreOp, LoopResult>;

export interface LoopSettings {
  readonly workload: Workload<unknown>;
  /** Entries the fill wrote (keys 0 to entries - 1); reads go over these in the workload's shuffled order. */
  readonly entries: number;
  readonly minMs: number;
  /** Single-write loops (to new keys) run this many times `minMs`: each fsync-bound commit varies a lot. */
  readonly writeFactor: number;
  /** The ops to build; unset: every one the store offers. */
  readonly ops?: ReadonlySet<StoreOp>;
  /** Called before every call of a get, set or fill loop, and per entry iterated (the profiles suite samples RSS). */
  readonly onCall?: (i: number) => void;
}

const hooked = (run: (i: number) => unknown, onCall: ((i: number) => void) | undefined) =>
  onCall
    ? (i: number) => {
        onCall(i);
        return run(i);
      }
    : run;

/**
 * Writes the first `count` entries in key order: all in one `setMany` for a store filled in bulk, else one by one,
 * awaited or synchronous, until all are written or `fillMs` has passed. The timing's ops are the entries written.
 */
export async function fill(
  store: BenchStore,
  opened: OpenStore,
  workload: Workload<unknown>,
  { count, fillMs = Infinity, onCall }: { count: number; fillMs?: number; onCall?: (i: number) => void },
): Promise<{ op: StoreOp; result: LoopResult }> {
  const { keys, values } = workload;
  collectGarbage();
  const counted = (timing: Timing) => ({ timing, writes: timing.ops });
  if (store.fill === 'bulk' && opened.setMany) {
    const setMany = opened.setMany;
    const pairs: Pairs = keys.slice(0, count).map((key, i) => [key, values[i]]);
    return {
      op: 'set-many',
      result: counted(
        await timeOnce(async () => {
          await setMany(pairs);
          return count;
        }),
      ),
    };
  }
  const start = performance.now();
  const within = (i: number) => i < count && (i === 0 || performance.now() - start < fillMs);
  if (opened.set) {
    const set = opened.set;
    return {
      op: 'set',
      result: counted(
        await timeOnce(async () => {
          let i = 0;
          for (; within(i); i++) {
            onCall?.(i);
            await set(keys[i], values[i]);
          }
          return i;
        }),
      ),
    };
  }
  const setSync = opened.setSync;
  if (!setSync) throw new Error('the store offers no way to write');
  return {
    op: 'set-sync',
    result: counted(
      await timeOnce(() => {
        let i = 0;
        for (; within(i); i++) {
          onCall?.(i);
          setSync(keys[i], values[i]);
        }
        return i;
      }),
    ),
  };
}

/**
 * The read loops: awaited, synchronous, many started together, many in one call, whole iteration. Each read path is
 * checked once against the workload first, so a store that gives back wrong data fails instead of being timed.
 */
export async function readLoops(opened: OpenStore, settings: LoopSettings): Promise<StoreLoop[]> {
  const { workload, entries, minMs, ops, onCall } = settings;
  const { keys, values } = workload;
  const wanted = (op: StoreOp) => !ops || ops.has(op);
  const order = entries === keys.length ? workload.readOrder : workload.readOrder.filter((index) => index < entries);
  const probe = order[0];
  const readBack = opened.getSync ? opened.getSync(keys[probe]) : await opened.get?.(keys[probe]);
  if (!isDeepStrictEqual(readBack, values[probe]))
    throw new Error(`reading ${keys[probe]} gave back a different value`);
  const keyAt = (i: number) => keys[order[i % order.length]];
  const batchesOf = (size: number) =>
    Array.from({ length: Math.floor(order.length / size) }, (_, b) =>
      Array.from({ length: size }, (_, i) => keyAt(b * size + i)),
    );
  const loop = (op: StoreOp, run: (i: number) => unknown, opsPerCall = 1): StoreLoop => ({
    op,
    run,
    sync: op === 'get-sync',
    opsPerCall,
    minMs,
    writes: false,
  });

  const loops: StoreLoop[] = [];
  if (wanted('get') && opened.get) {
    const get = opened.get;
    loops.push(
      loop(
        'get',
        hooked((i) => get(keyAt(i)), onCall),
      ),
    );
  }
  if (wanted('get-sync') && opened.getSync) {
    const getSync = opened.getSync;
    loops.push(
      loop(
        'get-sync',
        hooked((i) => getSync(keyAt(i)), onCall),
      ),
    );
  }
  if (wanted('get-concurrent') && opened.getConcurrent) {
    const getConcurrent = opened.getConcurrent;
    const batches = batchesOf(Math.min(CONCURRENT_READS, order.length));
    const first = await getConcurrent(batches[0]);
    if (!isDeepStrictEqual(first[0], values[probe]))
      throw new Error(`concurrent get of ${keys[probe]} gave back a different value`);
    loops.push(loop('get-concurrent', (i) => getConcurrent(batches[i % batches.length]), batches[0].length));
  }
  if (wanted('get-many') && opened.getMany) {
    const getMany = opened.getMany;
    const batches = batchesOf(Math.min(GET_MANY_KEYS, order.length));
    const first = await getMany(batches[0]);
    if (!isDeepStrictEqual(first[0], values[probe]))
      throw new Error(`getMany of ${keys[probe]} gave back a different value`);
    loops.push(loop('get-many', (i) => getMany(batches[i % batches.length]), batches[0].length));
  }
  if (wanted('iterate') && opened.iterate) {
    const iterate = opened.iterate;
    let seen = 0;
    const visit = onCall ? () => onCall(seen++) : () => {};
    loops.push(
      loop(
        'iterate',
        async () => {
          const count = await iterate(visit);
          if (count !== entries) throw new Error(`iteration gave ${count} entries, ${entries} were written`);
        },
        entries,
      ),
    );
  }
  return loops;
}

/**
 * Single writes of new keys (`set-<i>`, …) with the workload's values: awaited, synchronous, and many started
 * together. Each runs `writeFactor` times `minMs`, so a store that flushes every commit writes a few hundred, a fast one thousands.
 */
export function writeLoops(opened: OpenStore, settings: LoopSettings): StoreLoop[] {
  const { workload, minMs, writeFactor, ops, onCall } = settings;
  const { values } = workload;
  const wanted = (op: StoreOp) => !ops || ops.has(op);
  const valueAt = (i: number) => values[i % values.length];
  const loop = (op: StoreOp, run: (i: number) => unknown, opsPerCall = 1): StoreLoop => ({
    op,
    run,
    sync: op === 'set-sync',
    opsPerCall,
    minMs: minMs * writeFactor,
    writes: true,
  });

  const loops: StoreLoop[] = [];
  if (wanted('set') && opened.set) {
    const set = opened.set;
    loops.push(
      loop(
        'set',
        hooked((i) => set(`set-${i}`, valueAt(i)), onCall),
      ),
    );
  }
  if (wanted('set-sync') && opened.setSync) {
    const setSync = opened.setSync;
    loops.push(
      loop(
        'set-sync',
        hooked((i) => setSync(`set-sync-${i}`, valueAt(i)), onCall),
      ),
    );
  }
  if (wanted('set-concurrent') && opened.setConcurrent) {
    const setConcurrent = opened.setConcurrent;
    const together = CONCURRENT_WRITES[workload.name];
    const batch = (call: number): Pairs =>
      Array.from({ length: together }, (_, j) => {
        const i = call * together + j;
        return [`concurrent-${i}`, valueAt(i)] as const;
      });
    // The timed loop is twice minMs at most (writeFactor applies to the single writes).
    loops.push({ ...loop('set-concurrent', (call) => setConcurrent(batch(call)), together), minMs });
  }
  return loops;
}

/** Calls `from`, `from + 1`, … of a loop, as many as fit in `minMs`. */
async function timeSlice(loop: StoreLoop, from: number, minMs: number): Promise<Timing> {
  const run = from === 0 ? loop.run : (i: number) => loop.run(from + i);
  return loop.sync ? timeLoop(run, minMs) : timeLoopAsync(run as (i: number) => Promise<unknown>, minMs);
}

const resultOf = (loop: StoreLoop, calls: number, seconds: number): LoopResult => {
  const ops = calls * loop.opsPerCall;
  return { timing: { ops, seconds }, ...(loop.writes ? { writes: ops } : {}) };
};

/** Runs a case's loops one after another, after a full GC each; what ran before a failure is in `measured`. */
export async function runLoops(loops: readonly StoreLoop[], measured: Measured): Promise<void> {
  for (const loop of loops) {
    collectGarbage();
    const timing = await timeSlice(loop, 0, loop.minMs);
    measured.set(loop.op, resultOf(loop, timing.ops, timing.seconds));
  }
}

/** One store's loops in an interleaved run. */
export interface InterleavedCase {
  readonly name: string;
  readonly loops: readonly StoreLoop[];
  readonly measured: Measured;
}

/**
 * Runs the loops of several stores op by op, each op in `slices` short slices that take turns between the stores
 * (the first to go rotates), so every store gets the same share of every stretch of time.
 *
 * Why: round trips on this VM drift by 2x within seconds (what else the host runs, the frequency of a core, a
 * collection in the server), so stores timed one after another, a second each, compared each other's luck as much
 * as each other. Sliced, a slow stretch slows all of them alike. A store that fails is reported through
 * `failed` and leaves the run; what it measured before stays in its `measured`.
 */
export async function runInterleaved(
  cases: readonly InterleavedCase[],
  slices: number,
  failed: (name: string, error: unknown) => void,
): Promise<void> {
  const live = new Set(cases);
  const ops = [...new Set(cases.flatMap((c) => c.loops.map((loop) => loop.op)))];
  for (const op of ops) {
    const runs = cases.flatMap((c) =>
      c.loops.filter((loop) => loop.op === op).map((loop) => ({ c, loop, calls: 0, seconds: 0 })),
    );
    collectGarbage();
    // One untimed slice each first: the first calls after a collection (and the first of an op) are the slowest, and
    // would otherwise always fall to whichever store goes first. A call of many operations (1,000 writes) carries its
    // own start-up, and on a slow server one such call can take seconds: those are not warmed up.
    for (const run of runs) {
      if (!live.has(run.c) || run.loop.opsPerCall > 1) continue;
      try {
        run.calls += (await timeSlice(run.loop, 0, run.loop.minMs / slices)).ops;
      } catch (error) {
        live.delete(run.c);
        failed(run.c.name, error);
      }
    }
    for (let slice = 0; slice < slices; slice++) {
      for (const run of rotate(runs, slice)) {
        // Done: a loop whose one call outlasts a slice (a pipeline of 1,000 writes) is not made to run `slices` of them.
        if (!live.has(run.c) || run.seconds * 1000 >= run.loop.minMs) continue;
        try {
          const timing = await timeSlice(run.loop, run.calls, run.loop.minMs / slices);
          run.calls += timing.ops;
          run.seconds += timing.seconds;
        } catch (error) {
          live.delete(run.c);
          failed(run.c.name, error);
        }
      }
    }
    for (const run of runs) if (live.has(run.c)) run.c.measured.set(op, resultOf(run.loop, run.calls, run.seconds));
  }
}
