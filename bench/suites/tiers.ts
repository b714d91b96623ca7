import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { keepAwake, type KeepAwake } from '../keep-awake.js';
import { runJsonProcess } from '../json-process.js';
import { collectGarbage, rotate, timeLoop, timeLoopAsync, type Timing } from '../measure.js';
import type { CaseKey, Recorder } from '../recorder.js';
import { serverUrlOrMissing, startServers, stopServers } from '../servers.js';
import type { BenchConfig, FigureSpec, Subject, Suite } from '../suite.js';
import { makeTempRoot, removeTempRoots } from '../temp-roots.js';
import { seededRandom } from '../workloads.js';
import { exactLruHitRatios, zipfTrace, type ZipfTrace } from '../zipf.js';
import type { HashStash, TierStats } from '../../src/index.js';

/**
 * A memory tier in front of redis (issue 18): `new HashStash({ engine: 'redis', url, root, name, memory: { maxBytes,
 * evict: 'lru' } })`, the shared-memory engine as tier 0, its default coherence (the tier drops what the change feed
 * of the redis stash reports changed; `coherence: 'none'` would not listen).
 * The data: 100,000 records (quick: 20,000; SIZES) of about 90 bytes as JSON (`{ id, name, score, tags }`, seeded),
 * written once, untimed, through a plain redis stash's `setMany`. The data's bytes are the sum over its raw entries
 * of key bytes + stored blob bytes (`stash.rawEntries()`); the tier's `maxBytes` is TIER_SHARE (10 %) of that. Its
 * entries cost more than that (a 16-byte header, padding) and its budget is counted in segments of 64 KiB, so it holds
 * about 8 % of the keys. The trace: 200,000 reads (quick: 40,000) drawn from Zipf(0.99) over the keys, ranked by a
 * seeded permutation (bench/zipf.ts).
 * - `zipf`: sequential `await get(key)` along the trace, after one untimed pass over all of it, by
 *   `memory-over-redis` (the tiered stash), `redis` (a plain stash over the same data, no tier; its warm-up is the
 *   trace's first WARM_PLAIN reads) and `cacheable` (cacheable 2: `new Cacheable({ primary, secondary })`, primary
 *   its in-memory store `createKeyv({ lruSize })` holding TIER_SHARE of the keys, an LRU by entry count, its closest
 *   equivalent of 10 % of the bytes since the records are all about one size (it holds more keys than the tier);
 *   secondary keyv 5 + @keyv/redis in a
 *   namespace of its own, filled through that keyv, untimed). The three take turns in SLICES slices a round, each
 *   reading on from where it stopped (the trace is read in a loop), with one core kept awake (bench/keep-awake.ts).
 * - `resident`: the memory-tier hit against lru-cache. A second redis stash (its own name) holds the most read keys
 *   whose tier entries fill at most half of `maxBytes` (RESIDENT_MAX at most), a tiered stash of the same `maxBytes`
 *   has them all prefetched (`stash.prefetch(keys)`), and `memory-over-redis` times `await stash.get(key)` over them
 *   in a shuffled order (a tier miss while timed is reported in the notes). `lru-cache` (lru-cache 11, `max` = those
 *   keys) holds the same stash's blobs (from `rawEntries()`) and times `get` plus the stash's own decode of the blob
 *   (`blobFormat(stash.options).unpack`: header and CRC check, then the hashstash deserializer, what `stash.get` does
 *   with a blob), synchronously (`get`, the figure), and inside an async function, awaited (`get-awaited`, for
 *   information).
 * - `cold-trace`, in a child process (bench/suites/tiers-rss.ts), whose tier starts empty: first a plain stash there
 *   reads the trace's first WARM_COLD keys (a fresh process grows its RSS by some 23 MiB over its first 20,000 redis
 *   reads, tier or not: that is the runtime's, not the tier's) and `await stash.prefetch([])` waits until the tier may
 *   take copies (with the default coherence, once the redis change feed is registered: 600 ms, during which reads
 *   copy nothing up; the wait is in the notes). Then the tiered stash reads the trace once, then once more. Tier 0's
 *   hit ratio over the first pass (its hit and miss counters from `stash.stats().tiers[0]`) against an exact LRU's
 *   over the same trace (a Map in recency order, bench/zipf.ts) whose capacity is `maxBytes` and that charges each key
 *   the memory engine's entry size (16 bytes + key bytes and blob bytes, each padded to 8); the figure is
 *   LRU_GAP_POINTS over the absolute difference in percentage points (≥ 1: within 3 points; the signed difference and
 *   the second pass's are in the notes). And the RSS growth over that first pass (its peak over a baseline taken after
 *   a full GC) against 1.2 × maxBytes + 30 MB (figure: budget / growth, ≥ 1).
 * Every case but the cold pass once per round, in a rotated order, after one untimed run each.
 */
