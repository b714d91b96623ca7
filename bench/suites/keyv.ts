import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { collectGarbage, rotate, timeLoopAsync, type Timing } from '../measure.js';
import type { CaseKey, Recorder } from '../recorder.js';
import type { BenchConfig, FigureSpec, Subject, Suite } from '../suite.js';
import { makeTempRoot, removeTempRoots } from '../temp-roots.js';

/**
 * hashstash as a keyv 5 store (issue 22), side by side with keyv's own stores in one run:
 * - `keyv-lmdb`: `createKeyv({ engine: 'lmdb', root })` from hashstash/keyv, its recommended settings (keyv's JSON
 *   serialization off, values stored by hashstash's serializer), against `keyv-sqlite`: keyv + @keyv/sqlite
 *   (`createKeyv('sqlite://<file>')`, its defaults, as the expiry suite opens it).
 * - `keyv-memory`: `createKeyv({ engine: 'memory', root })`, the shared-memory engine, against `keyv-map`: `new Keyv()`,
 *   keyv's default in-memory Map with its default JSON serialization, as a user gets it.
 * Every store is filled with the small workload first (untimed, `keyv.setMany` in chunks of FILL_CHUNK), then
 * `get` (sequential `await keyv.get` of stored keys in the workload's shuffled order) and `set` (sequential
 * `await keyv.set` to new keys) are timed, every case once per round in a rotated order.
 * Before timing, a worker thread opens `new KeyvHashStash({ engine: 'memory', root, name })` on the same root and
 * name and must read back a key the main thread set through keyv-memory (the figure's "shared by every worker
 * thread"); if it does not, keyv-memory is listed as not measured, with the reason.
 */
const GROUP = 'small';
const FILL_CHUNK = 1_000;
/** The memory stash's name: the worker thread opens the same one. */
const MEMORY_NAME = 'keyv-bench';

const SUBJECTS: readonly Subject[] = [
  { name: 'keyv-lmdb', yardstick: false },
  { name: 'keyv-memory', yardstick: false },
  { name: 'keyv-sqlite', yardstick: true, peers: ['keyv-lmdb'] },
  { name: 'keyv-map', yardstick: true, peers: ['keyv-memory'] },
];

const FIGURES: readonly FigureSpec[] = [
  {
    name: 'keyv + hashstash lmdb await keyv.get / keyv + @keyv/sqlite await keyv.get (small)',
    numerator: [`${GROUP}/keyv-lmdb/get`],
    denominator: [`${GROUP}/keyv-sqlite/get`],
    target: 10,
  },
  {
    name: 'keyv + hashstash lmdb await keyv.set / keyv + @keyv/sqlite await keyv.set, new keys (small)',
    numerator: [`${GROUP}/keyv-lmdb/set`],
    denominator: [`${GROUP}/keyv-sqlite/set`],
    target: 10,
  },
  {
    name: "keyv + hashstash memory (shared by worker threads) await keyv.get / keyv's default in-memory Map await keyv.get (small)",
    numerator: [`${GROUP}/keyv-memory/get`],
    denominator: [`${GROUP}/keyv-map/get`],
    target: 0.5,
  },
];

type SubjectName = 'keyv-lmdb' | 'keyv-memory' | 'keyv-sqlite' | 'keyv-map';

/** What the cases drive: the keyv calls every subject answers the same way. */
interface KeyvLike {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<unknown>;
  setMany(entries: { key: string; value: unknown }[]): Promise<unknown>;
  clear(): Promise<void>;
  disconnect(): Promise<void>;
}

const STORE: Record<SubjectName, string> = {
  'keyv-lmdb': "hashstash/keyv createKeyv({ engine: 'lmdb', root })",
  'keyv-memory': "hashstash/keyv createKeyv({ engine: 'memory', root, name })",
  'keyv-sqlite': "@keyv/sqlite createKeyv('sqlite://<file>')",
  'keyv-map': 'new Keyv(): a Map',
};

async function openKeyv(subject: SubjectName, root: string): Promise<KeyvLike> {
  let keyv: KeyvLike & { throwOnErrors: boolean };
  if (subject === 'keyv-lmdb' || subject === 'keyv-memory') {
    const { createKeyv } = await import('../../src/keyv/index.js');
    keyv =
      subject === 'keyv-lmdb'
        ? createKeyv({ engine: 'lmdb', root })
        : createKeyv({ engine: 'memory', root, name: MEMORY_NAME });
  } else if (subject === 'keyv-sqlite') {
    const { createKeyv } = await import('@keyv/sqlite');
    keyv = createKeyv(`sqlite://${join(root, 'data.sqlite')}`);
  } else {
    const { Keyv } = await import('keyv');
    keyv = new Keyv();
  }
  keyv.throwOnErrors = true;
  // Opens the store (creates sqlite's table) here, not in the first timed operation.
  await keyv.set('hashstash-bench-probe', null);
  await keyv.get('hashstash-bench-probe');
  return keyv;
}

