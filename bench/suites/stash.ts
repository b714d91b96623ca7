import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { diskUsage } from '../disk-usage.js';
import { collectGarbage, rotate, timeLoop, timeLoopAsync, timeOnce, type Timing } from '../measure.js';
import type { CaseKey, Recorder } from '../recorder.js';
import { betterSqlite3, betterSqlite3Blob } from '../stores/better-sqlite3.js';
import { startServers, stopServers } from '../servers.js';
import { hashStashStore } from '../stores/hashstash.js';
import { ioredisRaw } from '../stores/ioredis.js';
import { keyvRedis } from '../stores/keyv-redis.js';
import { lmdbJs, lmdbJsBinary } from '../stores/lmdb-js.js';
import { MONGO_ENTRIES, mongodbBson, mongodbJson } from '../stores/mongodb.js';
import { plainFiles } from '../stores/plain-files.js';
import type { BenchStore, OpenStore, Pairs, StoreOp } from '../stores/store.js';
import type { BenchConfig, FigureSpec, Suite } from '../suite.js';
import { openWithTimeout } from '../case-runner.js';
import { keepAwake } from '../keep-awake.js';
import { makeTempRoot, removeTempRoots } from '../temp-roots.js';
import type { Workload } from '../workloads.js';

/**
 * The stores this suite measures, one line each. Engines go through the facade with the default serializer and codec;
 * one that cannot open (not built yet, library not installed, server down) is reported missing with the reason.
 * lmdb and sqlite fill in bulk and measure their single writes in timed loops (see BenchStore.fill), beside the
 * storage libraries used directly. So do the server engines, whose every operation is a round trip (50-100 µs here),
 * on the small workload only, beside ioredis, keyv with @keyv/redis and the mongodb driver on the same servers.
 */
const STORES: readonly BenchStore[] = [
  hashStashStore('memory'),
  hashStashStore('pairtree'),
  hashStashStore('lmdb', { fill: 'bulk' }),
  hashStashStore('sqlite', { fill: 'bulk' }),
  hashStashStore('redis', { fill: 'bulk', server: 'redis', workloads: ['small'] }),
  hashStashStore('mongo', { fill: 'bulk', server: 'mongo', workloads: ['small'], entries: MONGO_ENTRIES, getConcurrent: false }),
  plainFiles,
  lmdbJs,
  lmdbJsBinary,
  betterSqlite3,
  betterSqlite3Blob,
  ioredisRaw,
  keyvRedis,
  mongodbJson,
  mongodbBson,
];

/** The warm-up pass writes and reads this many entries of each workload. */
const WARMUP_ENTRIES = { small: 500, large: 20 } as const;

/** Writes started together in `set-concurrent`: 1,000 small values, or 100 × 100 KB (10 MB in flight). */
const CONCURRENT_WRITES = { small: 1000, large: 100 } as const;

/**
 * Single-write loops run this many times `minMs`: each fsync-bound write takes about a millisecond, its latency
 * varies from commit to commit on this disk, and a few hundred of them average that out where a few dozen do not.
 */
const WRITE_LOOP_FACTOR = 3;

/** Reads started together in `get-concurrent` (a pipeline of this many GETs for raw ioredis); counted per key. */
const CONCURRENT_READS = 1000;

/** Keys per `getMany` call; `get-many` counts keys read, not calls. */
const GET_MANY_KEYS = 100;

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

/** Every op's timing of one case, and the writes each timed loop made (they stay in the store). */
type Measured = Map<StoreOp, { timing: Timing; writes?: number }>;

