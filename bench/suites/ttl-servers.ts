import { basename } from 'node:path';
import { collectGarbage, timeLoopAsync, timeOnce, type Timing } from '../measure.js';
import type { Recorder } from '../recorder.js';
import { serverUrlOrMissing, startServers, stopServers } from '../servers.js';
import type { BenchConfig, FigureSpec, Subject, Suite } from '../suite.js';
import { keepAwake } from '../keep-awake.js';
import { makeTempRoot, removeTempRoots } from '../temp-roots.js';

/**
 * Expiry on the redis engine (issue 16):
 * - `purge-expired`: `purgeExpired()` of PURGE_ENTRIES entries that have all expired (quick: 20,000), in entries/s.
 *   Each round writes them anew through the engine (setMany of v2 blobs, untimed), with a clock of its own that then
 *   moves past their expiry, and times one purge.
 * - `get-ttl` / `set-ttl`: sequential awaited `stash.get` and ttl writes of the small records, every entry with a
 *   ttl of an hour, against keyv + @keyv/redis with the same ttl (`keyv.set(key, value, ttl)`, `keyv.get`). The two
 *   stores take turns in SLICES short slices per op (as the stash suite's server cases do), with one core kept awake.
 *   A ttl write goes through `stash.set(key, value, { ttl })` where the facade has it; before that, the same work by
 *   hand: the stash's blob format packs the value with its expiry and the stash's engine stores it.
 */
const TTL_MS = 60 * 60 * 1000;
const PURGE_ENTRIES = { full: 100_000, quick: 20_000 } as const;
const SLICES = 20;
const GROUP = 'small';
const SUBJECTS: readonly Subject[] = [
  { name: 'redis', yardstick: false },
  { name: 'keyv-redis', yardstick: true, peers: ['redis'] },
];

const FIGURES: readonly FigureSpec[] = [
  {
    name: 'redis purgeExpired() of 100,000 expired entries (quick: 20,000): ≥ 20,000 entries/s',
    numerator: [`${GROUP}/redis/purge-expired`],
    denominator: [],
    target: 20_000,
  },
  {
    name: 'redis sequential await stash.get, ttl on every entry / keyv + @keyv/redis await keyv.get, ttl on every entry (small)',
    numerator: [`${GROUP}/redis/get-ttl`],
    denominator: [`${GROUP}/keyv-redis/get-ttl`],
    target: 1,
  },
  {
    name: 'redis sequential await stash.set with ttl / keyv + @keyv/redis await keyv.set with ttl (small)',
    numerator: [`${GROUP}/redis/set-ttl`],
    denominator: [`${GROUP}/keyv-redis/set-ttl`],
    target: 1,
  },
];

type Stash = import('../../src/index.js').HashStash<string, unknown>;

interface TtlStore {
  readonly subject: string;
  set(key: string, value: unknown): Promise<unknown>;
  get(key: string): Promise<unknown>;
  close(): Promise<void>;
}

/** hashstash on redis, writing with a ttl: through the facade's `ttl` when it has one, else packed by hand. */
async function openHashStash(root: string, url: string): Promise<TtlStore> {
  const { HashStash } = await import('../../src/index.js');
  const { engineFactory } = await import('../../src/engines/index.js');
  const { blobFormat } = await import('../../src/stash-format.js');
  const { encodeKey } = await import('../../src/keys/encode.js');
  const stash: Stash = new HashStash({ root, engine: 'redis', url });
  await stash.get('probe');
  let set: (key: string, value: unknown) => Promise<unknown>;
  let close = () => stash.close();
  // Not `'expiresAt' in stash`: where the facade has it, TypeScript would make the other branch unreachable.
  if (typeof (stash as { expiresAt?: unknown }).expiresAt === 'function') {
    const withTtl = stash.set as unknown as (key: string, value: unknown, options: { ttl: number }) => Promise<unknown>;
    set = (key, value) => withTtl.call(stash, key, value, { ttl: TTL_MS });
  } else {
    const namespace = [root, stash.name, basename(stash.path)].join('/');
    const engine = engineFactory('redis')({ path: stash.path, namespace, readonly: false, url, now: Date.now });
    const format = blobFormat({ serializer: 'hashstash', compress: 'lz4', b64: false, trustCode: false });
    set = (key, value) => engine.set(encodeKey(key), format.pack(value, Date.now() + TTL_MS));
    close = async () => {
      await engine.close();
      await stash.close();
    };
  }
  return {
    subject: 'redis',
    set,
    get: (key) => stash.get(key),
    async close() {
      await stash.clear();
      await close();
    },
  };
}

async function openKeyv(root: string, url: string): Promise<TtlStore> {
  const { createKeyv } = await import('@keyv/redis');
  const keyv = createKeyv(url, { namespace: `hashstash-bench-${basename(root)}`, throwOnErrors: true });
  await keyv.get('hashstash-bench-probe');
  return {
    subject: 'keyv-redis',
    set: (key, value) => keyv.set(key, value, TTL_MS),
    get: (key) => keyv.get(key),
    async close() {
      try {
        await keyv.clear();
      } finally {
        await keyv.disconnect();
      }
    },
  };
}

