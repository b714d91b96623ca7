import { fileURLToPath } from 'node:url';
import type { Timing } from '../measure.js';
import { collectGarbage, timeOnce } from '../measure.js';
import { ensurePythonPeer } from '../python/setup.js';
import { runJsonProcess } from '../json-process.js';
import type { Recorder } from '../recorder.js';
import type { BenchConfig, FigureSpec, Subject, Suite } from '../suite.js';
import { makeTempRoot, removeTempRoots } from '../temp-roots.js';

/**
 * Sweeps (issue 20): `stash.sweep` on lmdb, each round in fresh temp roots, against its seed chunk-memo 0.1.5
 * (bench/python/chunk_memo_peer.py, in the bench's venv, its serial runner through `@ChunkMemo(...).cache()`).
 * - `grid-40x50`: axes a (40 values) × b (50 values), chunks of { a: 1, b: 10 } (200 chunks of 10 points) for both
 *   libraries, a function that busy-waits WORK_MS per point and returns `{ a, b, v: a * b }`; `cold` (an empty
 *   cache), `cached` (the same grid rerun, every chunk stored) and `half` (the first half of axis a run untimed
 *   first, then the whole grid: half the chunks read, half computed), each timed from a new Sweep (a new ChunkMemo);
 *   `cached` is CACHED_RERUNS reruns timed together on both sides (one takes a few ms: too short to time alone).
 *   ops = points, so ours / chunk-memo's is chunk-memo's time over ours.
 * - `chunk-read`: one chunk of 1,000 points of ~200 bytes each (a: 1 value × b: 1,000, chunk { b: 1000 }), stored by
 *   an untimed run; then READS times each `sweep.run(fn, { select })` of one point and of the whole chunk on one open
 *   sweep (which keeps no chunk in RAM: each run reads the chunk from lmdb). ops = runs, so the figure whole / one is
 *   the one-point time's inverse share: ≥ 20 when a point costs at most 5 % of its chunk. For information: the same
 *   reads each from a stash and sweep opened anew (opening reads the manifest: 1,000 axis values here).
 * - `cpu-20ms`: 2 × 40 = 80 points of a self-contained function doing about 20 ms of integer hashing (iterations
 *   calibrated on the main thread, passed in the sweep's params), `numProc` 1 and 2 on a fresh stash each.
 * - once, in round 1: the RSS growth over `for await` of `sweep.stream` across RSS_GRID points (cold: computed and
 *   stored; then again, all read) of ~1 KB strings, chunks of 1,000 points, against 2 chunks of outputs + 30 MiB.
 */
const WORK_MS = 1;
/** Cached reruns timed together on each side. */
const CACHED_RERUNS = 10;
const GRID = { a: 40, b: 50 } as const;
const GRID_CHUNK = { a: 1, b: 10 } as const;
const PARAMS = { model: 'small' } as const;
const READ_POINTS = 1_000;
const READ_VALUE_BYTES = 200;
const READS = 100;
const QUICK_READS = 20;
const CPU_GRID = { a: 2, b: 40 } as const;
const CPU_MS = 20;
const RSS_GRID = { a: 100, b: 1_000 } as const;
const QUICK_RSS_GRID = { a: 20, b: 1_000 } as const;
const RSS_VALUE_BYTES = 1_024;
const RSS_SLACK_MIB = 30;
const RSS_SCRIPT = fileURLToPath(new URL('./sweep-rss.js', import.meta.url));
const PEER_SCRIPT = fileURLToPath(new URL('../../../bench/python/chunk_memo_peer.py', import.meta.url));

const OURS = 'sweep';
const PEER = 'chunk-memo';
const SUBJECTS: readonly Subject[] = [
  { name: OURS, yardstick: false },
  { name: PEER, yardstick: true, peers: [OURS] },
];

