import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { diskUsage } from '../disk-usage.js';
import { collectGarbage, rotate, timeLoop, timeLoopAsync, timeOnce, type Timing } from '../measure.js';
import type { CaseKey, Recorder } from '../recorder.js';
import { hashStashStore } from '../stores/hashstash.js';
import { plainFiles } from '../stores/plain-files.js';
import type { BenchStore, OpenStore } from '../stores/store.js';
import type { BenchConfig, Suite } from '../suite.js';
import { makeTempRoot, removeTempRoots } from '../temp-roots.js';
import type { Workload } from '../workloads.js';

/**
 * The stores this suite measures, one line each. Engines go through the facade with the default serializer and codec;
 * one that cannot open (not built yet, library not installed, server down) is reported missing with the reason.
 */
const STORES: readonly BenchStore[] = [
  hashStashStore('memory'),
  hashStashStore('pairtree'),
  hashStashStore('lmdb'),
  hashStashStore('sqlite'),
  hashStashStore('redis'),
  hashStashStore('mongo'),
  plainFiles,
];

/** A server engine that neither connects nor fails within this long is reported missing. */
const OPEN_TIMEOUT_MS = 15_000;

/** The warm-up pass writes and reads this many entries of each workload. */
const WARMUP_ENTRIES = { small: 500, large: 20 } as const;

async function openWithTimeout(store: BenchStore, root: string): Promise<OpenStore> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not open within ${OPEN_TIMEOUT_MS / 1000} s`)), OPEN_TIMEOUT_MS);
  });
  try {
    return await Promise.race([store.open(root), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface StoreCase {
  readonly store: BenchStore;
  /** An empty temp folder of the case's own. */
  readonly root: string;
  readonly workload: Workload<unknown>;
  /** How many entries of the workload to write (all of them, except when warming up). */
  readonly count: number;
  readonly minMs: number;
  /** Undefined when warming up: nothing is recorded. */
  readonly round: number | undefined;
}

/**
 * One store on one workload, in a temp root of its own: write every entry in key order once, read in the shuffled
 * order (awaited, then synchronously where offered), iterate everything, close, and (first round) measure the disk.
 */
async function runStoreCase({ store, root, workload, count, minMs, round }: StoreCase, recorder: Recorder): Promise<void> {
  const key = (op: string): CaseKey => ({ group: workload.name, subject: store.name, op, yardstick: store.yardstick });
  const record = (op: string, timing: Timing) => {
    if (round !== undefined) recorder.sample(key(op), round, timing);
  };
  const { keys, values } = workload;
  const readOrder = count === keys.length ? workload.readOrder : workload.readOrder.filter((index) => index < count);
  const opened = await openWithTimeout(store, root);
  const writeOp = opened.set ? 'set' : 'set-sync';
  try {
    collectGarbage();
    if (opened.set) {
      const set = opened.set;
      record(writeOp, await timeOnce(async () => {
        for (let i = 0; i < count; i++) await set(keys[i]!, values[i]);
        return count;
      }));
    } else {
      const setSync = opened.setSync!;
      record(writeOp, await timeOnce(() => {
        for (let i = 0; i < count; i++) setSync(keys[i]!, values[i]);
        return count;
      }));
    }

    const probe = readOrder[0]!;
    const readBack = opened.getSync ? opened.getSync(keys[probe]!) : await opened.get!(keys[probe]!);
    if (!isDeepStrictEqual(readBack, values[probe])) throw new Error(`reading ${keys[probe]} gave back a different value`);

    const keyAt = (i: number) => keys[readOrder[i % readOrder.length]!]!;
    if (opened.get) {
      const get = opened.get;
      collectGarbage();
      record('get', await timeLoopAsync((i) => get(keyAt(i)), minMs));
    }
    if (opened.getSync) {
      const getSync = opened.getSync;
      collectGarbage();
      record('get-sync', timeLoop((i) => getSync(keyAt(i)), minMs));
    }

    collectGarbage();
    let passes = 0;
    let last: unknown;
    const iteration = await timeLoopAsync(async () => {
      const seen = await opened.iterate((entry) => { last = entry; });
      if (seen !== count) throw new Error(`iteration gave ${seen} entries, ${count} were written`);
      passes++;
    }, minMs);
    if (last === undefined) throw new Error('iteration gave no entries');
    record('iterate', { ops: passes * count, seconds: iteration.seconds });
  } finally {
    await opened.close();
  }

  // Measured after close, when engines have flushed (sqlite checkpoints its WAL, for one).
  if (round === 0) {
    const setKey = key(writeOp);
    recorder.note(setKey, 'JSON B/entry', Math.round(workload.jsonBytes / keys.length));
    if (opened.path) {
      const usage = diskUsage(opened.path);
      recorder.note(setKey, 'disk B/entry', Math.round(usage.allocatedBytes / count));
      recorder.note(setKey, 'apparent B/entry', Math.round(usage.apparentBytes / count));
      recorder.note(setKey, 'files', usage.files);
      recorder.note(setKey, 'folders', usage.folders);
    }
  }
}

export const stashSuite: Suite = {
  name: 'stash',
  title: 'Stores: the library through its facade, and plain files written by hand',
  subjects: STORES.map(({ name, yardstick }) => ({ name, yardstick })),
  figures: [
    {
      name: 'pairtree sync get / plain files readFileSync+JSON.parse get (small)',
      numerator: ['small/pairtree/get-sync', 'small/pairtree/get'],
      denominator: ['small/plain-files/get-sync'],
      target: 0.5,
    },
    {
      name: 'pairtree awaited get / plain files readFileSync+JSON.parse get (small)',
      numerator: ['small/pairtree/get'],
      denominator: ['small/plain-files/get-sync'],
    },
    {
      name: 'pairtree awaited get / plain files awaited fs.promises.readFile+JSON.parse get (small)',
      numerator: ['small/pairtree/get'],
      denominator: ['small/plain-files/get'],
    },
  ],

  async run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>) {
    const stores = STORES.filter((store) => selected.has(store.name));
    const workloads: Workload<unknown>[] = [config.small(), config.large()];

    // Roots are removed when the suite ends, not after each case: on this VM's disk (ext4 mounted with discard)
    // a mass delete slows the file writes that follow for seconds, which would penalize whichever store runs next.
    const roots: string[] = [];
    const attempt = async (storeCase: Omit<StoreCase, 'root'>) => {
      if (recorder.isMissing(storeCase.store.name)) return;
      const root = makeTempRoot();
      roots.push(root);
      try {
        await runStoreCase({ ...storeCase, root }, recorder);
      } catch (error) {
        const phase = storeCase.round === undefined ? 'warm-up' : `round ${storeCase.round + 1}`;
        recorder.missing(storeCase.store.name, `${storeCase.workload.name}, ${phase}: ${(error as Error).message}`);
      }
    };

    try {
      for (const workload of workloads) {
        for (const store of stores) {
          const count = Math.min(WARMUP_ENTRIES[workload.name], workload.keys.length);
          await attempt({ store, workload, count, minMs: config.minMs / 4, round: undefined });
        }
      }
      for (let round = 0; round < config.rounds; round++) {
        for (const workload of workloads) {
          for (const store of rotate(stores, round)) {
            await attempt({ store, workload, count: workload.keys.length, minMs: config.minMs, round });
          }
        }
        config.log(`  stash: round ${round + 1}/${config.rounds} done`);
      }
    } finally {
      const start = performance.now();
      await removeTempRoots(roots);
      config.log(`  stash: removed ${roots.length} temp folders in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    }
  },
};
