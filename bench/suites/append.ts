import { collectGarbage, rotate, timeLoopAsync, type Timing } from '../measure.js';
import type { Recorder } from '../recorder.js';
import type { BenchConfig, FigureSpec, Subject, Suite } from '../suite.js';
import { makeTempRoot, removeTempRoots } from '../temp-roots.js';

/**
 * Append mode: what adding a version costs early in a key's history and deep into it. `append-1-10` appends versions
 * 1 to 10 of fresh keys, key after key; `append-deep` appends to one key that already holds DEEP_VERSIONS versions
 * (filled with `update()` before the rounds). Both are sequential `await stash.set` in append mode, small records.
 * The figure is deep / early in ops/s: at least 0.67 means the 10,000th version costs at most 1.5x the 10th.
 */
const ENGINES = ['lmdb', 'sqlite', 'pairtree', 'memory'] as const;
type LocalEngine = (typeof ENGINES)[number];
const SUBJECTS: readonly Subject[] = ENGINES.map((name) => ({ name, yardstick: false }));

/** Versions already on the deep key: 10,000, or 2,000 with --quick (pairtree fills one file per version). */
const DEEP_VERSIONS = { full: 10_000, quick: 2_000 } as const;
/** Versions per fresh key in the early case. */
const EARLY_VERSIONS = 10;
/** Each append is a commit (an fsync on lmdb): loops run this many times `minMs` so commit jitter averages out. */
const LOOP_FACTOR = 3;
const GROUP = 'small';
const EARLY = 'append-1-10';
const DEEP = 'append-deep';

const FIGURES: readonly FigureSpec[] = ENGINES.map((engine) => ({
  name: `${engine} append at ~10,000 versions / appending versions 1-10 (ops/s; ≥ 0.67 is ≤ 1.5x the cost)`,
  numerator: [`${GROUP}/${engine}/${DEEP}`],
  denominator: [`${GROUP}/${engine}/${EARLY}`],
  target: 0.667,
}));

type Stash = import('../../src/index.js').HashStash;

interface Opened {
  readonly engine: LocalEngine;
  readonly stash: Stash;
  /** Fresh keys handed out so far to the early case. */
  earlyKeys: number;
}

export const appendSuite: Suite = {
  name: 'append',
  title: "Append mode: adding a version early in a key's history and 10,000 versions deep",
  subjects: SUBJECTS,
  figures: FIGURES,

  async run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>) {
    const { HashStash } = await import('../../src/index.js');
    const values = config.small().values;
    const deepVersions = config.quick ? DEEP_VERSIONS.quick : DEEP_VERSIONS.full;
    const roots: string[] = [];
    const opened: Opened[] = [];
    try {
      for (const engine of ENGINES.filter((name) => selected.has(name))) {
        const root = makeTempRoot();
        roots.push(root);
        let stash: Stash | undefined;
        try {
          stash = new HashStash({ root, engine, appendMode: true });
          const started = performance.now();
          await stash.update(
            (function* () {
              for (let i = 0; i < deepVersions; i++) yield ['deep', values[i % values.length]] as const;
            })(),
          );
          const versions = (await stash.getAll('deep')).length;
          if (versions !== deepVersions)
            throw new Error(`the deep key holds ${versions} versions, not ${deepVersions}`);
          config.log(
            `append: ${engine} filled ${deepVersions} versions in ${((performance.now() - started) / 1000).toFixed(1)} s`,
          );
          recorder.note({ group: GROUP, subject: engine, op: DEEP }, 'versions before', deepVersions);
          opened.push({ engine, stash, earlyKeys: 0 });
        } catch (error) {
          await stash?.close().catch(() => {});
          recorder.missing(engine, (error as Error).message);
        }
      }

      const minMs = LOOP_FACTOR * config.minMs;
      const early = (subject: Opened): Promise<Timing> => {
        const stash = subject.stash;
        return timeLoopAsync((i) => {
          if (i % EARLY_VERSIONS === 0) subject.earlyKeys++;
          return stash.set(`early-${subject.earlyKeys}`, values[i % values.length]);
        }, minMs);
      };
      const deep = (subject: Opened): Promise<Timing> =>
        timeLoopAsync((i) => subject.stash.set('deep', values[i % values.length]), minMs);
      const cases = opened.flatMap((subject) => [
        { subject, op: EARLY, measure: () => early(subject) },
        { subject, op: DEEP, measure: () => deep(subject) },
      ]);

      // Warm-up, unrecorded: a few appends of each kind.
      for (const { subject } of cases) {
        for (let i = 0; i < EARLY_VERSIONS; i++) await subject.stash.set(`warm-up`, values[i]);
      }
      for (let round = 0; round < config.rounds; round++) {
        for (const { subject, op, measure } of rotate(cases, round)) {
          collectGarbage();
          recorder.sample({ group: GROUP, subject: subject.engine, op }, round, await measure());
        }
      }
      for (const subject of opened) {
        const versions = (await subject.stash.getAll('deep')).length;
        recorder.note({ group: GROUP, subject: subject.engine, op: DEEP }, 'versions after', versions);
      }
    } finally {
      await Promise.allSettled(opened.map(({ stash }) => stash.close()));
      await removeTempRoots(roots);
    }
  },
};