const ZIPF_EXPONENT = 0.99;
const TRACE_SEED = 18;
const RECORD_SEED = 19;
const SIZES = { full: { keys: 100_000, reads: 200_000 }, quick: { keys: 20_000, reads: 40_000 } } as const;
/** The tier's share of the data's bytes, and cacheable's memory layer's share of the keys. */
const TIER_SHARE = 0.1;
/** The zipf cases take turns in this many slices a round, each subject reading ZIPF_TIME × minMs in all. */
const SLICES = 20;
const ZIPF_TIME = 5;
/** The plain redis stash reads these first reads of the trace before timing; the others read all of it. */
const WARM_PLAIN = 5_000;
const RESIDENT_MAX = 2_000;
/** The cold pass's process reads this many keys of the trace through a plain stash before its RSS baseline. */
const WARM_COLD = 20_000;
const LRU_GAP_POINTS = 3;
/** The RSS budget: 1.2 × maxBytes + 30 MB. */
const RSS_FACTOR = 1.2;
const RSS_SLACK_BYTES = 30e6;
const SETMANY_CHUNK = 1_000;
const NAME = 'tiers';
const RESIDENT_NAME = 'tiers-resident';
const RSS_SCRIPT = fileURLToPath(new URL('./tiers-rss.js', import.meta.url));

const TIERED = 'memory-over-redis';
const REDIS = 'redis';
const CACHEABLE = 'cacheable';
const LRU_CACHE = 'lru-cache';
const SUBJECTS: readonly Subject[] = [
  { name: TIERED, yardstick: false },
  { name: REDIS, yardstick: true, peers: [TIERED] },
  { name: CACHEABLE, yardstick: true, peers: [TIERED] },
  { name: LRU_CACHE, yardstick: true, peers: [TIERED] },
];

const id = (group: string, subject: string, op: string) => `${group}/${subject}/${op}`;
const FIGURES: readonly FigureSpec[] = [
  {
    name: 'memory tier over redis (10 % of the bytes) / redis alone, sequential await stash.get along a Zipf(0.99) trace over 100,000 small records (quick: 20,000)',
    numerator: [id('zipf', TIERED, 'get')],
    denominator: [id('zipf', REDIS, 'get')],
    target: 5,
  },
  {
    name: 'memory tier over redis / cacheable 2 (its memory LRU of 10 % of the keys over keyv + @keyv/redis), sequential await get, same Zipf(0.99) trace',
    numerator: [id('zipf', TIERED, 'get')],
    denominator: [id('zipf', CACHEABLE, 'get')],
    target: 1,
  },
  {
    name: "memory-tier hit, await stash.get of resident keys / lru-cache 11 get of the stash's blob + its decode (synchronous)",
    numerator: [id('resident', TIERED, 'get')],
    denominator: [id('resident', LRU_CACHE, 'get')],
    target: 0.5,
  },
  {
    name: "memory-tier hit, await stash.get of resident keys / lru-cache 11 get of the stash's blob + its decode in an async function, awaited (for information)",
    numerator: [id('resident', TIERED, 'get')],
    denominator: [id('resident', LRU_CACHE, 'get-awaited')],
  },
  {
    name: `memory tier hit ratio over the Zipf trace from cold, against an exact LRU of maxBytes charged the tier's entry sizes: ${LRU_GAP_POINTS} points / |difference| in points (≥ 1: within ${LRU_GAP_POINTS} points)`,
    numerator: [id('cold-trace', TIERED, 'lru-gap-budget')],
    denominator: [id('cold-trace', TIERED, 'lru-gap-points')],
    target: 1,
  },
  {
    name: 'memory tier over redis: RSS over the Zipf trace from cold, (1.2 × maxBytes + 30 MB) / peak growth',
    numerator: [id('cold-trace', TIERED, 'rss-budget-mib')],
    denominator: [id('cold-trace', TIERED, 'rss-growth-mib')],
    target: 1,
  },
];