const GRID_GROUP = `grid-${GRID.a}x${GRID.b}`;
const id = (group: string, subject: string, op: string) => `${group}/${subject}/${op}`;
const FIGURES: readonly FigureSpec[] = [
  {
    name: `sweep: fully cached rerun of a ${GRID.a} × ${GRID.b} grid (chunks of 10), stash.sweep (lmdb) / chunk-memo serial run (time ratio)`,
    numerator: [id(GRID_GROUP, OURS, 'cached')],
    denominator: [id(GRID_GROUP, PEER, 'cached')],
    target: 3,
  },
  {
    name: `sweep: half-cached run of a ${GRID.a} × ${GRID.b} grid (~${WORK_MS} ms a point), stash.sweep (lmdb) / chunk-memo serial run (time ratio)`,
    numerator: [id(GRID_GROUP, OURS, 'half')],
    denominator: [id(GRID_GROUP, PEER, 'half')],
    target: 1.5,
  },
  {
    name: `sweep: cold run of a ${GRID.a} × ${GRID.b} grid (~${WORK_MS} ms a point), stash.sweep (lmdb) / chunk-memo serial run (time ratio, for information)`,
    numerator: [id(GRID_GROUP, OURS, 'cold')],
    denominator: [id(GRID_GROUP, PEER, 'cold')],
  },
  {
    name: `sweep: reading 1 point of a stored ${READ_POINTS.toLocaleString('en-US')}-point chunk, whole-chunk time / one-point time (≥ 20: one point ≤ 5 % of the chunk)`,
    numerator: [id('chunk-read', OURS, 'one-point')],
    denominator: [id('chunk-read', OURS, 'whole-chunk')],
    target: 20,
  },
  {
    name: `sweep: the same reads, their diagnostics.readMs only (the chunk read and decoded, without opening the sweep or building the output), whole / one (for information)`,
    numerator: [id('chunk-read', OURS, 'one-point-readMs')],
    denominator: [id('chunk-read', OURS, 'whole-chunk-readMs')],
  },
  {
    name: `sweep: the same reads, each from a stash and sweep opened anew (opening reads the sweep's manifest), whole / one (for information)`,
    numerator: [id('chunk-read', OURS, 'one-point-fresh')],
    denominator: [id('chunk-read', OURS, 'whole-chunk-fresh')],
  },
  {
    name: `sweep.run of CPU-bound points (~${CPU_MS} ms each), numProc 2 / numProc 1: ≥ 1.7×`,
    numerator: [id(`cpu-${CPU_MS}ms`, OURS, '2-workers')],
    denominator: [id(`cpu-${CPU_MS}ms`, OURS, '1-worker')],
    target: 1.7,
  },
  {
    name: `sweep: RSS over for await of sweep.stream, ${(RSS_GRID.a * RSS_GRID.b).toLocaleString('en-US')} points of ~1 KB (quick: ${(QUICK_RSS_GRID.a * QUICK_RSS_GRID.b).toLocaleString('en-US')}), (2 chunks of outputs + ${RSS_SLACK_MIB} MiB) / growth`,
    numerator: [id('stream', OURS, 'rss-budget-mib')],
    denominator: [id('stream', OURS, 'rss-growth-mib')],
    target: 1,
  },
];

type Point = { a: number; b: number };

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** The grid function: about WORK_MS of busy work, the point and a product (what the Python side returns too). */
const gridPoint = (point: Point) => {
  busy(WORK_MS);
  return { a: point.a, b: point.b, v: point.a * point.b };
};

/** A fixed amount of integer hashing; self-contained, so stash.map ships it by its source. */
const spinPoint = (point: Point, params: { iterations: number }) => {
  let h = (point.a * 1_000 + point.b) | 0;
  for (let i = 0; i < params.iterations; i++) h = Math.imul(h ^ i, 2654435761) >>> 0;
  return h;
};

/** Iterations of `spinPoint` that take about CPU_MS on one core of this machine. */
function calibrate(): number {
  let iterations = 100_000;
  for (;;) {
    const start = performance.now();
    spinPoint({ a: 0, b: 0 }, { iterations });
    const ms = performance.now() - start;
    if (ms >= 50) return Math.round((iterations * CPU_MS) / ms);
    iterations *= 4;
  }
}

/** A value of about `bytes` characters for a point (the same for a point in every round). */
const filler = (point: Point, bytes: number) => `${point.a}:${point.b}:`.padEnd(bytes, 'x');

async function openStash(root: string) {
  const { HashStash } = await import('../../src/index.js');
  return new HashStash({ root, engine: 'lmdb' });
}
type Stash = Awaited<ReturnType<typeof openStash>>;

const gridSpec = () => ({
  params: PARAMS,
  axes: { a: range(GRID.a), b: range(GRID.b) },
  chunk: GRID_CHUNK,
});

interface Diagnostics {
  readonly chunksRead: number;
  readonly chunksComputed: number;
  readonly pointsRead: number;
  readonly pointsComputed: number;
}

/**
 * Once before the rounds, untimed: the grid with a function that does no work, run half-cached, cached and cold, so
 * round 1's single-shot timings do not pay for compiling the read, write and lease paths (the first cached run of a
 * process took 3x the next ones, and a grid of 80 points was too few calls to get them optimized).
 */
