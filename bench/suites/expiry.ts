import { join } from 'node:path';
import { collectGarbage, rotate, timeLoop, timeLoopAsync, timeOnce, type Timing } from '../measure.js';
import type { CaseKey, Recorder } from '../recorder.js';
import type { BenchConfig, FigureSpec, Subject, Suite } from '../suite.js';
import { makeTempRoot, removeTempRoots } from '../temp-roots.js';

/**
 * Expiry (issue 16), three kinds of case:
 * - `small/lmdb/get-sync` and `get-sync-ttl`: `stash.sync.get` of the small workload on lmdb, from a stash written
 *   without a ttl and from one whose every entry has one (`update(pairs, { ttl: '7d' })`), in the workload's
 *   shuffled order. The figure, ttl / none, is what the expiry check costs the hottest read.
 * - `purge/<engine>/purge-expired`: `purgeExpired()` of PURGE_ENTRIES expired entries (written with a ttl on a clock
 *   that is then moved past it), timed as one pass: ops/s is entries removed per second. A fresh stash each round.
 * - `ttl/sqlite/*` against `ttl/keyv-sqlite/*`: `await stash.set(key, value, { ttl: '1h' })` and `await stash.get`
 *   beside keyv 5 + @keyv/sqlite with `keyv.set(key, value, 3_600_000)` and `keyv.get`: both stores hold
 *   TTL_ENTRIES entries written with the ttl (untimed), then reads of those and writes to new keys are timed.
 */
const PURGE_ENTRIES = 100_000;
const QUICK_PURGE_ENTRIES = 20_000;
const TTL_ENTRIES = 2_000;
const HOUR = 3_600_000;

const SUBJECTS: readonly Subject[] = [
  { name: 'lmdb', yardstick: false },
  { name: 'sqlite', yardstick: false },
  { name: 'keyv-sqlite', yardstick: true, peers: ['sqlite'] },
];

const FIGURES: readonly FigureSpec[] = [
  {
    name: 'lmdb stash.sync.get with a ttl on every entry / without (small)',
    numerator: ['small/lmdb/get-sync-ttl'],
    denominator: ['small/lmdb/get-sync'],
    target: 0.85,
  },
  {
    name: 'lmdb purgeExpired() of 100,000 expired entries: entries/s',
    numerator: ['purge/lmdb/purge-expired'],
    denominator: [],
    target: 50_000,
  },
  {
    name: 'sqlite purgeExpired() of 100,000 expired entries: entries/s',
    numerator: ['purge/sqlite/purge-expired'],
    denominator: [],
    target: 50_000,
  },
  {
    name: 'sqlite await stash.get / keyv + @keyv/sqlite get, both written with a ttl (small)',
    numerator: ['ttl/sqlite/get'],
    denominator: ['ttl/keyv-sqlite/get'],
    target: 10,
  },
  {
    name: 'sqlite await stash.set / keyv + @keyv/sqlite set, both with a ttl (small)',
    numerator: ['ttl/sqlite/set'],
    denominator: ['ttl/keyv-sqlite/set'],
    target: 10,
  },
];

/** A clock for the purge cases: moved past every ttl before the purge is timed. */
function manualClock(start: number): { (): number; now: number } {
  const clock = (() => clock.now) as { (): number; now: number };
  clock.now = start;
  return clock;
}

async function measureGetSync(config: BenchConfig, recorder: Recorder, root: string): Promise<void> {
  const { HashStash } = await import('../../src/index.js');
  const { keys, values, readOrder } = config.small();
  const plain = new HashStash({ root, name: 'plain', engine: 'lmdb' });
  const expiring = new HashStash({ root, name: 'ttl', engine: 'lmdb' });
  try {
    const pairs = keys.map((key, i) => [key, values[i]] as const);
    await plain.update(pairs);
    await expiring.update(pairs, { ttl: '7d' });
    const probe = keys[readOrder[0]];
    if (expiring.sync.get(probe) === undefined || (await expiring.expiresAt(probe)) === null) {
      throw new Error('the ttl stash does not hold expiring entries');
    }
    const views = { 'get-sync': plain.sync, 'get-sync-ttl': expiring.sync } as const;
    const ops = Object.keys(views) as (keyof typeof views)[];
    const measure = (op: keyof typeof views, minMs: number): Timing => {
      const view = views[op];
      return timeLoop((i) => view.get(keys[readOrder[i % readOrder.length]]), minMs);
    };
    const key = (op: string): CaseKey => ({ group: 'small', subject: 'lmdb', op });
    for (const op of ops) measure(op, config.minMs / 4);
    for (let round = 0; round < config.rounds; round++) {
      for (const op of rotate(ops, round)) {
        collectGarbage();
        recorder.sample(key(op), round, measure(op, config.minMs));
      }
    }
    recorder.note(key('get-sync'), 'via', 'stash.sync.get, entries written by update(pairs)');
    recorder.note(key('get-sync-ttl'), 'via', "stash.sync.get, entries written by update(pairs, { ttl: '7d' })");
  } finally {
    await plain.close();
    await expiring.close();
  }
}

