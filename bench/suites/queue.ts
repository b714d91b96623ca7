import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { collectGarbage, timeOnce, type Timing } from '../measure.js';
import type { CaseKey, Recorder } from '../recorder.js';
import { serverUrlOrMissing, startServers, stopServers } from '../servers.js';
import type { BenchConfig, FigureSpec, Suite } from '../suite.js';
import { spin } from '../queue/work.js';

const SUBJECT = 'hashstash-queue';
const ITEM_MS = 20;
const CPU_ITEMS = { full: 400, quick: 100 } as const;
const TRIVIAL_ITEMS = { full: 2000, quick: 500 } as const;
const STORED_ITEMS = 100_000;
/** Threads of the worker process that runs trivial items: enough jobs in flight to hide the round trips. */
const TRIVIAL_CONCURRENCY = 4;

/** The command line's bin: the workers are `hashstash worker` processes. */
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const WORK = new URL('../queue/work.js', import.meta.url);

const FIGURES: readonly FigureSpec[] = [
  {
    name: `stash.map on a queue of CPU-bound items (~${ITEM_MS} ms each), 2 worker processes / 1: ≥ 1.7×`,
    numerator: [`cpu-${ITEM_MS}ms/${SUBJECT}/2-processes`],
    denominator: [`cpu-${ITEM_MS}ms/${SUBJECT}/1-process`],
    target: 1.7,
  },
  {
    name: 'stash.map on a queue, trivial items end to end on one worker process: ≥ 500 items/s',
    numerator: [`trivial/${SUBJECT}/1-process`],
    denominator: [],
    target: 500,
  },
  {
    name: `stash.map on a queue of ${STORED_ITEMS.toLocaleString('en-US')} items all stored already: ≥ 100,000 items/s, 0 jobs`,
    numerator: [`stored-100k/${SUBJECT}/all`],
    denominator: [],
    target: 100_000,
  },
];

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

async function startWorker(options: { url: string; name: string; concurrency?: number }): Promise<ChildProcess> {
  const args = [
    'worker',
    '--queue',
    options.url,
    '--name',
    options.name,
    '--concurrency',
    String(options.concurrency ?? 1),
  ];
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'inherit', 'pipe'] });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('serving queue')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`a queue worker exited with ${code}: ${stderr}`)));
  });
  return child;
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

type Case = { key: CaseKey; measure: () => Promise<Timing> };

/**
 * stash.map with `queue` on the bench's Redis (a stash on the same Redis, so workers store results): CPU-bound items
 * on one worker process and on two (`--concurrency 1` each, `force: true` so every round computes every item), trivial
 * items on one process with 4 threads (the end-to-end cost of a job), and a map whose 100,000 items were stored before,
 * which must enqueue nothing (the queue's event stream is checked). `--quick` maps 100 CPU-bound and 500 trivial items.
 */
export const queueSuite: Suite = {
  name: 'queue',
  title: 'stash.map on a BullMQ queue: worker processes, jobs per missing item',
  subjects: [{ name: SUBJECT, yardstick: false }],
  figures: FIGURES,

  async run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>) {
    if (!selected.has(SUBJECT)) return;
    await startServers(['redis'], config.log);
    const workers: ChildProcess[] = [];
    try {
      const url = serverUrlOrMissing('redis', selected, (subject, reason) => recorder.missing(subject, reason));
      if (!url) return;
      const { HashStash } = await import('../../src/index.js');
      const run = `${process.pid}-${Date.now().toString(36)}`;
      const names = { one: `bench-one-${run}`, two: `bench-two-${run}`, trivial: `bench-trivial-${run}` };
      workers.push(await startWorker({ url, name: names.one }));
      workers.push(await startWorker({ url, name: names.two }), await startWorker({ url, name: names.two }));
      workers.push(await startWorker({ url, name: names.trivial, concurrency: TRIVIAL_CONCURRENCY }));
      await using stash = new HashStash({ engine: 'redis', url, root: `bench-queue-${run}` });
      const iterations = calibrate();
      const cpuItems = Array.from({ length: config.quick ? CPU_ITEMS.quick : CPU_ITEMS.full }, (_, i) => i);
      const trivialCount = config.quick ? TRIVIAL_ITEMS.quick : TRIVIAL_ITEMS.full;
      recorder.note({ group: `cpu-${ITEM_MS}ms`, subject: SUBJECT, op: '1-process' }, 'items', cpuItems.length);
      recorder.note({ group: `cpu-${ITEM_MS}ms`, subject: SUBJECT, op: '1-process' }, 'iterations/item', iterations);

      const mapped = async (name: string, exportName: string, items: number[], options: object) => {
        const results = await stash
          .map({ module: WORK, export: exportName }, items, { queue: { url, name }, progress: false, ...options })
          .all();
        if (results.length !== items.length) throw new Error(`${results.length} results for ${items.length} items`);
        return items.length;
      };
      const cpuCase = (name: string, op: string): Case => ({
        key: { group: `cpu-${ITEM_MS}ms`, subject: SUBJECT, op },
        measure: () => timeOnce(() => mapped(name, 'spin', cpuItems, { args: [iterations], force: true })),
      });
      let trivialRound = 0;
      const trivialCase: Case = {
        key: { group: 'trivial', subject: SUBJECT, op: '1-process' },
        // Items no earlier round stored, so every one is a job.
        measure: () =>
          timeOnce(() => {
            const start = ++trivialRound * trivialCount;
            return mapped(
              names.trivial,
              'trivial',
              Array.from({ length: trivialCount }, (_, i) => start + i),
              {},
            );
          }),
      };

      const stored = Array.from({ length: STORED_ITEMS }, (_, i) => -1 - i);
      await mapped(names.trivial, 'trivial', stored, {});
      const { createRequire } = await import('node:module');
      const Redis = createRequire(import.meta.url)('ioredis') as new (url: string) => import('ioredis').Redis;
      const client = new Redis(url);
      const storedCase: Case = {
        key: { group: 'stored-100k', subject: SUBJECT, op: 'all' },
        measure: async () => {
          const events = await client.xlen(`hashstash-queue:${names.trivial}:events`);
          const timing = await timeOnce(() => mapped(names.trivial, 'trivial', stored, {}));
          const after = await client.xlen(`hashstash-queue:${names.trivial}:events`);
          if (after !== events) throw new Error(`a map of stored items added ${after - events} events to the queue`);
          return timing;
        },
      };

      const cases = [cpuCase(names.one, '1-process'), cpuCase(names.two, '2-processes'), trivialCase, storedCase];
      try {
        for (let round = 0; round < config.rounds; round++) {
          for (const { key, measure } of round % 2 ? [...cases].reverse() : cases) {
            collectGarbage();
            try {
              recorder.sample(key, round, await measure());
            } catch (error) {
              recorder.missing(SUBJECT, `${key.group}/${key.op}: ${(error as Error).message}`);
            }
          }
          config.log(`  queue: round ${round + 1}/${config.rounds} done`);
        }
      } finally {
        client.disconnect();
      }
    } finally {
      await Promise.all(workers.map(stopWorker));
      await stopServers();
    }
  },
};