/** Writes the first `count` entries in key order, the store's way (see BenchStore.fill); returns the op measured. */
async function fill(store: BenchStore, opened: OpenStore, workload: Workload<unknown>, count: number, measured: Measured): Promise<StoreOp> {
  const { keys, values } = workload;
  collectGarbage();
  if (store.fill === 'bulk') {
    const setMany = opened.setMany;
    if (!setMany) throw new Error('a store filled in bulk needs setMany');
    const pairs: Pairs = keys.slice(0, count).map((key, i) => [key, values[i]]);
    measured.set('set-many', { timing: await timeOnce(async () => { await setMany(pairs); return count; }), writes: count });
    return 'set-many';
  }
  if (opened.set) {
    const set = opened.set;
    measured.set('set', { timing: await timeOnce(async () => {
      for (let i = 0; i < count; i++) await set(keys[i]!, values[i]);
      return count;
    }), writes: count });
    return 'set';
  }
  const setSync = opened.setSync;
  if (!setSync) throw new Error('the store offers no way to write');
  measured.set('set-sync', { timing: await timeOnce(() => {
    for (let i = 0; i < count; i++) setSync(keys[i]!, values[i]);
    return count;
  }), writes: count });
  return 'set-sync';
}

/** Reads the entries written, in the shuffled order: awaited, synchronous, many at a time, then all by iteration. */
async function measureReads(opened: OpenStore, workload: Workload<unknown>, count: number, minMs: number, measured: Measured): Promise<void> {
  const { keys, values } = workload;
  const readOrder = count === keys.length ? workload.readOrder : workload.readOrder.filter((index) => index < count);
  const probe = readOrder[0]!;
  const readBack = opened.getSync ? opened.getSync(keys[probe]!) : await opened.get?.(keys[probe]!);
  if (!isDeepStrictEqual(readBack, values[probe])) throw new Error(`reading ${keys[probe]} gave back a different value`);

  const keyAt = (i: number) => keys[readOrder[i % readOrder.length]!]!;
  if (opened.get) {
    const get = opened.get;
    collectGarbage();
    measured.set('get', { timing: await timeLoopAsync((i) => get(keyAt(i)), minMs) });
  }
  if (opened.getSync) {
    const getSync = opened.getSync;
    collectGarbage();
    measured.set('get-sync', { timing: timeLoop((i) => getSync(keyAt(i)), minMs) });
  }
  if (opened.getConcurrent) {
    const getConcurrent = opened.getConcurrent;
    const size = Math.min(CONCURRENT_READS, readOrder.length);
    const batches = Array.from({ length: Math.floor(readOrder.length / size) }, (_, b) => Array.from({ length: size }, (_, i) => keyAt(b * size + i)));
    const first = await getConcurrent(batches[0]!);
    if (!isDeepStrictEqual(first[0], values[probe])) throw new Error(`concurrent get of ${keys[probe]} gave back a different value`);
    collectGarbage();
    const calls = await timeLoopAsync((i) => getConcurrent(batches[i % batches.length]!), minMs);
    measured.set('get-concurrent', { timing: { ops: calls.ops * size, seconds: calls.seconds } });
  }
  if (opened.getMany) {
    const getMany = opened.getMany;
    const size = Math.min(GET_MANY_KEYS, readOrder.length);
    const batches = Array.from({ length: Math.floor(readOrder.length / size) }, (_, b) => Array.from({ length: size }, (_, i) => keyAt(b * size + i)));
    const first = await getMany(batches[0]!);
    if (!isDeepStrictEqual(first[0], values[probe])) throw new Error(`getMany of ${keys[probe]} gave back a different value`);
    collectGarbage();
    const calls = await timeLoopAsync((i) => getMany(batches[i % batches.length]!), minMs);
    measured.set('get-many', { timing: { ops: calls.ops * size, seconds: calls.seconds } });
  }
  if (opened.iterate) {
    const iterate = opened.iterate;
    collectGarbage();
    let passes = 0;
    let last: unknown;
    const iteration = await timeLoopAsync(async () => {
      const seen = await iterate((entry) => { last = entry; });
      if (seen !== count) throw new Error(`iteration gave ${seen} entries, ${count} were written`);
      passes++;
    }, minMs);
    if (last === undefined) throw new Error('iteration gave no entries');
    measured.set('iterate', { timing: { ops: passes * count, seconds: iteration.seconds } });
  }
}

/**
 * Single writes of new keys (`set-<i>`, …) with the workload's values, each kind in a timed loop: as many as fit in
 * WRITE_LOOP_FACTOR × `minMs`, so a store that flushes every commit to disk writes a few hundred, a fast one thousands.
 */