async function measurePurge(
  config: BenchConfig,
  recorder: Recorder,
  engines: readonly ('lmdb' | 'sqlite')[],
): Promise<void> {
  const { HashStash } = await import('../../src/index.js');
  const count = config.quick ? QUICK_PURGE_ENTRIES : PURGE_ENTRIES;
  const { keys, values } = config.small();
  for (let round = 0; round < config.rounds; round++) {
    for (const engine of rotate(engines, round)) {
      const root = makeTempRoot();
      const clock = manualClock(1_800_000_000_000);
      const stash = new HashStash({ root, engine, clock });
      try {
        await stash.setMany(
          (function* () {
            for (let i = 0; i < count; i++) yield [`purge-${i}`, values[i % keys.length]] as const;
          })(),
          { ttl: '1h' },
        );
        await stash.set('kept', 1);
        clock.now += HOUR;
        collectGarbage();
        const timing = await timeOnce(() => stash.purgeExpired());
        if (timing.ops !== count)
          throw new Error(`${engine}: purgeExpired removed ${timing.ops} of ${count} expired entries`);
        if ((await stash.size()) !== 1) throw new Error(`${engine}: the entry without a ttl did not survive the purge`);
        const key: CaseKey = { group: 'purge', subject: engine, op: 'purge-expired' };
        recorder.sample(key, round, timing);
        recorder.note(key, 'entries', count);
        recorder.note(
          key,
          'via',
          'await stash.purgeExpired() of entries written by setMany(…, { ttl }), the clock moved past them',
        );
      } catch (error) {
        recorder.missing(engine, (error as Error).message);
      } finally {
        await stash.close();
        await removeTempRoots([root]);
      }
    }
  }
}

/** What the ttl cases drive: the same four operations on hashstash's sqlite engine and on keyv-sqlite. */
interface TtlStore {
  set(key: string, value: unknown): Promise<unknown>;
  get(key: string): Promise<unknown>;
  close(): Promise<void>;
}

async function openTtlStore(subject: 'sqlite' | 'keyv-sqlite', root: string): Promise<TtlStore> {
  if (subject === 'sqlite') {
    const { HashStash } = await import('../../src/index.js');
    const stash = new HashStash({ root, engine: 'sqlite' });
    const options = { ttl: '1h' } as const;
    return {
      set: (key, value) => stash.set(key, value, options),
      get: (key) => stash.get(key),
      close: () => stash.close(),
    };
  }
  const { createKeyv } = await import('@keyv/sqlite');
  const keyv = createKeyv(`sqlite://${join(root, 'data.sqlite')}`);
  keyv.throwOnErrors = true;
  await keyv.set('hashstash-bench-probe', null, HOUR);
  await keyv.delete('hashstash-bench-probe');
  return {
    set: (key, value) => keyv.set(key, value, HOUR),
    get: (key) => keyv.get(key),
    close: () => keyv.disconnect(),
  };
}

async function measureTtlPeers(
  config: BenchConfig,
  recorder: Recorder,
  subjects: readonly ('sqlite' | 'keyv-sqlite')[],
): Promise<void> {
  const { keys, values, readOrder } = config.small();
  const count = Math.min(TTL_ENTRIES, keys.length);
  const readable = readOrder.filter((index) => index < count);
  const stores = new Map<string, TtlStore>();
  const roots: string[] = [];
  try {
    for (const subject of subjects) {
      const root = makeTempRoot();
      roots.push(root);
      try {
        const store = await openTtlStore(subject, root);
        for (let i = 0; i < count; i++) await store.set(keys[i], values[i]);
        if ((await store.get(keys[0])) === undefined) throw new Error(`${subject} did not keep what it was given`);
        stores.set(subject, store);
      } catch (error) {
        recorder.missing(subject, (error as Error).message);
      }
    }
    const ops = ['get', 'set'] as const;
    let written = 0;
    const measure = (store: TtlStore, op: (typeof ops)[number], minMs: number): Promise<Timing> =>
      op === 'get'
        ? timeLoopAsync((i) => store.get(keys[readable[i % readable.length]]), minMs)
        : timeLoopAsync((i) => store.set(`new-${written++}`, values[i % values.length]), minMs);
    for (const [, store] of stores) for (const op of ops) await measure(store, op, config.minMs / 4);
    const cases = [...stores.keys()].flatMap((subject) => ops.map((op) => [subject, op] as const));
    for (let round = 0; round < config.rounds; round++) {
      for (const [subject, op] of rotate(cases, round)) {
        collectGarbage();
        const key: CaseKey = { group: 'ttl', subject, op, yardstick: subject === 'keyv-sqlite' };
        recorder.sample(key, round, await measure(stores.get(subject)!, op, config.minMs));
      }
    }
    for (const subject of stores.keys()) {
      const keyv = subject === 'keyv-sqlite';
      const key = (op: string): CaseKey => ({ group: 'ttl', subject, op, yardstick: keyv });
      recorder.note(
        key('get'),
        'via',
        keyv ? 'await keyv.get (entries set with a ttl of 1 h)' : "await stash.get (entries set with { ttl: '1h' })",
      );
      recorder.note(
        key('set'),
        'via',
        keyv
          ? 'await keyv.set(key, value, 3_600_000), new keys'
          : "await stash.set(key, value, { ttl: '1h' }), new keys",
      );
      recorder.note(key('get'), 'entries', count);
    }
  } finally {
    for (const store of stores.values()) await store.close();
    await removeTempRoots(roots);
  }
}

export const expirySuite: Suite = {
  name: 'expiry',
  title: 'Expiry: sync.get with and without a ttl, purgeExpired, sqlite against keyv-sqlite with a ttl',
  subjects: SUBJECTS,
  figures: FIGURES,

  async run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>) {
    if (selected.has('lmdb')) {
      const root = makeTempRoot();
      try {
        await measureGetSync(config, recorder, root);
      } catch (error) {
        recorder.missing('lmdb', (error as Error).message);
      } finally {
        await removeTempRoots([root]);
      }
    }
    const engines = (['lmdb', 'sqlite'] as const).filter((engine) => selected.has(engine));
    if (engines.length) await measurePurge(config, recorder, engines);
    const peers = (['sqlite', 'keyv-sqlite'] as const).filter((subject) => selected.has(subject));
    if (peers.includes('sqlite')) await measureTtlPeers(config, recorder, peers);
  },
};
