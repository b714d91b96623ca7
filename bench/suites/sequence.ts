import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Timing } from '../measure.js';
import { collectGarbage, median } from '../measure.js';
import { ensurePythonPeer } from '../python/setup.js';
import { runJsonProcess } from '../json-process.js';
import type { Recorder } from '../recorder.js';
import { RssSampler } from '../rss.js';
import type { BenchConfig, FigureSpec, Subject, Suite } from '../suite.js';
import { makeTempRoot, removeTempRoots } from '../temp-roots.js';

/**
 * Sequences (issue 17): `stash.sequence` on lmdb against the Python original, loadit 0.0.8 (bench/python/loadit_peer.py,
 * in the bench's venv), on one workload: ITEMS small records `{ i, label, square }` from a generator that busy-waits
 * WORK_US per item; shards of 512 items, 128 in RAM, prefetch 2, for both. Per round, in a fresh root:
 * - `generator/iterate`: a plain pass over the generator (the items' own cost);
 * - `sequence/cold`: the first `for await` over a new sequence, every shard generated and stored (until settled);
 * - `sequence/iterate`: a `for await` over the sequence reopened (a new object, nothing in RAM) on the complete cache;
 * - `array/iterate`: a `for await` over a JS array of the same decoded items (`iterate-sync`: `for of`, for information);
 * - `sequence/random`: RANDOM_READS `await seq.at(i)` at seeded random indices, on another new object;
 * - `sequence/first-item-ms` and `shard-ms`: a shard generated in this process on request, the time to its first
 *   item and to the whole shard stored (medians over shards 1 to 5 of a new sequence), `first-item-budget-ms` being
 *   10 % of the whole;
 * - loadit's cold pass, full iteration and random reads on the same items and indices, each on a new LoadIt.
 * And once, in round 1: the RSS growth over a cold pass of RSS_ITEMS items (no busy work), against
 * 2 × memoryShards × shard bytes + 50 MiB (`rss-budget-mib` / `rss-growth-mib`, higher is better, PASS at ≥ 1).
 */
const GROUP = 'sequence';
const ITEMS = 100_000;
const QUICK_ITEMS = 20_000;
const WORK_US = 20;
const RANDOM_READS = 20_000;
const QUICK_RANDOM_READS = 5_000;
const RSS_ITEMS = 1_000_000;
const QUICK_RSS_ITEMS = 200_000;
const SHARD_LENGTH = 512;
const MEMORY_SHARDS = 128;
const PREFETCH = 2;
const LOADIT_SCRIPT = fileURLToPath(new URL('../../../bench/python/loadit_peer.py', import.meta.url));

const SUBJECTS: readonly Subject[] = [
  { name: 'sequence', yardstick: false },
  { name: 'generator', yardstick: true },
  { name: 'array', yardstick: true },
  { name: 'loadit', yardstick: true },
];

const id = (subject: string, op: string) => `${GROUP}/${subject}/${op}`;
const FIGURES: readonly FigureSpec[] = [
  {
    name: 'sequence: cached sequential iteration, stash.sequence (lmdb) / loadit',
    numerator: [id('sequence', 'iterate')],
    denominator: [id('loadit', 'iterate')],
    target: 3,
  },
  {
    name: 'sequence: random access, stash.sequence (lmdb) / loadit',
    numerator: [id('sequence', 'random')],
    denominator: [id('loadit', 'random')],
    target: 5,
  },
  {
    name: 'sequence: cached iteration / a JS array of the same items (both for await)',
    numerator: [id('sequence', 'iterate')],
    denominator: [id('array', 'iterate')],
    target: 0.3,
  },
  {
    name: 'sequence: first (cold) pass / a plain pass over the generator (20 µs an item)',
    numerator: [id('sequence', 'cold')],
    denominator: [id('generator', 'iterate')],
    target: 0.8,
  },
  {
    name: 'sequence: first item of a shard being generated: 10 % of the shard time / time to the first item',
    numerator: [id('sequence', 'first-item-budget-ms')],
    denominator: [id('sequence', 'first-item-ms')],
    target: 1,
  },
  {
    name: 'sequence: RSS over a cold pass, (2 × memoryShards × shard + 50 MiB) / growth',
    numerator: [id('sequence', 'rss-budget-mib')],
    denominator: [id('sequence', 'rss-growth-mib')],
    target: 1,
  },
  {
    name: 'sequence: loadit cold pass / plain generator (for information)',
    numerator: [id('loadit', 'cold')],
    denominator: [id('generator', 'iterate')],
  },
];

