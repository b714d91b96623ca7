import { Worker } from 'node:worker_threads';
import { collectGarbage, rotate, timeLoop, type Timing } from '../measure.js';
import type { Recorder } from '../recorder.js';
import type { BenchConfig, FigureSpec, Subject, Suite } from '../suite.js';
import { makeTempRoot, removeTempRoots } from '../temp-roots.js';

/**
 * The shared-memory engine on the small records:
 * - `get-sync`: `stash.sync.get` on `memory`, beside a JS `Map` holding each record's hashstash-serialized bytes,
 *   read with `Map.get` then our `deserialize` (the floor for any store that keeps bytes and decodes on read).
 * - `read-1-thread`, `read-2-threads`: worker threads reading the same keys of one memory stash with
 *   `stash.sync.get`, all started together; ops/s is reads by all threads over the wall time. The figure
 *   2 threads / 1 thread says how reads scale (2 means perfectly; this machine has 2 cores shared with the runner).
 */
const GROUP = 'small';
const SUBJECTS: readonly Subject[] = [
  { name: 'memory', yardstick: false },
  { name: 'js-map', yardstick: true, peers: ['memory'] },
];

const FIGURES: readonly FigureSpec[] = [
  {
    name: 'memory stash.sync.get / Map.get of the serialized bytes + hashstash deserialize (small)',
    numerator: [`${GROUP}/memory/get-sync`],
    denominator: [`${GROUP}/js-map/get-sync`],
    target: 0.5,
  },
  {
    name: 'memory stash.sync.get on 2 worker threads / on 1 worker thread, same keys (total reads/s)',
    numerator: [`${GROUP}/memory/read-2-threads`],
    denominator: [`${GROUP}/memory/read-1-thread`],
    target: 1.5,
  },
];

/** A reader thread: opens the stash, reads every key once, then on each message reads for `ms` after a start line. */
const READER = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { HashStash } = await import(workerData.indexUrl);
  const view = new HashStash({ root: workerData.root, name: workerData.name, engine: 'memory' }).sync;
  const keys = workerData.keys;
  for (const key of keys) if (view.get(key) === undefined) throw new Error('missing ' + key);
  let next = workerData.offset;
  parentPort.on('message', ({ ms, gate }) => {
    Atomics.add(gate, 0, 1);
    Atomics.wait(gate, 1, 0);
    let reads = 0;
    const start = performance.now();
    let now = start;
    while (now - start < ms) {
      for (let i = 0; i < 1000; i++) {
        view.get(keys[next]);
        if (++next === keys.length) next = 0;
      }
      reads += 1000;
      now = performance.now();
    }
    parentPort.postMessage({ reads, seconds: (now - start) / 1000 });
  });
  parentPort.postMessage({ ready: true });
})().catch((error) => parentPort.postMessage({ error: String(error && error.stack || error) }));
`;

interface Reader {
  readonly worker: Worker;
  next(): Promise<{ reads?: number; seconds?: number; ready?: boolean; error?: string }>;
}

function startReader(workerData: object): Reader {
  const worker = new Worker(READER, { eval: true, workerData });
  const queue: unknown[] = [];
  const waiting: ((message: never) => void)[] = [];
  worker.on('message', (message) => (waiting.length ? waiting.shift()!(message as never) : queue.push(message)));
  worker.on('error', (error) => waiting.shift()?.({ error: String(error) } as never));
  return {
    worker,
    next: () =>
      queue.length ? Promise.resolve(queue.shift() as never) : new Promise((resolve) => waiting.push(resolve)),
  };
}

/** Every reader reads for `ms`, all released together; total reads over the longest reader's time. */
async function readTogether(readers: readonly Reader[], ms: number): Promise<Timing> {
  const gate = new Int32Array(new SharedArrayBuffer(8));
  const replies = readers.map((reader) => reader.next());
  for (const reader of readers) reader.worker.postMessage({ ms, gate });
  while (Atomics.load(gate, 0) < readers.length) await new Promise((resolve) => setTimeout(resolve, 1));
  Atomics.store(gate, 1, 1);
  Atomics.notify(gate, 1);
  const results = await Promise.all(replies);
  const failed = results.find((result) => result.error);
  if (failed) throw new Error(failed.error);
  return {
    ops: results.reduce((sum, result) => sum + result.reads!, 0),
    seconds: Math.max(...results.map((result) => result.seconds!)),
  };
}

export const memorySuite: Suite = {
  name: 'memory',
  title: 'The shared-memory engine: sync reads beside a JS Map, and reads from 1 and 2 worker threads',
  subjects: SUBJECTS,
  figures: FIGURES,

  async run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>) {
    const { HashStash, serialize, deserialize } = await import('../../src/index.js');
    const workload = config.small();
    const { keys, values, readOrder } = workload;
    const readKeys = readOrder.map((index) => keys[index]);
    const root = makeTempRoot();
    const readers: Reader[] = [];
    const stash = new HashStash<string, unknown>({ root, name: 'bench', engine: 'memory' });
    try {
      const cases: { subject: string; op: string; measure: () => Timing | Promise<Timing> }[] = [];
      const keyAt = (i: number) => readKeys[i % readKeys.length];
      if (selected.has('memory')) {
        stash.sync.update(keys.map((key, i) => [key, values[i]] as const));
        const view = stash.sync;
        cases.push({
          subject: 'memory',
          op: 'get-sync',
          measure: () => timeLoop((i) => view.get(keyAt(i)), config.minMs),
        });
        const indexUrl = new URL('../../src/index.js', import.meta.url).href;
        for (let thread = 0; thread < 2; thread++) {
          readers.push(
            startReader({
              indexUrl,
              root,
              name: 'bench',
              keys: readKeys,
              offset: thread * Math.floor(readKeys.length / 2),
            }),
          );
        }
        for (const reader of readers) {
          const ready = await reader.next();
          if (ready.error) throw new Error(ready.error);
        }
        cases.push({
          subject: 'memory',
          op: 'read-1-thread',
          measure: () => readTogether(readers.slice(0, 1), config.minMs),
        });
        cases.push({ subject: 'memory', op: 'read-2-threads', measure: () => readTogether(readers, config.minMs) });
      }
      if (selected.has('js-map')) {
        const map = new Map<string, Uint8Array>(keys.map((key, i) => [key, serialize(values[i], 'hashstash')]));
        cases.push({
          subject: 'js-map',
          op: 'get-sync',
          measure: () => timeLoop((i) => deserialize(map.get(keyAt(i))!, 'hashstash'), config.minMs),
        });
        recorder.note(
          { group: GROUP, subject: 'js-map', op: 'get-sync' },
          'via',
          'deserialize(map.get(key), "hashstash")',
        );
      }
      if (selected.has('memory'))
        recorder.note({ group: GROUP, subject: 'memory', op: 'get-sync' }, 'via', 'stash.sync.get');

      for (const { measure } of cases) await measure();
      for (let round = 0; round < config.rounds; round++) {
        for (const { subject, op, measure } of rotate(cases, round)) {
          collectGarbage();
          recorder.sample({ group: GROUP, subject, op }, round, await measure());
        }
        config.log(`  memory: round ${round + 1}/${config.rounds} done`);
      }
    } catch (error) {
      for (const subject of SUBJECTS)
        if (selected.has(subject.name)) recorder.missing(subject.name, (error as Error).message);
    } finally {
      await Promise.allSettled(readers.map((reader) => reader.worker.terminate()));
      await stash.clear().catch(() => {});
      await stash.close();
      await removeTempRoots([root]);
    }
  },
};