async function warmUp(roots: string[]): Promise<void> {
  const root = makeTempRoot();
  roots.push(root);
  const stash = await openStash(root);
  try {
    const spec = { ...gridSpec(), params: { warmUp: true } };
    const fn = (point: Point) => ({ a: point.a, b: point.b, v: point.a * point.b });
    for (const select of [{ a: range(GRID.a / 2) }, undefined, undefined, undefined]) {
      const sweep = stash.sweep(spec);
      await sweep.run(fn, { select, progress: false });
      await sweep.close();
    }
  } finally {
    await stash.close();
  }
}

/** One timed run of the whole grid from a new Sweep; checks what it returned. */
async function timedGridRun(stash: Stash, gc = true): Promise<{ timing: Timing; diagnostics: Diagnostics }> {
  const points = GRID.a * GRID.b;
  if (gc) collectGarbage();
  const start = performance.now();
  const sweep = stash.sweep(gridSpec());
  const { output, diagnostics } = await sweep.run(gridPoint, { progress: false });
  const seconds = (performance.now() - start) / 1000;
  await sweep.close();
  if (output.length !== points || output.some(({ point, value }) => value.v !== point.a * point.b))
    throw new Error(`stash.sweep returned ${output.length} points for ${points}`);
  return { timing: { ops: points, seconds }, diagnostics };
}

const gridNote = (diagnostics: Diagnostics) =>
  `${diagnostics.chunksRead} chunks read, ${diagnostics.chunksComputed} computed, ${diagnostics.pointsComputed} points computed`;

/** Our side of the grid cases, in fresh roots: cold then cached in one, half in another. */
async function oursGrid(round: number, recorder: Recorder, roots: string[]): Promise<void> {
  const sample = (op: string, timing: Timing, diagnostics: Diagnostics) => {
    const key = { group: GRID_GROUP, subject: OURS, op };
    recorder.sample(key, round, timing);
    if (round === 0) recorder.note(key, 'diagnostics', gridNote(diagnostics));
  };
  const root = makeTempRoot();
  roots.push(root);
  let stash = await openStash(root);
  try {
    const cold = await timedGridRun(stash);
    sample('cold', cold.timing, cold.diagnostics);
    // Several reruns, each from a new Sweep, timed together (as the peer does): one is too short to time alone.
    const total = { ops: 0, seconds: 0 };
    let cached = cold;
    // One gc() before the reruns, as between cases: a run of a few ms right after a full collection is several times
    // slower than the same run in use (fresh heap pages, cold caches), and the peer collects nothing.
    collectGarbage();
    for (let i = 0; i < CACHED_RERUNS; i++) {
      cached = await timedGridRun(stash, false);
      if (cached.diagnostics.pointsComputed !== 0)
        throw new Error(`a cached rerun computed ${cached.diagnostics.pointsComputed} points`);
      total.ops += cached.timing.ops;
      total.seconds += cached.timing.seconds;
    }
    sample('cached', total, cached.diagnostics);
  } finally {
    await stash.close();
  }
  const halfRoot = makeTempRoot();
  roots.push(halfRoot);
  stash = await openStash(halfRoot);
  try {
    const first = stash.sweep(gridSpec());
    await first.run(gridPoint, { select: { a: range(GRID.a / 2) }, progress: false });
    await first.close();
    const half = await timedGridRun(stash);
    sample('half', half.timing, half.diagnostics);
  } finally {
    await stash.close();
  }
}

interface PeerScenario {
  readonly timing: Timing;
  readonly diagnostics: Record<string, number>;
}
interface PeerResult {
  readonly cold: PeerScenario;
  readonly cached: PeerScenario;
  readonly half: PeerScenario;
}

function runPeer(python: string, spec: object): Promise<PeerResult> {
  return runJsonProcess<PeerResult>(python, [PEER_SCRIPT], spec);
}

/** chunk-memo's side of the grid cases, in a fresh root: one Python process a round. */
async function peerGrid(python: string, round: number, recorder: Recorder, roots: string[]): Promise<void> {
  const root = makeTempRoot();
  roots.push(root);
  const result = await runPeer(python, {
    root,
    axes: GRID,
    chunk: GRID_CHUNK,
    params: PARAMS,
    workMs: WORK_MS,
    cached_reruns: CACHED_RERUNS,
    scenarios: ['cold', 'cached', 'half'],
  });
  for (const op of ['cold', 'cached', 'half'] as const) {
    const key = { group: GRID_GROUP, subject: PEER, op, yardstick: true };
    recorder.sample(key, round, result[op].timing);
    const d = result[op].diagnostics;
    if (round === 0)
      recorder.note(key, 'diagnostics', `${d.cached_chunks} chunks read, ${d.executed_chunks} executed (chunk-memo)`);
  }
}

