import { performance } from 'node:perf_hooks';
import { collectGarbage, timeOnce, type Timing } from '../measure.js';
import type { CaseKey, Recorder } from '../recorder.js';
import type { BenchConfig, FigureSpec, Suite } from '../suite.js';
import { makeTempRoot, removeTempRoots } from '../temp-roots.js';

const SUBJECT = 'hashstash-map';

/** CPU-bound items: each one about ITEM_MS of work, calibrated on this machine before timing. */
const CPU_ITEMS = { full: 400, quick: 100 } as const;
const ITEM_MS = 20;
/** Stored items read back by a map that finds every one of them. */
const CACHED_ITEMS = 100_000;

const FIGURES: readonly FigureSpec[] = [
  {
    name: `stash.map of CPU-bound items (~${ITEM_MS} ms each), 2 worker threads / 1 worker thread: ≥ 1.7×`,
    numerator: [`cpu-${ITEM_MS}ms/${SUBJECT}/2-workers`],
    denominator: [`cpu-${ITEM_MS}ms/${SUBJECT}/1-worker`],
    target: 1.7,
  },
  {
    name: `stash.map of CPU-bound items (~${ITEM_MS} ms each), backend 'processes', 2 child processes / 1: ≥ 1.7×`,
    numerator: [`cpu-${ITEM_MS}ms/${SUBJECT}/2-processes`],
    denominator: [`cpu-${ITEM_MS}ms/${SUBJECT}/1-process`],
    target: 1.7,
  },
  {
    name: `stash.map of ${CACHED_ITEMS.toLocaleString('en-US')} items all stored already, all(): ≥ 100,000 items/s`,
    numerator: [`cached-100k/${SUBJECT}/all`],
    denominator: [],
    target: 100_000,
  },
];

/** A fixed amount of integer hashing; self-contained, so stash.map ships it by its source. */
const spin = (seed: number, iterations: number) => {
  let h = seed | 0;
  for (let i = 0; i < iterations; i++) h = Math.imul(h ^ i, 2654435761) >>> 0;
  return h;
};

/** Iterations of `spin` that take about ITEM_MS on one core of this machine. */
function calibrate(): number {
  let iterations = 100_000;
  for (;;) {
    const start = performance.now();
    spin(1, iterations);
    const ms = performance.now() - start;
    if (ms >= 50) return Math.round((iterations * ITEM_MS) / ms);
    iterations *= 4;
  }
}

/** The result every cached item has stored (small: the figure is about the map's own path, not about decoding). */
const storedValue = (item: number) => ({ item, double: item * 2 });
const notComputed = (item: number) => ({ item, double: item * 2 });

type Case = { key: CaseKey; measure: () => Promise<Timing> };

/**
 * stash.map on lmdb with defaults: the same CPU-bound items on 1 and on 2 worker threads, and on 1 and on 2 child
 * processes (backend 'processes'; each map starts its children, so their start is in the time), `force: true`, so every
 * round computes and stores every item; items/s counts items; and a map whose 100,000 items were all stored before
 * (through the function's sub-stash, under the keys stash.run uses) read back by `all()` and by for-await; a case
 * that computes anything there fails. `--quick` maps 100 CPU-bound items instead of 400.
 */
export const mapSuite: Suite = {
  name: 'map',
  title: 'stash.map: worker threads for what is missing, batched reads for what is stored',
  subjects: [{ name: SUBJECT, yardstick: false }],
  figures: FIGURES,

  async run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>) {
    if (!selected.has(SUBJECT)) return;
    const { HashStash } = await import('../../src/index.js');
    const root = makeTempRoot();
    const stash = new HashStash({ root, engine: 'lmdb' });
    try {
      const iterations = calibrate();
      const cpuItems = Array.from({ length: config.quick ? CPU_ITEMS.quick : CPU_ITEMS.full }, (_, i) => i);
      recorder.note({ group: `cpu-${ITEM_MS}ms`, subject: SUBJECT, op: '1-worker' }, 'items', cpuItems.length);
      recorder.note({ group: `cpu-${ITEM_MS}ms`, subject: SUBJECT, op: '1-worker' }, 'iterations/item', iterations);
      const cpuCase = (numProc: number, backend: 'threads' | 'processes'): Case => ({
        key: {
          group: `cpu-${ITEM_MS}ms`,
          subject: SUBJECT,
          op:
            backend === 'threads'
              ? numProc === 1
                ? '1-worker'
                : `${numProc}-workers`
              : numProc === 1
                ? '1-process'
                : `${numProc}-processes`,
        },
        measure: () =>
          timeOnce(async () => {
            const results = await stash
              .map(spin, cpuItems, { numProc, backend, args: [iterations], force: true, progress: false })
              .all();
            if (results.length !== cpuItems.length)
              throw new Error(`${results.length} results for ${cpuItems.length} items`);
            return cpuItems.length;
          }),
      });

      const cachedItems = Array.from({ length: CACHED_ITEMS }, (_, i) => i);
      const functionStash = stash.stashed(notComputed).stash;
      await functionStash.update(
        cachedItems.map((item) => [[item], storedValue(item)] as [[number], { item: number; double: number }]),
      );
      const checkAllCached = (map: { progress: { cached: number; done: number } }) => {
        if (map.progress.cached !== CACHED_ITEMS || map.progress.done !== 0) {
          throw new Error(`expected ${CACHED_ITEMS} cached and none computed, got ${JSON.stringify(map.progress)}`);
        }
      };
      const cachedCases: Case[] = [
        {
          key: { group: 'cached-100k', subject: SUBJECT, op: 'all' },
          measure: () =>
            timeOnce(async () => {
              const map = stash.map(notComputed, cachedItems, { progress: false });
              await map.all();
              checkAllCached(map);
              return CACHED_ITEMS;
            }),
        },
        {
          key: { group: 'cached-100k', subject: SUBJECT, op: 'for-await' },
          measure: () =>
            timeOnce(async () => {
              const map = stash.map(notComputed, cachedItems, { progress: false });
              let count = 0;
              for await (const value of map) if (value !== undefined) count++;
              checkAllCached(map);
              return count;
            }),
        },
      ];

      const cases = [
        cpuCase(1, 'threads'),
        cpuCase(2, 'threads'),
        cpuCase(1, 'processes'),
        cpuCase(2, 'processes'),
        ...cachedCases,
      ];
      for (const { measure } of cachedCases) await measure();
      for (let round = 0; round < config.rounds; round++) {
        for (const { key, measure } of round % 2 ? [...cases].reverse() : cases) {
          collectGarbage();
          try {
            recorder.sample(key, round, await measure());
          } catch (error) {
            recorder.missing(SUBJECT, `${key.group}/${key.op}: ${(error as Error).message}`);
          }
        }
        config.log(`  map: round ${round + 1}/${config.rounds} done`);
      }
    } finally {
      await stash.close();
      await removeTempRoots([root]);
    }
  },
};