/** A worker thread opens the memory stash by root and name and reads `key` through keyv; posts what it read. */
const SHARE_CHECK = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { KeyvHashStash, createKeyv } = await import(workerData.keyvUrl);
  const keyv = createKeyv(new KeyvHashStash({ engine: 'memory', root: workerData.root, name: workerData.name }));
  keyv.throwOnErrors = true;
  try {
    parentPort.postMessage({ value: await keyv.get(workerData.key) });
  } finally {
    await keyv.disconnect();
  }
})().catch((error) => parentPort.postMessage({ error: String((error && error.stack) || error) }));
`;

/** Throws unless a worker thread reads `key` of the main thread's keyv-memory store as `expected`. */
async function checkSharedWithWorker(root: string, key: string, expected: unknown): Promise<void> {
  const keyvUrl = new URL('../../src/keyv/index.js', import.meta.url).href;
  const worker = new Worker(SHARE_CHECK, { eval: true, workerData: { keyvUrl, root, name: MEMORY_NAME, key } });
  try {
    const reply = await new Promise<{ value?: unknown; error?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the worker thread exited (code ${code}) without replying`)));
    });
    if (reply.error) throw new Error(`a worker thread could not read the memory store: ${reply.error}`);
    if (JSON.stringify(reply.value) !== JSON.stringify(expected)) {
      throw new Error(
        `a worker thread opening KeyvHashStash({ engine: 'memory', root, name }) read ${JSON.stringify(reply.value)} for '${key}', not what the main thread set`,
      );
    }
  } finally {
    await worker.terminate();
  }
}

export const keyvSuite: Suite = {
  name: 'keyv',
  title: "hashstash as a keyv store: keyv over lmdb against keyv + @keyv/sqlite, keyv over memory against keyv's Map",
  subjects: SUBJECTS,
  figures: FIGURES,

  async run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>) {
    const { keys, values, readOrder } = config.small();
    const subjects = SUBJECTS.map((s) => s.name as SubjectName).filter((name) => selected.has(name));
    const stores = new Map<SubjectName, KeyvLike>();
    const roots: string[] = [];
    try {
      for (const subject of subjects) {
        const root = makeTempRoot();
        roots.push(root);
        let keyv: KeyvLike | undefined;
        try {
          keyv = await openKeyv(subject, root);
          for (let start = 0; start < keys.length; start += FILL_CHUNK) {
            const end = Math.min(start + FILL_CHUNK, keys.length);
            await keyv.setMany(keys.slice(start, end).map((key, i) => ({ key, value: values[start + i] })));
          }
          const probe = keys[readOrder[0]];
          if ((await keyv.get(probe)) === undefined) throw new Error(`${subject} did not keep what it was given`);
          if (subject === 'keyv-memory') {
            await checkSharedWithWorker(root, probe, values[readOrder[0]]);
            if ((await keyv.get(probe)) === undefined)
              throw new Error('keyv-memory lost its entries once a worker thread had read them');
            recorder.note({ group: GROUP, subject, op: 'get' }, 'worker thread', 'reads what this one set');
          }
          stores.set(subject, keyv);
        } catch (error) {
          recorder.missing(subject, (error as Error).message);
          await keyv?.disconnect().catch(() => {});
        }
      }

      const ops = ['get', 'set'] as const;
      let written = 0;
      const measure = (keyv: KeyvLike, op: (typeof ops)[number], minMs: number): Promise<Timing> =>
        op === 'get'
          ? timeLoopAsync((i) => keyv.get(keys[readOrder[i % readOrder.length]]), minMs)
          : timeLoopAsync((i) => keyv.set(`new-${written++}`, values[i % values.length]), minMs);
      const yardstick = (subject: string) => SUBJECTS.find((s) => s.name === subject)!.yardstick;
      const key = (subject: string, op: string): CaseKey => ({
        group: GROUP,
        subject,
        op,
        yardstick: yardstick(subject),
      });

      for (const [, keyv] of stores) for (const op of ops) await measure(keyv, op, config.minMs / 4);
      const cases = [...stores.keys()].flatMap((subject) => ops.map((op) => [subject, op] as const));
      for (let round = 0; round < config.rounds; round++) {
        for (const [subject, op] of rotate(cases, round)) {
          collectGarbage();
          recorder.sample(key(subject, op), round, await measure(stores.get(subject)!, op, config.minMs));
        }
        config.log(`  keyv: round ${round + 1}/${config.rounds} done`);
      }
      for (const subject of stores.keys()) {
        recorder.note(key(subject, 'get'), 'via', 'await keyv.get(key), stored keys, shuffled');
        recorder.note(key(subject, 'set'), 'via', 'await keyv.set(key, value), new keys');
        for (const op of ops) recorder.note(key(subject, op), 'store', STORE[subject]);
        recorder.note(key(subject, 'get'), 'entries', keys.length);
      }
    } finally {
      for (const [subject, keyv] of stores) {
        // The memory engine's entries outlive the store object: clear them, as the memory suite does.
        if (subject === 'keyv-memory') await keyv.clear().catch(() => {});
        await keyv.disconnect().catch(() => {});
      }
      await removeTempRoots(roots);
    }
  },
};
