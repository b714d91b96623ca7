import { spawn } from 'node:child_process';
import type { Recorder } from '../recorder.js';
import type { BenchConfig, FigureSpec, Subject, Suite } from '../suite.js';
import { serverUrl, startServers, stopServers } from '../servers.js';
import { makeTempRoot, removeTempRoots } from '../temp-roots.js';

/**
 * Cross-process `watch` latency (issue 16): a child process sets SETS keys (quick: 100), SPACING_MS apart, each key
 * carrying the writer's clock (`performance.timeOrigin + performance.now()`, the same wall clock in both processes);
 * this process iterates `stash.watch()` and takes, for each set, the time from the set's start to the change reaching
 * the loop. Per round: p50 and p99 in ms, recorded in the ops/s column of `latency/watch-<engine>/p50-ms` and
 * `p99-ms` (lower is better), beside the budgets (`budget-p50-ms` = 50, `budget-p99-ms` = 200), so the headline is
 * budget / latency, PASS at ≥ 1, as the records suite does for memory.
 */
const GROUP = 'latency';
const ENGINES = ['lmdb', 'sqlite', 'redis'] as const;
const SETS = 500;
const QUICK_SETS = 100;
const SPACING_MS = 5;
const P50_BUDGET_MS = 50;
const P99_BUDGET_MS = 200;

const SUBJECTS: readonly Subject[] = ENGINES.map((engine) => ({ name: `watch-${engine}`, yardstick: false }));

const FIGURES: readonly FigureSpec[] = ENGINES.flatMap((engine) => [
  {
    name: `${engine} cross-process watch latency, set in one process to the change in another: ${P50_BUDGET_MS} ms budget / p50`,
    numerator: [`${GROUP}/watch-${engine}/budget-p50-ms`],
    denominator: [`${GROUP}/watch-${engine}/p50-ms`],
    target: 1,
  },
  {
    name: `${engine} cross-process watch latency: ${P99_BUDGET_MS} ms budget / p99`,
    numerator: [`${GROUP}/watch-${engine}/budget-p99-ms`],
    denominator: [`${GROUP}/watch-${engine}/p99-ms`],
    target: 1,
  },
]);

/** The writer: opens the stash, sets `count` keys `spacing` ms apart, each key holding its set's start time. */
const WRITER = `
const { HashStash } = await import(process.argv[1]);
const { options, count, spacing } = JSON.parse(process.argv[2]);
const stash = new HashStash(options);
await stash.set('warm-up', 0);
for (let i = 0; i < count; i++) {
  const at = performance.timeOrigin + performance.now();
  await stash.set({ i, at }, i);
  await new Promise((resolve) => setTimeout(resolve, spacing));
}
await stash.close();
`;

function runWriter(options: object, count: number): Promise<void> {
  const indexUrl = new URL('../../src/index.js', import.meta.url).href;
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', WRITER, indexUrl, JSON.stringify({ options, count, spacing: SPACING_MS })],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`the writer exited with ${code}`))));
  });
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** One round on one engine: [p50, p99, changes seen, missed]. */
async function measure(options: Record<string, unknown>, count: number): Promise<[number, number, number, number]> {
  const { HashStash } = await import('../../src/index.js');
  const stash = new HashStash<unknown, number>(options);
  const controller = new AbortController();
  const latencies: number[] = [];
  let missed = 0;
  try {
    const watch = stash.watch({ signal: controller.signal });
    await watch.ready;
    const reading = (async () => {
      for await (const change of watch) {
        const now = performance.timeOrigin + performance.now();
        if (change.type === 'missed') missed++;
        if (change.type !== 'set' || typeof change.key !== 'object' || change.key === null) continue;
        const { i, at } = change.key as { i: number; at: number };
        latencies.push(now - at);
        if (i === count - 1) return;
      }
    })();
    await runWriter(options, count);
    const timeout = new Promise<void>((_, reject) =>
      setTimeout(() => reject(new Error('the last change never arrived')), 30_000).unref(),
    );
    await Promise.race([reading, timeout]);
  } finally {
    controller.abort();
    await stash.clear().catch(() => {});
    await stash.close();
  }
  const sorted = latencies.sort((a, b) => a - b);
  return [percentile(sorted, 50), percentile(sorted, 99), sorted.length, missed];
}

export const watchSuite: Suite = {
  name: 'watch',
  title: 'Cross-process watch latency: a set in one process to the change reaching a stash.watch() loop in another',
  subjects: SUBJECTS,
  figures: FIGURES,

  async run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>) {
    const count = config.quick ? QUICK_SETS : SETS;
    const engines = ENGINES.filter((engine) => selected.has(`watch-${engine}`));
    if (engines.includes('redis')) await startServers(['redis'], config.log);
    const roots: string[] = [];
    try {
      const runnable: { engine: string; options: Record<string, unknown> }[] = [];
      for (const engine of engines) {
        try {
          const root = makeTempRoot();
          roots.push(root);
          runnable.push({
            engine,
            options: {
              root,
              name: 'watch-latency',
              engine,
              ...(engine === 'redis' ? { url: serverUrl('redis') } : {}),
            },
          });
        } catch (error) {
          recorder.missing(`watch-${engine}`, (error as Error).message);
        }
      }
      for (let round = 0; round < config.rounds; round++) {
        for (const { engine, options } of runnable) {
          const subject = `watch-${engine}`;
          try {
            const [p50, p99, seen, missed] = await measure(options, count);
            recorder.sample({ group: GROUP, subject, op: 'p50-ms' }, round, { ops: p50, seconds: 1 });
            recorder.sample({ group: GROUP, subject, op: 'p99-ms' }, round, { ops: p99, seconds: 1 });
            recorder.sample({ group: GROUP, subject, op: 'budget-p50-ms' }, round, { ops: P50_BUDGET_MS, seconds: 1 });
            recorder.sample({ group: GROUP, subject, op: 'budget-p99-ms' }, round, { ops: P99_BUDGET_MS, seconds: 1 });
            recorder.note({ group: GROUP, subject, op: 'p50-ms' }, 'sets', count);
            if (round === 0) recorder.note({ group: GROUP, subject, op: 'p50-ms' }, 'changes seen (round 1)', seen);
            if (missed) recorder.note({ group: GROUP, subject, op: 'p50-ms' }, 'missed', missed);
            config.log(
              `  watch ${engine}: round ${round + 1}: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms over ${seen} changes`,
            );
          } catch (error) {
            recorder.missing(subject, (error as Error).message);
          }
        }
      }
    } finally {
      if (engines.includes('redis')) await stopServers();
      await removeTempRoots(roots);
    }
  },
};