/**
 * Reading one point of a stored chunk against reading the whole chunk, on one open sweep (it keeps no chunk in RAM:
 * every run reads the chunk from the engine), and, for information, each from a stash and sweep opened anew.
 */
async function chunkReads(reads: number, round: number, recorder: Recorder, roots: string[]): Promise<void> {
  const root = makeTempRoot();
  roots.push(root);
  const spec = { params: { read: 'chunk' }, axes: { a: [0], b: range(READ_POINTS) }, chunk: { b: READ_POINTS } };
  const value = (point: Point) => filler(point, READ_VALUE_BYTES);
  const one = { b: [READ_POINTS / 2] };
  const all = { b: range(READ_POINTS) };
  const check = (select: { b: number[] }, output: unknown[], diagnostics: Diagnostics) => {
    if (output.length !== select.b.length || diagnostics.pointsComputed !== 0)
      throw new Error(`a read of ${select.b.length} stored points returned ${output.length}`);
  };
  const totals = { one: { ms: 0, readMs: 0, freshMs: 0 }, all: { ms: 0, readMs: 0, freshMs: 0 } };
  const stash = await openStash(root);
  try {
    const sweep = stash.sweep(spec);
    await sweep.run(value, { progress: false });
    const readOnce = async (which: 'one' | 'all') => {
      const select = which === 'one' ? one : all;
      const start = performance.now();
      const { output, diagnostics } = await sweep.run(value, { select, progress: false });
      const ms = performance.now() - start;
      check(select, output, diagnostics);
      totals[which].ms += ms;
      totals[which].readMs += diagnostics.readMs;
    };
    await readOnce('one');
    await readOnce('all');
    totals.one = { ms: 0, readMs: 0, freshMs: 0 };
    totals.all = { ms: 0, readMs: 0, freshMs: 0 };
    // gc() once before the timed reads, as between cases (bench/README.md), not before each: a read of a few tens of
    // µs right after a full collection runs several times slower (fresh heap pages, cold caches) than it ever does
    // in use.
    collectGarbage();
    // Alternate, so a slow stretch of the machine slows both.
    for (let i = 0; i < reads; i++)
      for (const which of i % 2 === round % 2 ? (['one', 'all'] as const) : (['all', 'one'] as const))
        await readOnce(which);
    await sweep.close();
  } finally {
    await stash.close();
  }
  for (let i = 0; i < reads; i++) {
    for (const which of ['one', 'all'] as const) {
      const select = which === 'one' ? one : all;
      const fresh = await openStash(root);
      try {
        collectGarbage();
        const start = performance.now();
        const sweep = fresh.sweep(spec);
        const { output, diagnostics } = await sweep.run(value, { select, progress: false });
        totals[which].freshMs += performance.now() - start;
        check(select, output, diagnostics);
        await sweep.close();
      } finally {
        await fresh.close();
      }
    }
  }
  const sample = (op: string, ms: number) =>
    recorder.sample({ group: 'chunk-read', subject: OURS, op }, round, { ops: reads, seconds: ms / 1000 });
  sample('one-point', totals.one.ms);
  sample('whole-chunk', totals.all.ms);
  sample('one-point-readMs', totals.one.readMs);
  sample('whole-chunk-readMs', totals.all.readMs);
  sample('one-point-fresh', totals.one.freshMs);
  sample('whole-chunk-fresh', totals.all.freshMs);
}

/** The CPU-bound grid on `numProc` worker threads, in a fresh root. */
async function cpuRun(numProc: number, iterations: number, roots: string[]): Promise<Timing> {
  const root = makeTempRoot();
  roots.push(root);
  const stash = await openStash(root);
  const points = CPU_GRID.a * CPU_GRID.b;
  try {
    const sweep = stash.sweep({
      params: { iterations },
      axes: { a: range(CPU_GRID.a), b: range(CPU_GRID.b) },
      chunk: { a: 1, b: 10 },
    });
    collectGarbage();
    const timing = await timeOnce(async () => {
      const { output } = await sweep.run(spinPoint, { numProc, progress: false });
      if (output.length !== points) throw new Error(`${output.length} results for ${points} points`);
      return points;
    });
    await sweep.close();
    return timing;
  } finally {
    await stash.close();
  }
}

