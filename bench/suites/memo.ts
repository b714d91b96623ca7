import { isDeepStrictEqual } from 'node:util';
import { collectGarbage, rotate, timeLoop, timeLoopAsync, type Timing } from '../measure.js';
import type { CaseKey, Recorder } from '../recorder.js';
import type { BenchConfig, FigureSpec, Suite } from '../suite.js';
import { makeTempRoot, removeTempRoots } from '../temp-roots.js';
import type { SmallRecord } from '../workloads.js';

const SUBJECT = 'hashstash-lmdb';

/**
 * `get`/`get-sync`: a bare `stash.get` of the function's sub-stash under the key the memo uses (`[name]`, built once);
 * `run-hit`/`run-hit-sync`: the memoized call `cached(name)` that finds that same entry.
 */
const OPS = ['get', 'run-hit', 'get-sync', 'run-hit-sync'] as const;
type MemoOp = (typeof OPS)[number];

const VIA: Record<MemoOp, string> = {
  get: 'await cached.stash.get([name])',
  'run-hit': 'await cached(name), a hit',
  'get-sync': 'cached.stash.sync.get([name])',
  'run-hit-sync': 'cachedSync(name), a hit, via stash.sync.stashed',
};

const FIGURES: readonly FigureSpec[] = [
  {
    name: 'lmdb memoized call that hits, await cached(args) / await stash.get of the same result (small): time ≤ 3×',
    numerator: [`small/${SUBJECT}/run-hit`],
    denominator: [`small/${SUBJECT}/get`],
    target: 0.34,
  },
  {
    name: 'lmdb sync memoized call that hits, stash.sync.stashed / stash.sync.get of the same result (small): time ≤ 3×',
    numerator: [`small/${SUBJECT}/run-hit-sync`],
    denominator: [`small/${SUBJECT}/get-sync`],
    target: 0.34,
  },
];

/**
 * A memoized function whose results are the small workload's records, on lmdb with default settings: its sub-stash is
 * filled in bulk under the memo's own keys (so nothing is computed while timing; a computation fails the case), then
 * hits are timed against bare reads of the same entries, in the workload's shuffled read order.
 */
async function measureMemo(config: BenchConfig, recorder: Recorder, root: string): Promise<void> {
  const { HashStash } = await import('../../src/index.js');
  const workload = config.small();
  const { keys, values, readOrder } = workload;
  const byName = new Map(keys.map((key, i) => [key, values[i]]));
  let computed = 0;
  const smallRecordNamed = (name: string) => {
    computed++;
    return byName.get(name);
  };

  const stash = new HashStash({ root, engine: 'lmdb' });
  try {
    const cached = stash.stashed(smallRecordNamed);
    const cachedSync = stash.sync.stashed(smallRecordNamed);
    const functionStash = cached.stash;
    const view = functionStash.sync;
    await functionStash.update(keys.map((key, i): [[string], SmallRecord] => [[key], values[i]]));
    const argLists = keys.map((key) => [key] as [string]);
    const probe = readOrder[0];
    if (
      !isDeepStrictEqual(await cached(keys[probe]), values[probe]) ||
      !isDeepStrictEqual(cachedSync(keys[probe]), values[probe])
    ) {
      throw new Error(`the memoized call for ${keys[probe]} gave back a different record`);
    }
    if (computed !== 0) throw new Error('the memo computed instead of reading the entries written under its keys');

    const at = (i: number) => readOrder[i % readOrder.length];
    const measure = (op: MemoOp, minMs: number): Timing | Promise<Timing> => {
      switch (op) {
        case 'get':
          return timeLoopAsync((i) => functionStash.get(argLists[at(i)]), minMs);
        case 'run-hit':
          return timeLoopAsync((i) => cached(keys[at(i)]), minMs);
        case 'get-sync':
          return timeLoop((i) => view.get(argLists[at(i)]), minMs);
        case 'run-hit-sync':
          return timeLoop((i) => cachedSync(keys[at(i)]), minMs);
      }
    };
    const key = (op: MemoOp): CaseKey => ({ group: 'small', subject: SUBJECT, op });

    for (const op of OPS) await measure(op, config.minMs / 4);
    for (let round = 0; round < config.rounds; round++) {
      for (const op of rotate(OPS, round)) {
        collectGarbage();
        recorder.sample(key(op), round, await measure(op, config.minMs));
      }
      config.log(`  memo: round ${round + 1}/${config.rounds} done`);
    }
    // `as number`: TypeScript narrowed `computed` to 0 above and does not see the memo count it up since.
    if (computed !== 0) throw new Error(`the memo computed ${computed as number} times during hit loops`);
    for (const op of OPS) recorder.note(key(op), 'via', VIA[op]);
    recorder.note(key('run-hit'), 'entries', keys.length);
  } finally {
    await stash.close();
  }
}

export const memoSuite: Suite = {
  name: 'memo',
  title: 'Memoized functions: a call that hits, beside a bare get of the same stored result',
  subjects: [{ name: SUBJECT, yardstick: false }],
  figures: FIGURES,

  async run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>) {
    if (!selected.has(SUBJECT)) return;
    const root = makeTempRoot();
    try {
      await measureMemo(config, recorder, root);
    } catch (error) {
      recorder.missing(SUBJECT, (error as Error).message);
    } finally {
      await removeTempRoots([root]);
    }
  },
};