async function measureSingleWrites(opened: OpenStore, workload: Workload<unknown>, readMs: number, measured: Measured): Promise<void> {
  const { values } = workload;
  const minMs = readMs * WRITE_LOOP_FACTOR;
  const valueAt = (i: number) => values[i % values.length];
  if (opened.set) {
    const set = opened.set;
    collectGarbage();
    const timing = await timeLoopAsync((i) => set(`set-${i}`, valueAt(i)), minMs);
    measured.set('set', { timing, writes: timing.ops });
  }
  if (opened.setSync) {
    const setSync = opened.setSync;
    collectGarbage();
    const timing = timeLoop((i) => setSync(`set-sync-${i}`, valueAt(i)), minMs);
    measured.set('set-sync', { timing, writes: timing.ops });
  }
  if (opened.setConcurrent) {
    const setConcurrent = opened.setConcurrent;
    const together = CONCURRENT_WRITES[workload.name];
    const batch = (call: number): Pairs => Array.from({ length: together }, (_, j) => {
      const i = call * together + j;
      return [`concurrent-${i}`, valueAt(i)] as const;
    });
    collectGarbage();
    const calls = await timeLoopAsync((call) => setConcurrent(batch(call)), minMs);
    const writes = calls.ops * together;
    measured.set('set-concurrent', { timing: { ops: writes, seconds: calls.seconds }, writes });
  }
}

/**
 * One store on one workload, in a temp root of its own: fill it in key order, read in the shuffled order (awaited,
 * synchronously, many at a time, iteration; what the store offers), then, for stores filled in bulk, single writes;
 * close, and (first round) measure the disk and note what each op ran and how many writes it made.
 */
async function runStoreCase({ store, root, workload, count, minMs, round }: StoreCase, recorder: Recorder): Promise<void> {
  const key = (op: StoreOp): CaseKey => ({ group: workload.name, subject: store.name, op, yardstick: store.yardstick });
  const measured: Measured = new Map();
  const opened = await openWithTimeout(store, root);
  let fillOp: StoreOp;
  try {
    fillOp = await fill(store, opened, workload, count, measured);
    await measureReads(opened, workload, count, minMs, measured);
    if (store.fill === 'bulk') await measureSingleWrites(opened, workload, minMs, measured);
  } finally {
    // What was measured counts even when a later op failed.
    if (round !== undefined) for (const [op, { timing }] of measured) recorder.sample(key(op), round, timing);
    await opened.close();
  }
  if (round !== 0) return;
  // Measured after close, when engines have flushed (sqlite checkpoints its WAL, for one).
  const entries = [...measured.values()].reduce((sum, { writes = 0 }) => sum + writes, 0);
  const fillKey = key(fillOp);
  recorder.note(fillKey, 'JSON B/entry', Math.round(workload.jsonBytes / workload.keys.length));
  if (opened.path) {
    const usage = diskUsage(opened.path);
    recorder.note(fillKey, 'disk B/entry', Math.round(usage.allocatedBytes / entries));
    recorder.note(fillKey, 'apparent B/entry', Math.round(usage.apparentBytes / entries));
    recorder.note(fillKey, 'files', usage.files);
    recorder.note(fillKey, 'folders', usage.folders);
  }
  for (const [op, { writes }] of measured) {
    if (writes !== undefined) recorder.note(key(op), 'writes (round 1)', writes);
    const via = store.via?.[op];
    if (via) recorder.note(key(op), 'via', via);
  }
}

/** Case ids of the two workloads: `small('lmdb', 'get-sync')` is `small/lmdb/get-sync`. */
const small = (subject: string, op: StoreOp) => `small/${subject}/${op}`;
const large = (subject: string, op: StoreOp) => `large/${subject}/${op}`;