/**
 * The RSS growth over `for await` of sweep.stream across the grid, computed and stored (the figure), then streamed
 * again from the store (notes only: reading goes through lmdb's memory map, whose pages count in the RSS as mapped
 * file pages, the OS's page cache, so the notes give the anonymous part too). Measured in a process of its own
 * (bench/suites/sweep-rss.ts), after a one-chunk warm-up there: in this process the other cases have grown the heap
 * already, and the growth over that would say nothing.
 */
async function streamRss(
  grid: { a: number; b: number },
  recorder: Recorder,
  roots: string[],
  log: (line: string) => void,
): Promise<void> {
  const root = makeTempRoot();
  roots.push(root);
  const job = { root, a: grid.a, b: grid.b, valueBytes: RSS_VALUE_BYTES };
  const growth = await runJsonProcess<Record<string, number>>(process.execPath, [
    '--expose-gc',
    RSS_SCRIPT,
    JSON.stringify(job),
  ]);
  const key = { group: 'stream', subject: OURS, op: 'rss-growth-mib' };
  for (const pass of ['cold', 'cached'] as const) {
    recorder.note(key, `${pass} MiB`, +growth[pass].toFixed(1));
    if (growth[`${pass}Anon`] !== undefined) recorder.note(key, `${pass} anon MiB`, +growth[`${pass}Anon`].toFixed(1));
    recorder.note(key, `${pass} last 4/5 MiB`, +growth[`${pass}Tail`].toFixed(1));
  }
  const chunkMiB = (grid.b * RSS_VALUE_BYTES) / 2 ** 20;
  const budget = 2 * chunkMiB + RSS_SLACK_MIB;
  recorder.sample(key, 0, { ops: Math.max(growth.cold, 0.1), seconds: 1 });
  recorder.sample({ group: 'stream', subject: OURS, op: 'rss-budget-mib' }, 0, { ops: budget, seconds: 1 });
  recorder.note(key, 'points', growth.points);
  log(
    `  sweep: RSS grew ${growth.cold.toFixed(1)} MiB over ${growth.points} points streamed cold (budget ${budget.toFixed(1)} MiB), ${growth.cached.toFixed(1)} MiB streamed again from the store`,
  );
}

export const sweepSuite: Suite = {
  name: 'sweep',
  title: 'Sweeps: stash.sweep (lmdb) beside chunk-memo 0.1.5 on a chunked parameter grid',
  subjects: SUBJECTS,
  figures: FIGURES,

  async run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>) {
    let python: string | undefined;
    if (selected.has(PEER)) {
      const peer = ensurePythonPeer(config.log);
      if ('missing' in peer) recorder.missing(PEER, peer.missing);
      else {
        python = peer.python;
        config.log(`  chunk-memo peer: ${peer.versions}`);
      }
    }
    const ours = selected.has(OURS);
    const iterations = ours ? calibrate() : 0;
    if (ours)
      recorder.note({ group: `cpu-${CPU_MS}ms`, subject: OURS, op: '1-worker' }, 'iterations/point', iterations);
    const roots: string[] = [];
    try {
      if (ours) await warmUp(roots);
      for (let round = 0; round < config.rounds; round++) {
        const cases: (() => Promise<void>)[] = [];
        if (ours) cases.push(() => oursGrid(round, recorder, roots));
        if (python) {
          const interpreter = python;
          cases.push(async () => {
            try {
              await peerGrid(interpreter, round, recorder, roots);
            } catch (error) {
              recorder.missing(PEER, (error as Error).message);
              python = undefined;
            }
          });
        }
        // The grid's two sides take turns going first.
        if (round % 2 === 1) cases.reverse();
        for (const measure of cases) await measure();
        if (ours) {
          await chunkReads(config.quick ? QUICK_READS : READS, round, recorder, roots);
          const order = round % 2 === 0 ? [1, 2] : [2, 1];
          for (const numProc of order) {
            const timing = await cpuRun(numProc, iterations, roots);
            const op = numProc === 1 ? '1-worker' : `${numProc}-workers`;
            recorder.sample({ group: `cpu-${CPU_MS}ms`, subject: OURS, op }, round, timing);
          }
          if (round === 0) await streamRss(config.quick ? QUICK_RSS_GRID : RSS_GRID, recorder, roots, config.log);
        }
        // Each round's roots go at its end: a run's worth of chunk files would slow the next round's writes.
        await removeTempRoots(roots.splice(0));
        config.log(`  sweep: round ${round + 1}/${config.rounds} done`);
      }
    } finally {
      await removeTempRoots(roots);
    }
  },
};
