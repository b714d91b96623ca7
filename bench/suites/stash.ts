import { performance } from 'node:perf_hooks';
import { diskUsage } from '../disk-usage.js';
import { rotate } from '../measure.js';
import type { CaseKey, Recorder } from '../recorder.js';
import { betterSqlite3, betterSqlite3Blob } from '../stores/better-sqlite3.js';
import { startServers, stopServers } from '../servers.js';
import { hashStashStore } from '../stores/hashstash.js';
import { ioredisRaw } from '../stores/ioredis.js';
import { keyvRedis } from '../stores/keyv-redis.js';
import { lmdbJs, lmdbJsBinary, lmdbJsFlushed } from '../stores/lmdb-js.js';
import { MONGO_ENTRIES, mongodbBson, mongodbJson } from '../stores/mongodb.js';
import { plainFiles } from '../stores/plain-files.js';
import {
  fill,
  readLoops,
  runInterleaved,
  runLoops,
  writeLoops,
  type InterleavedCase,
  type Measured,
} from '../store-loops.js';
import type { BenchStore, OpenStore, StoreOp } from '../stores/store.js';
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
  hashStashStore('mongo', {
    fill: 'bulk',
    server: 'mongo',
    workloads: ['small'],
    entries: MONGO_ENTRIES,
    getConcurrent: false,
  }),
  plainFiles,
  lmdbJs,
  lmdbJsFlushed,
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

/**
 * Single-write loops run this many times `minMs`: each fsync-bound write takes about a millisecond, its latency
 * varies from commit to commit on this disk, and a few hundred of them average that out where a few dozen do not.
 */
const WRITE_LOOP_FACTOR = 3;

/** The stores of one server time each op in this many slices, taking turns (see runInterleaved). */
const SERVER_SLICES = 50;

/** A case: one local store, or every store of one server, measured together. */
interface StoreCase {
  readonly stores: readonly BenchStore[];
  readonly workload: Workload<unknown>;
  /** Entries to write (all of the workload's, or the store's limit, except when warming up). */
  readonly count: (store: BenchStore) => number;
  readonly minMs: number;
  /** Undefined when warming up: nothing is recorded. */
  readonly round: number | undefined;
}

/** A store of a case, open in a temp root of its own, and what it measured. */
interface Opened {
  readonly store: BenchStore;
  readonly opened: OpenStore;
  readonly measured: Measured;
  readonly fillOp: StoreOp;
}

/**
 * Opens and fills every store of a case, then times their reads in the shuffled order and, for stores filled in bulk,
 * single writes to new keys: one after another for a local store, interleaved for the stores of one server. Then
 * closes them, records what each measured (also what came before a failure) and, in the first round, notes the disk
 * used and each op's writes. A store that fails is reported missing with the reason; the others go on.
 */
async function runStoreCase(
  { stores, workload, count, minMs, round }: StoreCase,
  recorder: Recorder,
  roots: string[],
): Promise<void> {
  const phase = round === undefined ? 'warm-up' : `round ${round + 1}`;
  const failed = (name: string, error: unknown) =>
    recorder.missing(name, `${workload.name}, ${phase}: ${(error as Error).message}`);
  const open: Opened[] = [];
  const cases: InterleavedCase[] = [];
  try {
    for (const store of stores) {
      const root = makeTempRoot();
      roots.push(root);
      let opened: OpenStore | undefined;
      try {
        opened = await openWithTimeout(store, root);
        const measured: Measured = new Map();
        const filled = await fill(store, opened, workload, { count: count(store) });
        measured.set(filled.op, filled.result);
        open.push({ store, opened, measured, fillOp: filled.op });
        const settings = { workload, entries: filled.result.timing.ops, minMs, writeFactor: WRITE_LOOP_FACTOR };
        const loops = await readLoops(opened, settings);
        if (store.fill === 'bulk') loops.push(...writeLoops(opened, settings));
        cases.push({ name: store.name, loops, measured });
      } catch (error) {
        if (opened && !open.some((o) => o.opened === opened)) await opened.close().catch(() => {});
        failed(store.name, error);
      }
    }
    if (cases.length === 1) {
      await runLoops(cases[0].loops, cases[0].measured).catch((error: unknown) => failed(cases[0].name, error));
    } else if (cases.length > 1) {
      await runInterleaved(cases, SERVER_SLICES, failed);
    }
  } finally {
    for (const { store, opened, measured, fillOp } of open) {
      const key = (op: StoreOp): CaseKey => ({
        group: workload.name,
        subject: store.name,
        op,
        yardstick: store.yardstick,
      });
      if (round !== undefined) for (const [op, { timing }] of measured) recorder.sample(key(op), round, timing);
      try {
        await opened.close();
      } catch (error) {
        failed(store.name, error);
        continue;
      }
      if (round === 0) noteFirstRound(store, opened, workload, measured, key(fillOp), key, recorder);
    }
  }
}

