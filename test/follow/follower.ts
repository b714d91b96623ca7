/**
 * `node follower.js '<FollowJob as JSON>'`: a follower (`readonly: true, follow: true`) over the job's stash, opened
 * before the stash exists. It says `{ ready: true }`, then reads until it has seen the last batch whole, checking
 * every read (batches.ts): one `getMany` of the hot keys and of the fresh keys of the next batch it waits for and of
 * an earlier one, and now and then a full iteration. Ends with one JSON line `{ done, reads, iterations, seen, errors }`;
 * `errors` lists what it saw wrong.
 */
import { writeSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { HashStash } from '../../src/index.js';
import { FRESH, freshKeys, HOT, hotKeys, stashOptions, type FollowJob, type Key, type Value } from './batches.js';

const job = JSON.parse(process.argv[2]) as FollowJob;
const sync = job.mode === 'sync';
const stash = new HashStash<Key, Value>({ ...stashOptions(job), readonly: true, follow: true });
// Synchronous: the sync mode never returns to the event loop, where an asynchronous write would wait.
const print = (message: object) => writeSync(1, `${JSON.stringify(message)}\n`);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const errors: string[] = [];
const fail = (message: string) => {
  if (errors.length < 20) errors.push(message);
};
const last = job.batches - 1;
const deadline = Date.now() + (job.deadlineMs ?? 240_000);

/** The batch every hot key names, -1 when none is stored; a failure when they differ (a torn batch). */
function hotBatch(values: readonly (Value | undefined)[], where: string): number {
  const batches = new Set(values.map((value) => value?.batch ?? -1));
  if (batches.size !== 1) fail(`${where}: the hot keys name batches ${[...batches].sort((a, b) => a - b).join(', ')}`);
  return Math.max(...batches);
}

/** Checks that the fresh keys of `batch` are all there (batch <= hot) or all absent (batch > hot). */
function checkFresh(batch: number, hot: number, values: readonly (Value | undefined)[], where: string): void {
  const present = values.filter((value) => value !== undefined);
  const expected = batch <= hot ? FRESH : 0;
  if (present.length !== expected)
    fail(`${where}: batch ${batch} has ${present.length} of ${FRESH} fresh keys, the hot keys name batch ${hot}`);
  if (present.some((value) => value.batch !== batch)) fail(`${where}: a fresh key of batch ${batch} names another`);
}

let seen = -1;
let reads = 0;
let iterations = 0;

/** One read and its checks. */
function check(values: readonly (Value | undefined)[], next: number, earlier: number): void {
  reads++;
  const hot = hotBatch(values.slice(0, HOT), `read ${reads}`);
  checkFresh(next, hot, values.slice(HOT, HOT + FRESH), `read ${reads}`);
  checkFresh(earlier, hot, values.slice(HOT + FRESH), `read ${reads}`);
  if (hot < seen) fail(`read ${reads}: the hot keys went back from batch ${seen} to ${hot}`);
  if (hot > seen) {
    seen = hot;
    print({ seen });
  }
}

/**
 * Iteration reads a page at a time, each page at the newest commit, so a batch may straddle two pages read at two
 * commits: what must hold is that no value is torn and nothing already seen is missing.
 */
function checkIteration(entries: Iterable<[Key, Value]>): void {
  let count = 0;
  for (const [key, value] of entries) {
    count++;
    if (key[0] === 'fresh' && value.batch !== key[1])
      fail(`iteration: ${JSON.stringify(key)} names batch ${value.batch}`);
  }
  iterations++;
  if (count < (seen + 1) * FRESH + (seen >= 0 ? HOT : 0))
    fail(`iteration ${iterations}: ${count} entries, fewer than the ${seen + 1} batches already seen hold`);
}

const keysToRead = (): [Key[], number, number] => {
  const next = Math.min(seen + 1, last);
  const earlier = seen > 0 ? Math.floor(Math.random() * seen) : 0;
  return [[...hotKeys(), ...freshKeys(next), ...freshKeys(earlier)], next, earlier];
};

print({ ready: true });
// Before the writer starts: the stash does not exist, and reads as empty.
if ((sync ? stash.sync.size() : await stash.size()) !== 0)
  fail('the stash read as not empty before the writer started');
while (seen < last && Date.now() < deadline) {
  const [keys, next, earlier] = keysToRead();
  if (sync) {
    check(stash.sync.getMany(keys), next, earlier);
    if (reads % 25 === 0) checkIteration(stash.sync.entries());
    Atomics.wait(sleeper, 0, 0, Math.random() * 10);
  } else {
    check(await stash.getMany(keys), next, earlier);
    if (reads % 25 === 0) {
      const entries: [Key, Value][] = [];
      for await (const entry of stash.entries()) entries.push(entry);
      checkIteration(entries);
    }
    await delay(Math.random() * 10);
  }
}
if (seen < last) fail(`the follower saw batch ${seen} at most, not the last one, ${last}, before its deadline`);
print({ done: true, reads, iterations, seen, errors });
await stash.close();
