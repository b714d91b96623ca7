import { performance } from 'node:perf_hooks';
import { HashStash } from '../../src/index.js';
import { collectGarbage, rotate } from '../measure.js';
import type { CaseKey, Recorder } from '../recorder.js';
import { RssSampler } from '../rss.js';
import type { BenchConfig, FigureSpec, Suite } from '../suite.js';
import { makeTempRoot, removeTempRoots } from '../temp-roots.js';

/**
 * Records: `stash.iterRecords()` streaming a whole lmdb stash of small nested values (flattened to dotted columns),
 * its resident memory sampled while it runs; beside `stash.records()`, which holds every record at once (its growth
 * shows what streaming saves), and plain `for await (const entry of stash)` (what flattening costs in speed).
 *
 * Memory is the peak RSS over a baseline taken after a full GC, sampled every SAMPLE_EVERY records and on a timer.
 * One untimed pass first reads the whole lmdb file, so its memory-mapped pages (the OS's file cache, counted in RSS)
 * are in the baseline and the growth is what the iteration itself holds.
 *
 * The headline is a budget, expressed as the ratio the bench reports: 50 MB / peak growth, PASS at ≥ 1 (growth
 * ≤ 50 MB). The `memory` group's cases carry megabytes in their ops/s column: `budget-MB` is the budget,
 * `peak-RSS-growth-MB` the measured growth (at least 0.1, so the ratio stays finite); the note has the exact value.
 */
const ENTRIES = { full: 200_000, quick: 20_000 } as const;
const BUDGET_MB = 50;
const SAMPLE_EVERY = 1000;
const MB = 1e6;
const MIB = 2 ** 20;

type Op = 'iter-records' | 'records' | 'entries';

/** A small record with nested objects, arrays and a sparse field, like rows of a product catalogue. */
function valueAt(i: number): Record<string, unknown> {
  return {
    id: i,
    name: `item ${i}`,
    price: (i % 1000) / 10,
    tags: ['new', i % 3 === 0 ? 'sale' : 'full'],
    size: { w: i % 7, h: i % 11, unit: 'cm' },
    seller: { name: `shop ${i % 50}`, address: { city: 'Lyon', zip: '69001' } },
    ...(i % 10 === 0 ? { note: { text: 'restocked' } } : {}),
  };
}

/** Runs one pass; returns how many records it saw. Samples RSS along the way when given a sampler. */
async function pass(stash: HashStash, op: Op, sampler?: RssSampler): Promise<number> {
  let count = 0;
  if (op === 'records') {
    const records = await stash.records();
    sampler?.sample();
    return records.length;
  }
  const source = op === 'iter-records' ? stash.iterRecords() : stash.entries();
  let last: unknown;
  for await (const item of source) {
    last = item;
    if (++count % SAMPLE_EVERY === 0) sampler?.sample();
  }
  if (last === undefined) throw new Error(`${op} gave nothing`);
  return count;
}

const key = (group: string, subject: Op, op: string): CaseKey => ({
  group,
  subject,
  op,
  yardstick: subject === 'entries',
});

const FIGURES: readonly FigureSpec[] = [
  {
    name: `iterRecords() over 200,000 small entries (quick: 20,000), lmdb: ${BUDGET_MB} MB budget / peak RSS growth while it runs`,
    numerator: ['memory/iter-records/budget-MB'],
    denominator: ['memory/iter-records/peak-RSS-growth-MB'],
    target: 1,
  },
  {
    name: 'iterRecords() / for await of stash entries, records per second (lmdb, small nested values)',
    numerator: ['small/iter-records/iterate'],
    denominator: ['small/entries/iterate'],
  },
];

export const recordsSuite: Suite = {
  name: 'records',
  title: 'Records: stash.iterRecords() streaming, its peak memory, beside stash.records() and plain iteration (lmdb)',
  subjects: [
    { name: 'iter-records', yardstick: false },
    { name: 'records', yardstick: false },
    { name: 'entries', yardstick: true, peers: ['iter-records'] },
  ],
  figures: FIGURES,

  async run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>) {
    const count = config.quick ? ENTRIES.quick : ENTRIES.full;
    const ops = (['iter-records', 'records', 'entries'] as const).filter((op) => selected.has(op));
    const root = makeTempRoot();
    const stash = new HashStash({ root, engine: 'lmdb' });
    try {
      config.log(`  records: writing ${count.toLocaleString('en-US')} entries`);
      await stash.update(
        (function* () {
          for (let i = 0; i < count; i++) yield [`item-${String(i).padStart(7, '0')}`, valueAt(i)] as const;
        })(),
      );
      await pass(stash, 'entries'); // the untimed pass that maps the file in
      for (let round = 0; round < config.rounds; round++) {
        for (const op of rotate(ops, round)) {
          collectGarbage();
          const sampler = op === 'entries' ? undefined : new RssSampler();
          const start = performance.now();
          const seen = await pass(stash, op, sampler);
          const seconds = (performance.now() - start) / 1000;
          if (seen !== count) throw new Error(`${op} gave ${seen} records, ${count} were written`);
          recorder.sample(key('small', op, op === 'records' ? 'collect' : 'iterate'), round, { ops: count, seconds });
          if (!sampler) continue;
          const growthMB = (sampler.stop().growthMiB * MIB) / MB;
          recorder.sample(key('memory', op, 'peak-RSS-growth-MB'), round, { ops: Math.max(0.1, growthMB), seconds: 1 });
          const worst = recorder.noteOf(key('memory', op, 'peak-RSS-growth-MB'), 'worst growth MB');
          if (typeof worst !== 'number' || growthMB > worst)
            recorder.note(key('memory', op, 'peak-RSS-growth-MB'), 'worst growth MB', Math.round(growthMB * 10) / 10);
          if (op === 'iter-records')
            recorder.sample(key('memory', op, 'budget-MB'), round, { ops: BUDGET_MB, seconds: 1 });
        }
      }
      recorder.note(key('small', 'iter-records', 'iterate'), 'entries', count);
    } finally {
      await stash.close();
      await removeTempRoots([root]);
    }
  },
};