/** Measured after close, when engines have flushed (sqlite checkpoints its WAL, for one). */
function noteFirstRound(
  store: BenchStore,
  opened: OpenStore,
  workload: Workload<unknown>,
  measured: Measured,
  fillKey: CaseKey,
  key: (op: StoreOp) => CaseKey,
  recorder: Recorder,
): void {
  const entries = [...measured.values()].reduce((sum, { writes = 0 }) => sum + writes, 0);
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
    name: 'lmdb 1,000 concurrent stash.set (flushed) / lmdb-js 1,000 db.put fired together, its defaults (small)',
    numerator: [small('lmdb', 'set-concurrent')],
    denominator: [small('lmdb-js', 'set-concurrent')],
    target: 0.5,
  },
  {
    name: 'lmdb sequential await stash.set (flushed) / lmdb-js sequential await db.put, its defaults: flushed after (small)',
    numerator: [small('lmdb', 'set')],
    denominator: [small('lmdb-js', 'set')],
    target: 0.8,
  },
  {
    name: "lmdb 1,000 concurrent stash.set / lmdb-js 1,000 db.put fired together, the engine's commit settings (small)",
    numerator: [small('lmdb', 'set-concurrent')],
    denominator: [small('lmdb-js-flushed', 'set-concurrent')],
  },
  {
    name: "lmdb sequential await stash.set / lmdb-js sequential await db.put, the engine's commit settings (small)",
    numerator: [small('lmdb', 'set')],
    denominator: [small('lmdb-js-flushed', 'set')],
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
  title:
    'Stores: the library through its facade, plain files written by hand, lmdb-js, better-sqlite3, ioredis, keyv and mongodb used directly',
  subjects: STORES.map(({ name, yardstick, peers }) => ({ name, yardstick, ...(peers ? { peers } : {}) })),
  figures: FIGURES,

  async run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>) {
    const stores = STORES.filter((store) => selected.has(store.name));
    // --quick: the small workload only, as in the peers suite; the per-case cost of opening stores dominates there.
    const workloads: Workload<unknown>[] = config.quick ? [config.small()] : [config.small(), config.large()];

    // Roots are removed when the suite ends, not after each case: on this VM's disk (ext4 mounted with discard)
    // a mass delete slows the file writes that follow for seconds, which would penalize whichever store runs next.
    const roots: string[] = [];
    // A case per local store, and one per server holding all its stores (the engine and the libraries beside it).
    const groups: BenchStore[][] = [];
    for (const store of stores) {
      const group = store.server ? groups.find((g) => g[0].server === store.server) : undefined;
      if (group) group.push(store);
      else groups.push([store]);
    }
    const attempt = async (group: readonly BenchStore[], storeCase: Omit<StoreCase, 'stores'>) => {
      const runnable = group.filter(
        (store) =>
          !recorder.isMissing(store.name) && (!store.workloads || store.workloads.includes(storeCase.workload.name)),
      );
      if (runnable.length === 0) return;
      const awake = runnable.some((store) => store.server) ? await keepAwake() : undefined;
      try {
        await runStoreCase({ ...storeCase, stores: runnable }, recorder, roots);
      } finally {
        await awake?.stop();
      }
    };

    try {
      await startServers(
        stores.flatMap((store) => (store.server ? [store.server] : [])),
        config.log,
      );
      for (const workload of workloads) {
        const count = (store: BenchStore) =>
          Math.min(WARMUP_ENTRIES[workload.name], store.entries ?? Infinity, workload.keys.length);
        for (const group of groups)
          await attempt(group, { workload, count, minMs: config.minMs / 4, round: undefined });
      }
      for (let round = 0; round < config.rounds; round++) {
        for (const workload of workloads) {
          const count = (store: BenchStore) => Math.min(store.entries ?? Infinity, workload.keys.length);
          for (const group of rotate(groups, round))
            await attempt(group, { workload, count, minMs: config.minMs, round });
        }
        config.log(`  stash: round ${round + 1}/${config.rounds} done`);
      }
    } finally {
      await stopServers();
      const start = performance.now();
      await removeTempRoots(roots);
      config.log(
        `  stash: removed ${roots.length} temp folders in ${((performance.now() - start) / 1000).toFixed(1)} s`,
      );
    }
  },
};
