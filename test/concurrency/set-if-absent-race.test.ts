/**
 * Four participants race `setIfAbsent` on the same 1,000 keys of a fresh stash, in the same order, so they meet on
 * every key: exactly one of them wins each key, and the value stored is the winner's. Child processes on the
 * engines shared across processes (lmdb, pairtree, sqlite, redis, mongo), worker threads on the memory engine (shared
 * across threads only). On local engines odd racers use `stash.sync.setIfAbsent`, even ones the asynchronous call.
 */
import t from 'tap';
import { HashStash, type EngineName } from '../../src/index.js';
import { serverSkip, serverUrl } from '../helpers/servers.js';
import type { RaceJob } from './coordination-child.js';
import { nextMessage, startProcess, startThread, type Racer } from './coordination-parent.js';

const RACERS = 4;
const KEYS = 1_000;

const ENGINES: readonly EngineName[] = ['lmdb', 'pairtree', 'sqlite', 'redis', 'mongo', 'memory'];

for (const engine of ENGINES) {
  const kind = engine === 'redis' || engine === 'mongo' ? engine : undefined;
  const skip = kind ? serverSkip(kind) : false;
  const how = engine === 'memory' ? 'worker threads' : 'processes';
  t.test(`${engine}: ${RACERS} ${how} race setIfAbsent on ${KEYS} keys: exactly one winner per key`, { skip }, async (t) => {
    t.setTimeout(240_000);
    const racers: Racer[] = [];
    let stash: HashStash | undefined;
    t.teardown(async () => {
      await Promise.all(racers.map((racer) => racer.stop()));
      await stash?.clear().catch(() => {});
      await stash?.close();
    });
    const root = t.testdir();
    const url = kind ? serverUrl(kind) : undefined;
    // The parent holds the memory stash open, so the threads share one table.
    stash = new HashStash({ root, engine, url });
    await stash.has('open');
    for (let racer = 0; racer < RACERS; racer++) {
      const job: RaceJob = { kind: 'race', root, engine, url, racer, keys: KEYS };
      racers.push(engine === 'memory' ? startThread(job) : startProcess(job));
    }
    const ready = await Promise.all(racers.map(nextMessage));
    t.strictSame(ready.filter((m) => !('ready' in m)), [], 'every racer opened the stash');
    const started = performance.now();
    for (const racer of racers) racer.go();
    const results = await Promise.all(racers.map(nextMessage));
    const seconds = (performance.now() - started) / 1000;
    const problems = results.filter((m) => !('done' in m));
    t.strictSame(problems, [], 'every racer finished');
    if (problems.length) return;

    const winners = new Map<number, number[]>();
    results.forEach((message, racer) => {
      for (const i of (message as { won: number[] }).won) winners.set(i, [...(winners.get(i) ?? []), racer]);
    });
    const wrong = Array.from({ length: KEYS }, (_, i) => i).filter((i) => winners.get(i)?.length !== 1);
    t.strictSame(wrong.slice(0, 10), [], `every key has exactly one winner (${wrong.length} keys do not)`);
    const stored = await stash.getMany(Array.from({ length: KEYS }, (_, i) => `key-${i}`)) as ({ racer: number; i: number } | undefined)[];
    const mismatched = stored.map((value, i) => (value?.racer === winners.get(i)?.[0] && value?.i === i ? -1 : i)).filter((i) => i >= 0);
    t.strictSame(mismatched.slice(0, 10), [], 'the value stored under each key is its winner\'s');
    const share = results.map((message) => (message as { won: number[] }).won.length);
    t.pass(`${KEYS} keys in ${seconds.toFixed(2)} s; wins per racer: ${share.join(', ')}`);
  });
}