interface Item {
  readonly i: number;
  readonly label: string;
  readonly square: number;
}

function busy(us: number): void {
  if (us <= 0) return;
  const until = performance.now() + us / 1000;
  while (performance.now() < until);
}

function generator(items: number, workUs: number): () => Generator<Item> {
  return function* () {
    for (let i = 0; i < items; i++) {
      busy(workUs);
      yield { i, label: `item_${i}`, square: i * i };
    }
  };
}

/** The same indices in every round and for both sides: a fixed-seed xorshift. */
function randomIndices(count: number, below: number): number[] {
  let state = 0x2545f491;
  return Array.from({ length: count }, () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % below;
  });
}

async function timed(work: () => Promise<number> | number): Promise<Timing> {
  collectGarbage();
  const start = performance.now();
  const ops = await work();
  return { ops, seconds: (performance.now() - start) / 1000 };
}

const options = (name: string) => ({
  name,
  shardLength: SHARD_LENGTH,
  memoryShards: MEMORY_SHARDS,
  prefetch: PREFETCH,
});

/** One round of the Node side in `root`. */
async function nodeRound(
  root: string,
  items: number,
  indices: readonly number[],
  round: number,
  recorder: Recorder,
  rss: boolean,
  rssItems: number,
  log: (line: string) => void,
): Promise<void> {
  const { HashStash } = await import('../../src/index.js');
  const stash = new HashStash({ root, engine: 'lmdb' });
  const sample = (subject: string, op: string, timing: Timing) =>
    recorder.sample({ group: GROUP, subject, op, yardstick: subject !== 'sequence' }, round, timing);
  try {
    sample(
      'generator',
      'iterate',
      await timed(() => {
        let n = 0;
        for (const _ of generator(items, WORK_US)()) n++;
        return n;
      }),
    );

    const cold = stash.sequence(generator(items, WORK_US), options('records'));
    sample(
      'sequence',
      'cold',
      await timed(async () => {
        let n = 0;
        for await (const _ of cold) n++;
        await cold.settled();
        return n;
      }),
    );
    await cold.close();

    const reader = stash.sequence<Item>(null, options('records'));
    sample(
      'sequence',
      'iterate',
      await timed(async () => {
        let n = 0;
        for await (const item of reader) if (item.i === n) n++;
        return n;
      }),
    );
    const array: Item[] = [];
    for await (const item of reader) array.push(item);
    await reader.close();
    sample(
      'array',
      'iterate',
      await timed(async () => {
        let n = 0;
        // The yardstick is what the issue names: a `for await` over a plain array, a microtask per item.
        // eslint-disable-next-line @typescript-eslint/await-thenable
        for await (const item of array) if (item.i === n) n++;
        return n;
      }),
    );
    sample(
      'array',
      'iterate-sync',
      await timed(() => {
        let n = 0;
        for (const item of array) if (item.i === n) n++;
        return n;
      }),
    );

    const random = stash.sequence<Item>(null, options('records'));
    sample(
      'sequence',
      'random',
      await timed(async () => {
        let n = 0;
        for (const i of indices) if ((await random.at(i)).i === i) n++;
        if (n !== indices.length) throw new Error('stash.sequence read a wrong item');
        return n;
      }),
    );
    await random.close();

    const fresh = stash.sequence(generator(items, WORK_US), options('first-item'));
    await fresh.at(0);
    await fresh.settled();
    const firsts: number[] = [];
    const wholes: number[] = [];
    for (let shard = 1; shard <= 5; shard++) {
      const start = performance.now();
      await fresh.at(shard * SHARD_LENGTH);
      firsts.push(performance.now() - start);
      await fresh.settled();
      wholes.push(performance.now() - start);
    }
    await fresh.close();
    const first = median(firsts);
    const whole = median(wholes);
    sample('sequence', 'first-item-ms', { ops: first, seconds: 1 });
    sample('sequence', 'shard-ms', { ops: whole, seconds: 1 });
    sample('sequence', 'first-item-budget-ms', { ops: whole / 10, seconds: 1 });
    log(`  sequence: round ${round + 1}: first item ${first.toFixed(2)} ms of a ${whole.toFixed(2)} ms shard`);

    if (rss) {
      const sampler = new RssSampler();
      const big = stash.sequence(generator(rssItems, 0), options('rss'));
      let n = 0;
      for await (const _ of big) if (++n % 4096 === 0) sampler.sample();
      await big.settled();
      const { growthMiB } = sampler.stop();
      const stats = await big.stats();
      await big.close();
      const shardMiB = stats.diskBytes / stats.shardsOnDisk / 2 ** 20;
      const budget = 2 * MEMORY_SHARDS * shardMiB + 50;
      sample('sequence', 'rss-growth-mib', { ops: growthMiB, seconds: 1 });
      sample('sequence', 'rss-budget-mib', { ops: budget, seconds: 1 });
      recorder.note({ group: GROUP, subject: 'sequence', op: 'rss-growth-mib' }, 'items', rssItems);
      log(
        `  sequence: RSS grew ${growthMiB.toFixed(1)} MiB over ${rssItems} items (budget ${budget.toFixed(1)} MiB, shards of ${(shardMiB * 1024).toFixed(1)} KiB)`,
      );
    }
  } finally {
    await stash.close();
  }
}