interface Row {
  readonly id: number;
  readonly name: string;
  readonly score: number;
  readonly tags: readonly string[];
}

const FIRST_NAMES = ['Ada', 'Alan', 'Barbara', 'Donald', 'Edsger', 'Frances', 'Grace', 'Ken', 'Leslie', 'Margaret'];
const LAST_NAMES = ['Hopper', 'Knuth', 'Lamport', 'Liskov', 'Lovelace', 'Allen', 'Dijkstra', 'Hamilton', 'Turing'];
const TAGS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa'];

/** `count` records of about 90 bytes as JSON, the same in every run. */
function makeRows(count: number): Row[] {
  const random = seededRandom(RECORD_SEED);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  return Array.from({ length: count }, (_, i) => ({
    id: i,
    name: `${pick(FIRST_NAMES)} ${pick(LAST_NAMES)} ${i}`,
    score: Math.round(random() * 1e6) / 100,
    tags: [pick(TAGS), pick(TAGS), pick(TAGS)],
  }));
}

type Stash = HashStash<string, Row>;

/** A redis stash at root/name, with a memory tier of `maxBytes` when given. */
async function openStash(url: string, root: string, name: string, maxBytes?: number): Promise<Stash> {
  const { HashStash } = await import('../../src/index.js');
  const memory = maxBytes === undefined ? undefined : { maxBytes, evict: 'lru' as const };
  return new HashStash<string, Row>({ engine: 'redis', url, root, name, memory });
}

async function tier0(stash: Stash): Promise<TierStats> {
  const tier = (await stash.stats()).tiers?.[0];
  if (!tier) throw new Error('stash.stats() has no tiers[0]: the memory tier is not there');
  return tier;
}

/** What a zipf case reads through. */
interface Reader {
  readonly subject: string;
  get(key: string): Promise<unknown>;
  /** Where along the trace it reads next. */
  cursor: number;
}

/**
 * Reads along the trace on every reader in SLICES slices that take turns, `ms` in all each, every reader going on from
 * its cursor; the sums per reader. A read that finds nothing throws: every key of the trace is stored.
 */
async function readInSlices(
  readers: readonly Reader[],
  trace: ZipfTrace,
  keys: readonly string[],
  ms: number,
): Promise<Map<Reader, Timing>> {
  const totals = new Map(readers.map((reader) => [reader, { ops: 0, seconds: 0 }]));
  const reads = trace.reads;
  for (let slice = 0; slice < SLICES; slice++) {
    for (const reader of rotate(readers, slice)) {
      const from = reader.cursor;
      const timing = await timeLoopAsync(async (i) => {
        const key = keys[reads[(from + i) % reads.length]];
        if ((await reader.get(key)) === undefined) throw new Error(`${reader.subject} did not find ${key}`);
      }, ms / SLICES);
      reader.cursor = (from + timing.ops) % reads.length;
      const total = totals.get(reader)!;
      totals.set(reader, { ops: total.ops + timing.ops, seconds: total.seconds + timing.seconds });
    }
  }
  return totals;
}

/** Reads `count` reads of the trace on `reader`, untimed, from its cursor (which it leaves where it was). */
async function readTrace(reader: Reader, trace: ZipfTrace, keys: readonly string[], count: number): Promise<void> {
  for (let i = 0; i < count; i++) await reader.get(keys[trace.reads[(reader.cursor + i) % trace.reads.length]]);
}

