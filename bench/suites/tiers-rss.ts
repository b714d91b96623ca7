// The tiers suite's cold pass, in a Node process of its own (started with --expose-gc by bench/suites/tiers.ts): its
// memory tier starts empty (the shared-memory engine lives in the process), and the RSS growth it measures starts
// from a fresh heap, not from one the suite's other cases already grew:
//   node --expose-gc dist/bench/suites/tiers-rss.js '{"url":"redis://…","root":"/tmp/x","name":"tiers",
//     "keys":100000,"reads":200000,"exponent":0.99,"seed":18,"maxBytes":1200000,"warmReads":20000}'
// Opens two stashes on redis at root/name (filled by the suite): a plain one, and one with a memory tier of maxBytes.
// Before the baseline: the plain stash reads the trace's first warmReads keys (the redis client and the read path
// warmed up: in a fresh process the first 20,000 redis reads grow the RSS by about 23 MiB, tier or not), and
// `prefetch([])` on the tiered one waits until its tier may take copies (with coherence, once the redis change feed
// is registered, 600 ms; until then a read copies nothing up). Then the tiered stash reads the Zipf trace the same
// arguments give (bench/zipf.ts) once from the cold tier, then once more. Prints as JSON: tier 0's hits and misses
// over each pass (the deltas of stash.stats().tiers[0]), the RSS growth over the cold pass (its peak over a baseline
// taken after a full GC, and the growth left after a full GC at its end) and over the warm-up, in MiB, the tier's
// counters after the cold pass, the seconds each pass took and the ms the tier took to be ready.
import { HashStash, type TierStats } from '../../src/index.js';
import { RssSampler } from '../rss.js';
import { collectGarbage } from '../measure.js';
import { zipfTrace } from '../zipf.js';

interface Job {
  readonly url: string;
  readonly root: string;
  readonly name: string;
  readonly keys: number;
  readonly reads: number;
  readonly exponent: number;
  readonly seed: number;
  readonly maxBytes: number;
  readonly warmReads: number;
}

const MIB = 2 ** 20;
const job = JSON.parse(process.argv[2]) as Job;
// Built before the baseline: the trace and the key strings are the script's, not the tier's.
const { reads } = zipfTrace(job);
const keys = Array.from({ length: job.keys }, (_, i) => `key-${i}`);

await using stash = new HashStash<string, unknown>({
  engine: 'redis',
  url: job.url,
  root: job.root,
  name: job.name,
  memory: { maxBytes: job.maxBytes, evict: 'lru' },
});
await using plain = new HashStash<string, unknown>({ engine: 'redis', url: job.url, root: job.root, name: job.name });

async function tier0(): Promise<TierStats> {
  const tier = (await stash.stats()).tiers?.[0];
  if (!tier) throw new Error('stash.stats() has no tiers[0]: the memory tier is not there');
  return tier;
}

async function pass(sampler?: RssSampler): Promise<{ hits: number; misses: number; seconds: number }> {
  const before = await tier0();
  const start = performance.now();
  for (let i = 0; i < reads.length; i++) {
    if ((await stash.get(keys[reads[i]])) === undefined) throw new Error(`${keys[reads[i]]} is not stored`);
    if (sampler && (i & 1023) === 0) sampler.sample();
  }
  const seconds = (performance.now() - start) / 1000;
  const after = await tier0();
  return { hits: after.hits - before.hits, misses: after.misses - before.misses, seconds };
}

collectGarbage();
const started = process.memoryUsage.rss();
for (let i = 0; i < job.warmReads; i++) await plain.get(keys[reads[i]]);
// The tiered stash's connection and read path: a key that is nowhere (a miss in both tiers, nothing kept).
await stash.get('tiers-rss-probe');
let readyMs = performance.now();
await stash.prefetch([]);
readyMs = performance.now() - readyMs;
await tier0();
collectGarbage();
const warmUpMiB = (process.memoryUsage.rss() - started) / MIB;
const sampler = new RssSampler();
const cold = await pass(sampler);
const { growthMiB } = sampler.stop();
const afterCold = await tier0();
collectGarbage();
const keptMiB = (process.memoryUsage.rss() - sampler.baseline) / MIB;
const warm = await pass();
process.stdout.write(
  JSON.stringify({
    cold,
    warm,
    growthMiB,
    keptMiB,
    warmUpMiB,
    readyMs,
    tier: {
      bytesUsed: afterCold.bytesUsed,
      peakBytes: afterCold.peakBytes,
      maxBytes: afterCold.maxBytes,
      'budget evictions': afterCold.evictions.budget,
      'explicit evictions': afterCold.evictions.explicit,
      offloads: afterCold.offloads,
      reloads: afterCold.reloads,
    },
  }),
);