const FIGURES: readonly FigureSpec[] = [
  {
    name: 'pairtree sync get / plain files readFileSync+JSON.parse get (small)',
    numerator: [small('pairtree', 'get-sync'), small('pairtree', 'get')],
    denominator: [small('plain-files', 'get-sync')],
    target: 0.5,
  },
  {
    name: 'pairtree awaited get / plain files readFileSync+JSON.parse get (small)',
    numerator: [small('pairtree', 'get')],
    denominator: [small('plain-files', 'get-sync')],
  },
  {
    name: 'pairtree awaited get / plain files awaited fs.promises.readFile+JSON.parse get (small)',
    numerator: [small('pairtree', 'get')],
    denominator: [small('plain-files', 'get')],
  },
  {
    name: 'lmdb stash.sync.get / lmdb-js get, msgpack (small)',
    numerator: [small('lmdb', 'get-sync')],
    denominator: [small('lmdb-js', 'get-sync')],
    target: 0.5,
  },
  {
    name: 'lmdb await stash.get / lmdb-js get, msgpack (small)',
    numerator: [small('lmdb', 'get')],
    denominator: [small('lmdb-js', 'get-sync')],
    target: 0.33,
  },
  {
    name: 'lmdb update() of the workload / lmdb-js putSync × all in one transactionSync (small)',
    numerator: [small('lmdb', 'set-many')],
    denominator: [small('lmdb-js', 'set-many')],
    target: 0.5,
  },
  {
    name: 'lmdb 1,000 concurrent stash.set / lmdb-js 1,000 db.put fired together (small)',
    numerator: [small('lmdb', 'set-concurrent')],
    denominator: [small('lmdb-js', 'set-concurrent')],
    target: 0.5,
  },
  {
    name: 'lmdb sequential await stash.set / lmdb-js sequential await db.put, default durability both (small)',
    numerator: [small('lmdb', 'set')],
    denominator: [small('lmdb-js', 'set')],
    target: 0.8,
  },
  {
    name: 'lmdb stash.sync.set / lmdb-js putSync, one commit each (small)',
    numerator: [small('lmdb', 'set-sync')],
    denominator: [small('lmdb-js', 'set-sync')],
  },
  {
    name: 'lmdb stash.sync.get / lmdb-js get, msgpack (100 KB)',
    numerator: [large('lmdb', 'get-sync')],
    denominator: [large('lmdb-js', 'get-sync')],
  },
  {
    name: 'sqlite stash.sync.get / better-sqlite3 get + hashstash deserialize (small)',
    numerator: [small('sqlite', 'get-sync')],
    denominator: [small('better-sqlite3-blob', 'get-sync')],
    target: 0.5,
  },
  {
    name: 'sqlite update() of the workload / better-sqlite3 inserts in one transaction (small)',
    numerator: [small('sqlite', 'set-many')],
    denominator: [small('better-sqlite3', 'set-many')],
    target: 0.5,
  },
  {
    name: 'sqlite stash.sync.set / better-sqlite3 autocommit insert (small)',
    numerator: [small('sqlite', 'set-sync')],
    denominator: [small('better-sqlite3', 'set-sync')],
  },
  {
    name: 'sqlite stash.sync.get / better-sqlite3 get + hashstash deserialize (100 KB)',
    numerator: [large('sqlite', 'get-sync')],
    denominator: [large('better-sqlite3-blob', 'get-sync')],
  },
  {
    name: 'redis sequential await stash.get / ioredis sequential GET + JSON.parse (small)',
    numerator: [small('redis', 'get')],
    denominator: [small('ioredis', 'get')],
    target: 0.8,
  },
  {
    name: 'redis 1,000 concurrent stash.get / ioredis pipeline of 1,000 GETs + JSON.parse (small)',
    numerator: [small('redis', 'get-concurrent')],
    denominator: [small('ioredis', 'get-concurrent')],
    target: 0.5,
  },
  {
    name: 'redis sequential await stash.get / keyv + @keyv/redis await keyv.get (small)',
    numerator: [small('redis', 'get')],
    denominator: [small('keyv-redis', 'get')],
    target: 1,
  },
  {
    name: 'redis sequential await stash.set / keyv + @keyv/redis await keyv.set (small)',
    numerator: [small('redis', 'set')],
    denominator: [small('keyv-redis', 'set')],
    target: 1,
  },
  {
    name: 'redis sequential await stash.set / ioredis sequential SET of JSON.stringify (small)',
    numerator: [small('redis', 'set')],
    denominator: [small('ioredis', 'set')],
  },
  {
    name: 'redis 1,000 concurrent stash.set / ioredis pipeline of 1,000 SETs (small)',
    numerator: [small('redis', 'set-concurrent')],
    denominator: [small('ioredis', 'set-concurrent')],
  },
  {
    name: 'redis update() of the workload / ioredis pipelines of 1,000 SETs (small)',
    numerator: [small('redis', 'set-many')],
    denominator: [small('ioredis', 'set-many')],
  },
  {
    name: 'mongo sequential await stash.get / mongodb findOne({ _id }) + JSON.parse (small)',
    numerator: [small('mongo', 'get')],
    denominator: [small('mongodb', 'get')],
    target: 0.8,
  },
  {
    name: 'mongo sequential await stash.set / mongodb replaceOne upsert of JSON.stringify (small)',
    numerator: [small('mongo', 'set')],
    denominator: [small('mongodb', 'set')],
    target: 0.8,
  },
  {
    name: 'mongo sequential await stash.get / mongodb findOne({ _id }), value as BSON (small)',
    numerator: [small('mongo', 'get')],
    denominator: [small('mongodb-bson', 'get')],
  },
  {
    name: 'mongo sequential await stash.set / mongodb replaceOne upsert, value as BSON (small)',
    numerator: [small('mongo', 'set')],
    denominator: [small('mongodb-bson', 'set')],
  },
  {
    name: 'mongo update() of the workload / mongodb insertMany of 1,000 docs (small)',
    numerator: [small('mongo', 'set-many')],
    denominator: [small('mongodb', 'set-many')],
  },
];