interface ColdTrace {
  readonly cold: { hits: number; misses: number; seconds: number };
  readonly warm: { hits: number; misses: number; seconds: number };
  readonly growthMiB: number;
  readonly keptMiB: number;
  readonly warmUpMiB: number;
  readonly readyMs: number;
  readonly tier: Record<string, number>;
}

export const tiersSuite: Suite = {
  name: 'tiers',
  title:
    'A memory tier over redis (issue 18): Zipf reads against redis alone and cacheable, tier hits against lru-cache, LRU hit ratio, RSS',
  subjects: SUBJECTS,
  figures: FIGURES,

  async run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>) {
    await startServers(['redis'], config.log);
    const roots: string[] = [];
    const cleanups: (() => Promise<unknown>)[] = [];
    let awake: KeepAwake | undefined;
    const log = (line: string) => config.log(`  tiers: ${line}`);
    try {
      const url = serverUrlOrMissing('redis', selected, (subject, reason) => recorder.missing(subject, reason));
      if (url === undefined) return;
      const size = config.quick ? SIZES.quick : SIZES.full;
      const keys = Array.from({ length: size.keys }, (_, i) => `key-${i}`);
      const keyIndex = new Map(keys.map((key, i) => [key, i]));
      const rows = makeRows(size.keys);
      const trace = zipfTrace({ keys: size.keys, reads: size.reads, exponent: ZIPF_EXPONENT, seed: TRACE_SEED });
      const root = makeTempRoot();
      roots.push(root);
      const { entrySize } = await import('../../src/engines/memory/layout.js');
      const { blobFormat } = await import('../../src/stash-format.js');

      // The data, once, through a plain stash: the redis case reads it, the tiered stashes read through to it.
      const plain = await openStash(url, root, NAME);
      cleanups.push(async () => {
        await plain.clear();
        await plain.close();
      });
      let start = performance.now();
      await plain.setMany(keys.map((key, i) => [key, rows[i]] as const));
      const entryBytes = new Uint32Array(size.keys);
      let dataBytes = 0;
      let jsonBytes = 0;
      for await (const [rawKey, blob] of plain.rawEntries()) {
        const index = keyIndex.get(plain.decodeKey(rawKey));
        if (index === undefined) continue;
        entryBytes[index] = entrySize(rawKey.length, blob.length);
        dataBytes += rawKey.length + blob.length;
      }
      for (const row of rows) jsonBytes += Buffer.byteLength(JSON.stringify(row));
      if (entryBytes.includes(0)) throw new Error('the plain stash does not hold every key it was given');
      const maxBytes = Math.floor(dataBytes * TIER_SHARE);
      const tierEntryBytes = entryBytes.reduce((sum, bytes) => sum + bytes, 0);
      const lruSize = Math.round(size.keys * TIER_SHARE);
      log(
        `${size.keys.toLocaleString('en-US')} records (${(jsonBytes / size.keys).toFixed(0)} B of JSON each) in redis in ${((performance.now() - start) / 1000).toFixed(1)} s; data ${dataBytes.toLocaleString('en-US')} B (keys + blobs), maxBytes ${maxBytes.toLocaleString('en-US')}`,
      );
      const zipfKey = (subject: string, yardstick = true): CaseKey => ({
        group: 'zipf',
        subject,
        op: 'get',
        yardstick,
      });

      // The exact LRUs: of maxBytes charged the tier's entry sizes, and of `lruSize` entries (cacheable's layer).
      const [lruCold, lruWarm] = exactLruHitRatios(trace.reads, maxBytes, (key) => entryBytes[key], 2);
      const [countLruCold, countLruWarm] = exactLruHitRatios(trace.reads, lruSize, () => 1, 2);
      const percent = (ratio: number) => +(ratio * 100).toFixed(2);

      // The cold pass and the RSS, in a process of its own.
      if (selected.has(TIERED)) {
        const coldKey = (op: string): CaseKey => ({ group: 'cold-trace', subject: TIERED, op });
        try {
          const warmReads = Math.min(WARM_COLD, size.reads / 2);
          const job = {
            url,
            root,
            name: NAME,
            ...size,
            exponent: ZIPF_EXPONENT,
            seed: TRACE_SEED,
            maxBytes,
            warmReads,
          };
          const cold = await runJsonProcess<ColdTrace>(process.execPath, [
            '--expose-gc',
            RSS_SCRIPT,
            JSON.stringify(job),
          ]);
          const ratio = (pass: { hits: number; misses: number }) => pass.hits / (pass.hits + pass.misses);
          const gap = (lruCold - ratio(cold.cold)) * 100;
          recorder.sample(coldKey('lru-gap-points'), 0, { ops: Math.max(Math.abs(gap), 0.01), seconds: 1 });
          recorder.sample(coldKey('lru-gap-budget'), 0, { ops: LRU_GAP_POINTS, seconds: 1 });
          const gapKey = coldKey('lru-gap-points');
          recorder.note(gapKey, 'tier hit %', percent(ratio(cold.cold)));
          recorder.note(gapKey, 'exact LRU hit %', percent(lruCold));
          recorder.note(gapKey, 'exact LRU − tier, points', +gap.toFixed(2));
          recorder.note(gapKey, 'reads', size.reads);
          recorder.note(gapKey, 'tier lookups', cold.cold.hits + cold.cold.misses);
          recorder.note(gapKey, 'warm pass: tier hit %', percent(ratio(cold.warm)));
          recorder.note(gapKey, 'warm pass: exact LRU hit %', percent(lruWarm));
          for (const [name, value] of Object.entries(cold.tier)) recorder.note(gapKey, `tier ${name}`, value);
          recorder.note(gapKey, 'cold pass s', +cold.cold.seconds.toFixed(1));
          const budgetMiB = (RSS_FACTOR * maxBytes + RSS_SLACK_BYTES) / 2 ** 20;
          recorder.sample(coldKey('rss-growth-mib'), 0, { ops: Math.max(cold.growthMiB, 0.1), seconds: 1 });
          recorder.sample(coldKey('rss-budget-mib'), 0, { ops: budgetMiB, seconds: 1 });
          recorder.note(coldKey('rss-growth-mib'), 'peak growth MiB', +cold.growthMiB.toFixed(1));
          recorder.note(coldKey('rss-growth-mib'), 'after gc MiB', +cold.keptMiB.toFixed(1));
          recorder.note(coldKey('rss-growth-mib'), 'maxBytes', maxBytes);
          recorder.note(coldKey('rss-growth-mib'), 'untiered warm-up MiB', +cold.warmUpMiB.toFixed(1));
          recorder.note(coldKey('rss-growth-mib'), 'untiered warm-up reads', warmReads);
          recorder.note(gapKey, 'tier ready ms', Math.round(cold.readyMs));
          log(
            `cold pass: tier hit ratio ${percent(ratio(cold.cold))} % (exact LRU ${percent(lruCold)} %), warm pass ${percent(ratio(cold.warm))} % (exact LRU ${percent(lruWarm)} %); RSS grew ${cold.growthMiB.toFixed(1)} MiB at its peak, ${cold.keptMiB.toFixed(1)} MiB after gc (budget ${budgetMiB.toFixed(1)} MiB)`,
          );
        } catch (error) {
          recorder.missing(TIERED, `the cold pass failed: ${(error as Error).message}`);
        }
      }

      // The zipf readers, each warmed up.
      awake = await keepAwake();
      const readers: Reader[] = [];
      /** How many entries cacheable's memory layer holds (its CacheableMemory's size). */
      let memoryLayer: () => number | undefined = () => undefined;
      let tiered: Stash | undefined;
      if (selected.has(TIERED) && !recorder.isMissing(TIERED)) {
        try {
          const stash = await openStash(url, root, NAME, maxBytes);
          tiered = stash;
          cleanups.push(async () => {
            await stash.clear();
            await stash.close();
          });
          await tier0(stash);
          readers.push({ subject: TIERED, get: (key) => stash.get(key), cursor: 0 });
        } catch (error) {
          recorder.missing(TIERED, (error as Error).message);
        }
      }
      if (selected.has(REDIS)) readers.push({ subject: REDIS, get: (key) => plain.get(key), cursor: 0 });
      if (selected.has(CACHEABLE)) {
        try {
          const { Cacheable, createKeyv: createMemoryKeyv } = await import('cacheable');
          const { createKeyv } = await import('@keyv/redis');
          const secondary = createKeyv(url, { namespace: `hashstash-bench-${basename(root)}`, throwOnErrors: true });
          const cache = new Cacheable({ primary: createMemoryKeyv({ lruSize }), secondary });
          cleanups.push(async () => {
            try {
              await secondary.clear();
            } finally {
              await cache.disconnect();
            }
          });
          start = performance.now();
          for (let from = 0; from < keys.length; from += SETMANY_CHUNK) {
            const to = Math.min(from + SETMANY_CHUNK, keys.length);
            await secondary.setMany(keys.slice(from, to).map((key, i) => ({ key, value: rows[from + i] })));
          }
          log(`cacheable's keyv + @keyv/redis filled in ${((performance.now() - start) / 1000).toFixed(1)} s`);
          const probe = await cache.get<Row>(keys[trace.reads[0]]);
          if (probe?.id !== trace.reads[0])
            throw new Error('cacheable did not read back what keyv + @keyv/redis holds');
          readers.push({ subject: CACHEABLE, get: (key) => cache.get(key), cursor: 0 });
          memoryLayer = () => (cache.primary.store as { store?: { size?: number } }).store?.size;
        } catch (error) {
          recorder.missing(CACHEABLE, (error as Error).message);
        }
      }
      for (const reader of readers) {
        start = performance.now();
        await readTrace(reader, trace, keys, reader.subject === REDIS ? WARM_PLAIN : trace.reads.length);
        log(`${reader.subject}: warm-up in ${((performance.now() - start) / 1000).toFixed(1)} s`);
      }

      // The resident keys: the most read ones whose tier entries fill at most half of maxBytes.
      const resident: string[] = [];
      let residentBytes = 0;
      for (const index of trace.byRank) {
        if (resident.length === RESIDENT_MAX || residentBytes + entryBytes[index] > maxBytes / 2) break;
        resident.push(keys[index]);
        residentBytes += entryBytes[index];
      }
      const random = seededRandom(TRACE_SEED + 1);
      const residentOrder = resident.map((key) => ({ key, sort: random() }));
      residentOrder.sort((a, b) => a.sort - b.sort);
      const order = residentOrder.map(({ key }) => key);
      const residentCases: { subject: string; op: string; measure: () => Timing | Promise<Timing> }[] = [];
      let residentMisses = 0;
      if (selected.has(TIERED) || selected.has(LRU_CACHE)) {
        const residentPlain = await openStash(url, root, RESIDENT_NAME);
        cleanups.push(async () => {
          await residentPlain.clear();
          await residentPlain.close();
        });
        await residentPlain.setMany(resident.map((key) => [key, rows[keyIndex.get(key)!]] as const));
        if (selected.has(TIERED) && !recorder.isMissing(TIERED)) {
          try {
            const stash = await openStash(url, root, RESIDENT_NAME, maxBytes);
            cleanups.push(async () => {
              await stash.clear();
              await stash.close();
            });
            await stash.prefetch(resident);
            residentCases.push({
              subject: TIERED,
              op: 'get',
              measure: async () => {
                const before = await tier0(stash);
                const timing = await timeLoopAsync((i) => stash.get(order[i % order.length]), config.minMs);
                residentMisses += (await tier0(stash)).misses - before.misses;
                return timing;
              },
            });
          } catch (error) {
            recorder.missing(TIERED, (error as Error).message);
          }
        }
        if (selected.has(LRU_CACHE)) {
          const { LRUCache } = await import('lru-cache');
          const lru = new LRUCache<string, Uint8Array>({ max: resident.length });
          for await (const [rawKey, blob] of residentPlain.rawEntries()) lru.set(residentPlain.decodeKey(rawKey), blob);
          if (lru.size !== resident.length) throw new Error(`lru-cache holds ${lru.size} of ${resident.length} blobs`);
          const format = blobFormat(residentPlain.options);
          const decoded = async (key: string) => format.unpack(lru.get(key)!);
          residentCases.push({
            subject: LRU_CACHE,
            op: 'get',
            measure: () => timeLoop((i) => format.unpack(lru.get(order[i % order.length])!), config.minMs),
          });
          residentCases.push({
            subject: LRU_CACHE,
            op: 'get-awaited',
            measure: () => timeLoopAsync((i) => decoded(order[i % order.length]), config.minMs),
          });
        }
      }
      for (const { measure } of residentCases) await measure();
      residentMisses = 0;

      const cases: (() => Promise<void>)[] = [];
      /** Tier 0's hit ratio over each round's timed reads, in %. */
      const timedHitRatios: number[] = [];
      let round = 0;
      if (readers.length > 0) {
        cases.push(async () => {
          const before = tiered && (await tier0(tiered));
          collectGarbage();
          const totals = await readInSlices(readers, trace, keys, ZIPF_TIME * config.minMs);
          for (const [reader, timing] of totals)
            recorder.sample(zipfKey(reader.subject, reader.subject !== TIERED), round, timing);
          if (tiered && before) {
            const after = await tier0(tiered);
            const hits = after.hits - before.hits;
            const ratio = hits / (hits + after.misses - before.misses);
            timedHitRatios.push(percent(ratio));
          }
        });
      }
      for (const { subject, op, measure } of residentCases) {
        cases.push(async () => {
          collectGarbage();
          recorder.sample({ group: 'resident', subject, op, yardstick: subject !== TIERED }, round, await measure());
        });
      }
      for (; round < config.rounds; round++) {
        for (const measure of rotate(cases, round)) await measure();
        log(`round ${round + 1}/${config.rounds} done`);
      }

      for (const reader of readers) {
        const key = zipfKey(reader.subject, reader.subject !== TIERED);
        recorder.note(key, 'keys', size.keys);
        recorder.note(key, 'trace reads', size.reads);
      }
      if (readers.some((reader) => reader.subject === TIERED)) {
        recorder.note(zipfKey(TIERED, false), 'maxBytes', maxBytes);
        recorder.note(zipfKey(TIERED, false), 'tier hit % by round', timedHitRatios.join(' '));
        recorder.note(zipfKey(TIERED, false), 'exact LRU hit % (warm)', percent(lruWarm));
        recorder.note(zipfKey(TIERED, false), 'tier entries B', tierEntryBytes);
        // What the exact LRU's hit ratio allows even if a hit cost nothing: 1 / miss ratio.
        recorder.note(zipfKey(TIERED, false), 'bound / redis ×', +(1 / (1 - lruWarm)).toFixed(2));
      }
      if (readers.some((reader) => reader.subject === CACHEABLE)) {
        recorder.note(zipfKey(CACHEABLE), 'lruSize', lruSize);
        recorder.note(zipfKey(CACHEABLE), 'memory layer entries', memoryLayer() ?? null);
        recorder.note(zipfKey(CACHEABLE), 'exact LRU hit % (warm)', percent(countLruWarm));
        recorder.note(zipfKey(CACHEABLE), 'exact LRU hit % (cold)', percent(countLruCold));
      }
      for (const { subject, op } of residentCases) {
        const key = { group: 'resident', subject, op, yardstick: subject !== TIERED };
        recorder.note(key, 'keys', resident.length);
        if (subject === TIERED) recorder.note(key, 'tier misses while timed', residentMisses);
      }
    } finally {
      await awake?.stop();
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
      await removeTempRoots(roots);
      await stopServers();
    }
  },
};