/** Times `op` on each store in SLICES slices that take turns; the sums per store. */
async function interleaved(
  stores: readonly TtlStore[],
  op: (store: TtlStore, index: number) => Promise<unknown>,
  minMs: number,
): Promise<Map<TtlStore, Timing>> {
  const totals = new Map(stores.map((store) => [store, { ops: 0, seconds: 0 }]));
  const next = new Map(stores.map((store) => [store, 0]));
  for (let slice = 0; slice < SLICES; slice++) {
    for (const store of slice % 2 ? [...stores].reverse() : stores) {
      const start = next.get(store)!;
      const timing = await timeLoopAsync((i) => op(store, start + i), minMs / SLICES);
      next.set(store, start + timing.ops);
      const total = totals.get(store)!;
      totals.set(store, { ops: total.ops + timing.ops, seconds: total.seconds + timing.seconds });
    }
  }
  return totals;
}

/** Writes `count` entries that expire at START + 1 through the engine, moves its clock past them, times one purge. */
async function purgeRound(url: string, root: string, count: number, round: number): Promise<Timing> {
  const { engineFactory } = await import('../../src/engines/index.js');
  const { blobFormat } = await import('../../src/stash-format.js');
  const format = blobFormat({ serializer: 'hashstash', compress: 'lz4', b64: false, trustCode: false });
  const clock = { now: 1_000_000_000_000 };
  const namespace = `${root}/purge-${round}`;
  const engine = engineFactory('redis')({ path: namespace, namespace, readonly: false, url, now: () => clock.now });
  try {
    await engine.clear();
    const value = format.pack({ id: 1, name: 'expired entry', tags: ['a', 'b'] }, clock.now + 1);
    await engine.setMany(
      (function* () {
        for (let i = 0; i < count; i++) yield [Buffer.from(`key-${i}`), value] as [Uint8Array, Uint8Array];
      })(),
    );
    clock.now += 10;
    collectGarbage();
    const timing = await timeOnce(() => engine.purgeExpired!());
    if (timing.ops !== count) throw new Error(`purgeExpired removed ${timing.ops} entries of ${count}`);
    if ((await engine.size()) !== 0) throw new Error('entries are left after purgeExpired');
    return timing;
  } finally {
    await engine.clear().catch(() => {});
    await engine.close();
  }
}

export const ttlServersSuite: Suite = {
  name: 'ttl-servers',
  title: 'Expiry on the server engines: redis purgeExpired, and redis with ttl against keyv + @keyv/redis with ttl',
  subjects: SUBJECTS,
  figures: FIGURES,

  async run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>) {
    await startServers(['redis'], config.log);
    const roots: string[] = [];
    const stores: TtlStore[] = [];
    const awake = await keepAwake();
    try {
      const url = serverUrlOrMissing('redis', selected, (subject, reason) => recorder.missing(subject, reason));
      if (url === undefined) return;
      const { keys, values, readOrder } = config.small();
      for (const [name, open] of [
        ['redis', openHashStash],
        ['keyv-redis', openKeyv],
      ] as const) {
        if (!selected.has(name)) continue;
        const root = makeTempRoot();
        roots.push(root);
        try {
          const store = await open(root, url);
          for (let i = 0; i < keys.length; i++) await store.set(keys[i], values[i]);
          stores.push(store);
        } catch (error) {
          recorder.missing(name, (error as Error).message);
        }
      }
      const purgeCount = config.quick ? PURGE_ENTRIES.quick : PURGE_ENTRIES.full;
      const purgeRoot = makeTempRoot();
      roots.push(purgeRoot);
      for (let round = 0; round < config.rounds; round++) {
        if (selected.has('redis')) {
          const timing = await purgeRound(url, purgeRoot, purgeCount, round);
          recorder.sample({ group: GROUP, subject: 'redis', op: 'purge-expired' }, round, timing);
          recorder.note({ group: GROUP, subject: 'redis', op: 'purge-expired' }, 'entries', purgeCount);
        }
        if (stores.length === 0) continue;
        collectGarbage();
        const gets = await interleaved(
          stores,
          (store, i) => store.get(keys[readOrder[i % readOrder.length]]),
          config.minMs,
        );
        for (const [store, timing] of gets)
          recorder.sample({ group: GROUP, subject: store.subject, op: 'get-ttl' }, round, timing);
        collectGarbage();
        const sets = await interleaved(
          stores,
          (store, i) => store.set(`new-${round}-${i}`, values[i % values.length]),
          config.minMs,
        );
        for (const [store, timing] of sets)
          recorder.sample({ group: GROUP, subject: store.subject, op: 'set-ttl' }, round, timing);
      }
    } finally {
      await awake.stop();
      await Promise.allSettled(stores.map((store) => store.close()));
      await removeTempRoots(roots);
      await stopServers();
    }
  },
};