export const stashSuite: Suite = {
  name: 'stash',
  title: 'Stores: the library through its facade, plain files written by hand, lmdb-js, better-sqlite3, ioredis, keyv and mongodb used directly',
  subjects: STORES.map(({ name, yardstick, peers }) => ({ name, yardstick, ...(peers ? { peers } : {}) })),
  figures: FIGURES,

  async run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>) {
    const stores = STORES.filter((store) => selected.has(store.name));
    // --quick: the small workload only, as in the peers suite; the per-case cost of opening stores dominates there.
    const workloads: Workload<unknown>[] = config.quick ? [config.small()] : [config.small(), config.large()];

    // Roots are removed when the suite ends, not after each case: on this VM's disk (ext4 mounted with discard)
    // a mass delete slows the file writes that follow for seconds, which would penalize whichever store runs next.
    const roots: string[] = [];
    const attempt = async (storeCase: Omit<StoreCase, 'root'>) => {
      if (recorder.isMissing(storeCase.store.name)) return;
      if (storeCase.store.workloads && !storeCase.store.workloads.includes(storeCase.workload.name)) return;
      const root = makeTempRoot();
      roots.push(root);
      const awake = storeCase.store.server ? await keepAwake() : undefined;
      try {
        await runStoreCase({ ...storeCase, root }, recorder);
      } catch (error) {
        const phase = storeCase.round === undefined ? 'warm-up' : `round ${storeCase.round + 1}`;
        recorder.missing(storeCase.store.name, `${storeCase.workload.name}, ${phase}: ${(error as Error).message}`);
      } finally {
        await awake?.stop();
      }
    };

    try {
      await startServers(stores.flatMap((store) => (store.server ? [store.server] : [])), config.log);
      for (const workload of workloads) {
        for (const store of stores) {
          const count = Math.min(WARMUP_ENTRIES[workload.name], store.entries ?? Infinity, workload.keys.length);
          await attempt({ store, workload, count, minMs: config.minMs / 4, round: undefined });
        }
      }
      for (let round = 0; round < config.rounds; round++) {
        for (const workload of workloads) {
          for (const store of rotate(stores, round)) {
            await attempt({ store, workload, count: Math.min(store.entries ?? Infinity, workload.keys.length), minMs: config.minMs, round });
          }
        }
        config.log(`  stash: round ${round + 1}/${config.rounds} done`);
      }
    } finally {
      await stopServers();
      const start = performance.now();
      await removeTempRoots(roots);
      config.log(`  stash: removed ${roots.length} temp folders in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    }
  },
};