interface LoaditResult {
  readonly generator: Timing;
  readonly cold: Timing;
  readonly iterate: Timing;
  readonly random: Timing;
}

function runLoadit(python: string, spec: object): Promise<LoaditResult> {
  return runJsonProcess<LoaditResult>(python, [LOADIT_SCRIPT], spec);
}

export const sequenceSuite: Suite = {
  name: 'sequence',
  title: 'Sequences: stash.sequence (lmdb) beside loadit, a plain generator and a JS array',
  subjects: SUBJECTS,
  figures: FIGURES,

  async run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>) {
    const items = config.quick ? QUICK_ITEMS : ITEMS;
    const indices = randomIndices(config.quick ? QUICK_RANDOM_READS : RANDOM_READS, items);
    let python: string | undefined;
    if (selected.has('loadit')) {
      const peer = ensurePythonPeer(config.log);
      if ('missing' in peer) recorder.missing('loadit', peer.missing);
      else {
        python = peer.python;
        config.log(`  loadit peer: ${peer.versions}`);
      }
    }
    const roots: string[] = [];
    try {
      for (let round = 0; round < config.rounds; round++) {
        const root = makeTempRoot();
        roots.push(root);
        if (selected.has('sequence')) {
          await nodeRound(
            root,
            items,
            indices,
            round,
            recorder,
            round === 0,
            config.quick ? QUICK_RSS_ITEMS : RSS_ITEMS,
            config.log,
          );
        }
        if (python) {
          try {
            const result = await runLoadit(python, {
              root: join(root, 'loadit'),
              items,
              shardLength: SHARD_LENGTH,
              memoryShards: MEMORY_SHARDS,
              workUs: WORK_US,
              indices,
            });
            for (const op of ['cold', 'iterate', 'random'] as const)
              recorder.sample({ group: GROUP, subject: 'loadit', op, yardstick: true }, round, result[op]);
            recorder.sample(
              { group: GROUP, subject: 'loadit', op: 'generator', yardstick: true },
              round,
              result.generator,
            );
          } catch (error) {
            recorder.missing('loadit', (error as Error).message);
            python = undefined;
          }
        }
      }
    } finally {
      await removeTempRoots(roots);
    }
  },
};
