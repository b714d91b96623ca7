/**
 * Four participants race `setIfAbsent` on the same 1,000 keys of a fresh stash, in the same order, so they meet on
 * every key: exactly one of them wins each key, and the value stored is the winner's. Child processes on the
 * engines shared across processes (lmdb, pairtree, sqlite, redis, mongo), worker threads on the memory engine (shared
 * across threads only). On local engines odd racers use `stash.sync.setIfAbsent`, even ones the asynchronous call.
 */
import t from 'tap';
import type { EngineName } from '../../src/index.js';
import { serverSkip } from '../helpers/servers.js';
import type { RaceJob } from './coordination-child.js';
import { runTogether } from './coordination-parent.js';

const RACERS = 4;
const KEYS = 1_000;

const ENGINES: readonly EngineName[] = ['lmdb', 'pairtree', 'sqlite', 'redis', 'mongo', 'memory'];

for (const engine of ENGINES) {
  const kind = engine === 'redis' || engine === 'mongo' ? engine : undefined;
  const skip = kind ? serverSkip(kind) : false;
  const how = engine === 'memory' ? 'worker threads' : 'processes';
  t.test(
    `${engine}: ${RACERS} ${how} race setIfAbsent on ${KEYS} keys: exactly one winner per key`,
    { skip },
    async (t) => {
      t.setTimeout(240_000);
      const { stash, results, seconds } = await runTogether(t, engine, ({ root, url }) =>
        Array.from({ length: RACERS }, (_, racer): RaceJob => ({ kind: 'race', root, engine, url, racer, keys: KEYS })),
      );
      const problems = results.filter((m) => !('done' in m));
      t.strictSame(problems, [], 'every racer finished');
      if (problems.length) return;

      const winners = new Map<number, number[]>();
      results.forEach((message, racer) => {
        for (const i of (message as { won: number[] }).won) winners.set(i, [...(winners.get(i) ?? []), racer]);
      });
      const wrong = Array.from({ length: KEYS }, (_, i) => i).filter((i) => winners.get(i)?.length !== 1);
      t.strictSame(wrong.slice(0, 10), [], `every key has exactly one winner (${wrong.length} keys do not)`);
      const stored = (await stash.getMany(Array.from({ length: KEYS }, (_, i) => `key-${i}`))) as (
        { racer: number; i: number } | undefined
      )[];
      const mismatched = stored
        .map((value, i) => (value?.racer === winners.get(i)?.[0] && value?.i === i ? -1 : i))
        .filter((i) => i >= 0);
      t.strictSame(mismatched.slice(0, 10), [], "the value stored under each key is its winner's");
      const share = results.map((message) => (message as { won: number[] }).won.length);
      t.pass(`${KEYS} keys in ${seconds.toFixed(2)} s; wins per racer: ${share.join(', ')}`);
    },
  );
}
